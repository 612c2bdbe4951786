/**
 * An instance's memory cgroup peak, reset before each execution, so that the peak read after it
 * is that execution's (the cgroup's charge: anonymous memory and the page cache it caused). An
 * optional capability of a function instance: the process runtime's instances have it when each
 * has its own memory cgroup (memory-limit.ts); others do not, and their results carry no
 * cgroupPeakBytes.
 *
 * - cgroup v1: memory.max_usage_in_bytes, reset by writing 0.
 * - cgroup v2: memory.peak, reset by writing to it (Linux 6.12 and later): the reset is local to
 *   the open file, so one file is kept open for the instance's life. On older kernels the write
 *   fails and reset() says so (no figure).
 * Exact only when the instance runs one execution at a time (the platform resets only then).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface ExecutionMemoryPeak {
  /** Starts a new peak at the current usage; false when the cgroup refuses (then no figure). */
  reset(): boolean;
  /** The peak since the last reset, bytes; undefined when unreadable. */
  readBytes(): number | undefined;
  /** Releases the open file (v2). */
  close(): void;
}

/** The peak of the memory cgroup `dir` (cgroup `version` 1 or 2). */
export function cgroupExecutionPeak(dir: string, version: 1 | 2): ExecutionMemoryPeak {
  const path = join(dir, version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak');
  let fd: number | undefined;
  const open = () => {
    fd ??= openSync(path, 'r+');
    return fd;
  };
  return {
    reset() {
      try {
        // v1 resets for everyone; v2 for this open file only, which readBytes() reads.
        writeSync(open(), '0', 0);
        return true;
      } catch {
        return false;
      }
    },
    readBytes() {
      try {
        const buf = Buffer.alloc(32);
        const n = readSync(open(), buf, 0, buf.length, 0);
        const v = Number(buf.subarray(0, n).toString('latin1').trim());
        return Number.isFinite(v) ? v : undefined;
      } catch {
        return undefined;
      }
    },
    close() {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
        fd = undefined;
      }
    },
  };
}
