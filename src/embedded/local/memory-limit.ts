/**
 * Memory limits for process instances, so that they are held to their size class as containers
 * are. Where this process may make cgroups (root, or a delegated subtree) each instance gets its
 * own memory cgroup, <mount>/<own cgroup>/faasload-mem-<pid>/<instance>, with its limit (memory
 * and swap alike): the kernel's OOM killer ends an instance past it, as in a container. Else an
 * RSS watchdog: every WATCHDOG_INTERVAL_MS it reads each instance's anonymous resident memory
 * (/proc/<pid>/status RssAnon + RssShmem, what a memory cgroup would charge it, without the
 * shared pages of the node binary) and SIGKILLs one past its limit; a spike shorter than the
 * interval may go unseen.
 *
 * The process joins its cgroup before node starts (a shell writes its own pid, then execs node),
 * so the runtime's own memory is charged to it from the start. Cgroups are made under this
 * process's own cgroup, so instances stay under the limits faasload itself runs with.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { cgroupName } from '../../monitor/perf-cgroup.js';
import { type CgroupMount, cgroupOf, controllerMount } from '../../util/cgroup-hierarchy.js';
import { cgroupExecutionPeak, type ExecutionMemoryPeak } from './execution-peak.js';

/** How one instance is held to its limit. */
export interface InstanceMemoryLimit {
  /** The command to spawn instead of `command args` (joins the cgroup first), or the same. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Once the process is spawned. */
  attach(pid: number, kill: () => void): void;
  /** After the process has exited: whether the limit ended it. */
  oomKilled(): boolean;
  /** After the process has exited: removes its cgroup (best effort). */
  release(): void;
  /** Its cgroup's memory peak, reset per execution (execution-peak.ts); absent without a cgroup. */
  readonly peak?: ExecutionMemoryPeak;
}

export interface MemoryLimiter {
  readonly kind: 'cgroup' | 'watchdog';
  /** Throws when the instance's cgroup cannot be made (then the instance does not start). */
  limit(instanceId: string, limitMb: number): InstanceMemoryLimit;
  /** After every instance has exited: removes the parent cgroup (best effort). */
  close(): void;
}

export const WATCHDOG_INTERVAL_MS = 100;

type MemoryMount = CgroupMount;

/** The memory controller's hierarchy (v1 `memory`, else the v2 unified one), from mountinfo. */
export function memoryCgroupMount(mountinfo?: string): MemoryMount | undefined {
  return controllerMount('memory', mountinfo);
}

/** This process's cgroup in the hierarchy, relative to its mount ('' for the root). */
function ownCgroup(mount: MemoryMount): string {
  return cgroupOf('self', 'memory', mount) ?? '';
}

/** The `key N` counter of a flat-keyed cgroup file; 0 when absent or unreadable. */
function counter(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

class CgroupLimiter implements MemoryLimiter {
  readonly kind = 'cgroup';
  constructor(
    private readonly mount: MemoryMount,
    private readonly parent: string,
  ) {}

  limit(instanceId: string, limitMb: number): InstanceMemoryLimit {
    const dir = join(this.mount.path, this.parent, cgroupName(instanceId));
    const bytes = String(Math.round(limitMb * 1024 * 1024));
    const v1 = this.mount.version === 1;
    mkdirSync(dir, { recursive: true });
    if (v1) {
      writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
      // No swapping past the limit (as the docker runtime's MemorySwap = Memory); absent without swap accounting.
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes')))
        writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), bytes);
    } else {
      writeFileSync(join(dir, 'memory.max'), bytes);
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
    }
    const procs = join(dir, 'cgroup.procs');
    const peak = cgroupExecutionPeak(dir, v1 ? 1 : 2);
    return {
      peak,
      // The shell moves itself ($$) into the cgroup ($1), then becomes the command. A command
      // that cannot be run is spawned as it is, so that its failure reads as without a limit.
      wrap: (command, args) =>
        runnable(command)
          ? {
              command: '/bin/sh',
              args: ['-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', procs, command, ...args],
            }
          : { command, args: [...args] },
      attach: () => undefined,
      oomKilled: () => counter(join(dir, v1 ? 'memory.oom_control' : 'memory.events'), 'oom_kill') > 0,
      release: () => {
        peak.close();
        try {
          rmdirSync(dir);
        } catch {
          // still busy or gone: removed with the parent, or left for the next run's sweep
        }
      },
    };
  }

  close(): void {
    try {
      rmdirSync(join(this.mount.path, this.parent));
    } catch {
      // an instance's cgroup is still there: removed by a later run's sweep
    }
  }
}

