/**
 * Reads a container's resource counters from its cgroup files, cgroup v1 or v2, synchronously:
 * each file is a few µs to read (no Docker API round trip, which costs about 1 s per stats call).
 *
 * Where a container's cgroup is: v1 `<root>/<controller>/docker/<id>` (cgroupfs driver) or
 * `<root>/<controller>/system.slice/docker-<id>.scope` (systemd driver); v2 the same paths in the
 * unified tree. When neither exists, the paths /proc/<pid>/cgroup gives for the container's
 * main process are tried. No cgroup found: CgroupReader.open() answers undefined (the caller
 * falls back to the Docker stats stream).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyMeasures, keyValues, type Measures, statValue } from './measures.js';
import { KernelFiles } from './pread.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';
/** v1 kernels report an unlimited memory limit as a huge number (2^63 rounded to a page). */
const UNLIMITED = 2 ** 60;
/** cpuacct.stat counts USER_HZ ticks: 100 per second on Linux. */
const NS_PER_TICK = 10_000_000;

export type CgroupVersion = 1 | 2;

/** v2 when the root holds cgroup.controllers (unified hierarchy), else v1. */
export function cgroupVersion(root = CGROUP_ROOT): CgroupVersion {
  return existsSync(join(root, 'cgroup.controllers')) ? 2 : 1;
}

/** The v1 controller folder names to try (some systems mount cpu and cpuacct together). */
const V1_CONTROLLERS = {
  cpuacct: ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu'],
  cpu: ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'],
  memory: ['memory'],
  pids: ['pids'],
  blkio: ['blkio'],
} as const;
type V1Controller = keyof typeof V1_CONTROLLERS;

/** Relative cgroup paths a Docker container may have. */
function candidates(containerId: string): string[] {
  return [`docker/${containerId}`, `system.slice/docker-${containerId}.scope`];
}

/** Paths per controller from /proc/<pid>/cgroup (`id:controllers:/path`), v2 under ''. */
function procCgroupPaths(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  try {
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
      const m = /^\d+:([^:]*):(.*)$/.exec(line);
      if (!m) continue;
      for (const c of m[1]!.split(',')) out.set(c, m[2]!.replace(/^\//, ''));
    }
  } catch {
    // the process is gone or not visible: no paths
  }
  return out;
}

/** Sums `maj:min Read N` / `maj:min Write N` lines of a v1 blkio *io_service_bytes file. */
export function parseBlkioV1(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const [dev, op, n] = line.trim().split(/\s+/);
    if (!dev || dev === 'Total' || n === undefined) continue;
    if (op === 'Read') read += Number(n);
    else if (op === 'Write') write += Number(n);
  }
  return { read, write };
}

/** Sums rbytes= and wbytes= over the devices of a v2 io.stat file. */
export function parseIoStatV2(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const m of text.matchAll(/\b(rbytes|wbytes)=(\d+)/g)) {
    if (m[1] === 'rbytes') read += Number(m[2]);
    else write += Number(m[2]);
  }
  return { read, write };
}

/** One container's cgroup, located once; read() costs a handful of small file reads. */
export class CgroupReader {
  private readonly files = new KernelFiles();
  private constructor(
    readonly version: CgroupVersion,
    /** v1: a folder per controller; v2: one folder under '' */
    private readonly dirs: Map<string, string>,
  ) {}

  /**
   * Locates the container's cgroup; undefined when there is none to read (not on this host, not
   * started yet, or the cgroup tree is not mounted).
   */
  static open(containerId: string, pid?: number, root = CGROUP_ROOT): CgroupReader | undefined {
    const version = cgroupVersion(root);
    const fromProc = pid !== undefined && pid > 0 ? procCgroupPaths(pid) : new Map<string, string>();
    if (version === 2) {
      const rels = [...candidates(containerId), ...(fromProc.has('') ? [fromProc.get('')!] : [])];
      for (const rel of rels) {
        const dir = join(root, rel);
        if (existsSync(join(dir, 'cgroup.procs'))) return new CgroupReader(2, new Map([['', dir]]));
      }
      return undefined;
    }
    const dirs = new Map<string, string>();
    for (const [controller, names] of Object.entries(V1_CONTROLLERS) as [V1Controller, readonly string[]][]) {
      const rels = [...candidates(containerId)];
      const own = fromProc.get(controller);
      if (own !== undefined) rels.push(own);
      found: for (const name of names) {
        for (const rel of rels) {
          const dir = join(root, name, rel);
          if (existsSync(join(dir, 'cgroup.procs'))) {
            dirs.set(controller, dir);
            break found;
          }
        }
      }
    }
    // cpuacct and memory are the essentials; without them this is not the container's cgroup.
    if (!dirs.has('cpuacct') || !dirs.has('memory')) return undefined;
    return new CgroupReader(1, dirs);
  }

  /**
   * The container's counters now. Throws (ENOENT, ENODEV: isGone()) when the cgroup has gone
   * since open(): the container was removed; then close() it. Optional files (throttling, blkio, pids) missing give nulls.
   */
  read(): Measures {
    return this.version === 2 ? this.readV2() : this.readV1();
  }

  /** Closes the files kept open between reads. */
  close(): void {
    this.files.close();
  }

  private readNumber(path: string): number {
    return Number(this.files.read(path).trim());
  }

  private readV1(): Measures {
    const m = emptyMeasures('cgroup-v1');
    const cpuacct = this.dirs.get('cpuacct')!;
    const memory = this.dirs.get('memory')!;
    m.cpu_total_ns = this.readNumber(join(cpuacct, 'cpuacct.usage'));
    const user = this.files.readOptional(join(cpuacct, 'cpuacct.usage_user'));
    const sys = this.files.readOptional(join(cpuacct, 'cpuacct.usage_sys'));
    if (user !== undefined && sys !== undefined) {
      m.cpu_user_ns = Number(user.trim());
      m.cpu_system_ns = Number(sys.trim());
    } else {
      const stat = keyValues(this.files.read(join(cpuacct, 'cpuacct.stat')));
      m.cpu_user_ns = (stat.get('user') ?? 0) * NS_PER_TICK;
      m.cpu_system_ns = (stat.get('system') ?? 0) * NS_PER_TICK;
    }
    m.memory_usage_bytes = this.readNumber(join(memory, 'memory.usage_in_bytes'));
    const limit = this.readNumber(join(memory, 'memory.limit_in_bytes'));
    m.memory_limit_bytes = limit >= UNLIMITED ? null : limit;
    // memory.stat has ~40 lines: pick the two values instead of parsing them all.
    const mstat = this.files.read(join(memory, 'memory.stat'));
    m.memory_rss_bytes = statValue(mstat, 'total_rss') ?? statValue(mstat, 'rss');
    m.memory_cache_bytes = statValue(mstat, 'total_cache') ?? statValue(mstat, 'cache');
    const pids = this.dirs.get('pids');
    if (pids) m.pids = this.readNumber(join(pids, 'pids.current'));
    const cpu = this.dirs.get('cpu');
    const cpuStat = cpu ? this.files.readOptional(join(cpu, 'cpu.stat')) : undefined;
    if (cpuStat !== undefined) {
      const s = keyValues(cpuStat);
      m.cpu_periods = s.get('nr_periods') ?? null;
      m.cpu_throttled_periods = s.get('nr_throttled') ?? null;
      m.cpu_throttled_ns = s.get('throttled_time') ?? null;
    }
    const blkio = this.dirs.get('blkio');
    const io = blkio
      ? (this.files.readOptional(join(blkio, 'blkio.throttle.io_service_bytes')) ??
        this.files.readOptional(join(blkio, 'blkio.io_service_bytes_recursive')))
      : undefined;
    if (io !== undefined) {
      const { read, write } = parseBlkioV1(io);
      m.io_read_bytes = read;
      m.io_write_bytes = write;
    }
    return m;
  }

  private readV2(): Measures {
    const m = emptyMeasures('cgroup-v2');
    const dir = this.dirs.get('')!;
    const cpu = keyValues(this.files.read(join(dir, 'cpu.stat')));
    const us = (k: string) => (cpu.has(k) ? cpu.get(k)! * 1000 : null);
    m.cpu_total_ns = us('usage_usec');
    m.cpu_user_ns = us('user_usec');
    m.cpu_system_ns = us('system_usec');
    m.cpu_periods = cpu.get('nr_periods') ?? null;
    m.cpu_throttled_periods = cpu.get('nr_throttled') ?? null;
    m.cpu_throttled_ns = us('throttled_usec');
    m.memory_usage_bytes = this.readNumber(join(dir, 'memory.current'));
    const max = this.files.readOptional(join(dir, 'memory.max'))?.trim();
    m.memory_limit_bytes = max === undefined || max === 'max' ? null : Number(max);
    const mstat = this.files.read(join(dir, 'memory.stat'));
    m.memory_rss_bytes = statValue(mstat, 'anon');
    m.memory_cache_bytes = statValue(mstat, 'file');
    const pids = this.files.readOptional(join(dir, 'pids.current'));
    if (pids !== undefined) m.pids = Number(pids.trim());
    const io = this.files.readOptional(join(dir, 'io.stat'));
    if (io !== undefined) {
      const { read, write } = parseIoStatV2(io);
      m.io_read_bytes = read;
      m.io_write_bytes = write;
    }
    return m;
  }
}