/** Reads RssAnon + RssShmem of each watched process every interval; kills those past their limit. */
class WatchdogLimiter implements MemoryLimiter {
  readonly kind = 'watchdog';
  private readonly watched = new Map<number, { limitKb: number; kill: () => void; hit: () => void }>();
  private timer: NodeJS.Timeout | undefined;

  limit(_instanceId: string, limitMb: number): InstanceMemoryLimit {
    let pid: number | undefined;
    let killed = false;
    return {
      wrap: (command, args) => ({ command, args: [...args] }),
      attach: (p, kill) => {
        pid = p;
        this.watched.set(p, { limitKb: limitMb * 1024, kill, hit: () => (killed = true) });
        this.timer ??= setInterval(() => this.check(), WATCHDOG_INTERVAL_MS);
        this.timer.unref();
      },
      oomKilled: () => killed,
      release: () => {
        if (pid !== undefined) this.watched.delete(pid);
        if (this.watched.size === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private check(): void {
    for (const [pid, w] of this.watched) {
      const kb = residentKb(pid);
      if (kb !== undefined && kb > w.limitKb) {
        w.hit();
        w.kill();
        this.watched.delete(pid);
      }
    }
  }
}

function runnable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** RssAnon + RssShmem of a process in kB; undefined when it is gone. */
export function residentKb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return kb('RssAnon') + kb('RssShmem');
  } catch {
    return undefined;
  }
}

/**
 * Per-instance cgroups when this process can make them (tried once: a parent cgroup is created
 * and kept until removeStale of a later run), else the watchdog. `prefer` forces one, for tests.
 */
export function createMemoryLimiter(prefer?: 'cgroup' | 'watchdog'): MemoryLimiter {
  if (prefer !== 'watchdog') {
    const mount = memoryCgroupMount();
    if (mount) {
      const base = ownCgroup(mount);
      const parent = join(base, `faasload-mem-${process.pid}`);
      try {
        removeStale(join(mount.path, base));
        mkdirSync(join(mount.path, parent), { recursive: true });
        const dir = join(mount.path, parent);
        if (mount.version === 1) readFileSync(join(dir, 'memory.limit_in_bytes'), 'utf8');
        else {
          // v2: the children get memory.max only if the memory controller is enabled for them.
          writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory');
          if (!readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory'))
            throw new Error('no memory controller');
        }
        return new CgroupLimiter(mount, parent);
      } catch {
        // not allowed here: the watchdog
      }
    }
  }
  if (prefer === 'cgroup') throw new Error('per-instance memory cgroups cannot be made here');
  return new WatchdogLimiter();
}

/** Removes the empty faasload-mem-<pid> cgroups of processes that are gone (a crashed run's). */
function removeStale(baseDir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(baseDir);
  } catch {
    return;
  }
  for (const name of entries) {
    const m = /^faasload-mem-(\d+)$/.exec(name);
    if (!m || Number(m[1]) === process.pid || existsSync(`/proc/${m[1]}`)) continue;
    const dir = join(baseDir, name);
    try {
      for (const child of readdirSync(dir, { withFileTypes: true }))
        if (child.isDirectory()) rmdirSync(join(dir, child.name));
      rmdirSync(dir);
    } catch {
      // a process still in it: left
    }
  }
}
