/**
 * Reads a container's resource counters from its cgroup files, cgroup v1 or v2, synchronously:
 * each file is a few µs to read (no Docker API round trip, which costs about 1 s per stats call).
 * The cost of a sample is mostly the number of files (one pread each), so each measure comes from
 * the file that carries the most of them: a full read on v1 is 6 or 7 files (cpuacct.usage,
 * cpuacct.usage_all, memory.usage_in_bytes, memory.stat with the limit, pids.current, blkio, and
 * cpu.stat when a CPU quota is set: see readThrottling), on v2 6 (cpu.stat carries all CPU
 * measures). Files stay open between samples and are parsed as bytes into a Measures object the
 * caller may reuse (see read()).
 *
 * An idle cgroup costs 3 reads. The CPU time total (cpuacct.usage, or cpu.stat on v2), the memory
 * charge (memory.usage_in_bytes, memory.current) and pids.current are read at every sample. When
 * neither the total nor the charge moved since the last full read, no task of the cgroup ran and
 * nothing was charged or uncharged, so the measures that only move with them (the user/system
 * split, memory.stat's rss and cache, the limit, block I/O) are carried over from that read
 * instead of read again, for at most IDLE_REFRESH_MS. Those values lag by at most that long: a
 * tick being accounted on another CPU while the total is read, the kernel's deferred flush of
 * memory.stat, a change to rss or cache that the charge does not show yet (the kernel charges in
 * per-CPU batches), I/O completing while its task sleeps, or a limit changed by `docker update`.
 * cAdvisor's dynamic housekeeping does the same for idle containers, but by sampling them less
 * often; here every sample is still taken.
 *
 * Where a container's cgroup is: v1 `<root>/<controller>/docker/<id>` (cgroupfs driver) or
 * `<root>/<controller>/system.slice/docker-<id>.scope` (systemd driver); v2 the same paths in the
 * unified tree. When neither exists, the paths /proc/<pid>/cgroup gives for the container's
 * main process are tried. No cgroup found: CgroupReader.open() answers undefined (the caller
 * falls back to the Docker stats stream).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineKeys, latin1, lineEnd, lineValues, scan, uintAt } from './kernel-text.js';
import { emptyMeasures, type Measures } from './measures.js';
import { type KernelFile, KernelFiles, kernelBuffer } from './pread.js';

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

/**
 * Sums the `maj:min Read N` and `maj:min Write N` lines of a v1 blkio *io_service_bytes file
 * (bytes buf[0, n)) into out[0] (read) and out[1] (written).
 */
export function sumBlkioV1(buf: Uint8Array, n: number, out: Float64Array): void {
  let read = 0;
  let write = 0;
  let at = 0;
  while (at < n) {
    const eol = lineEnd(buf, at, n);
    const dev = buf.indexOf(0x20, at);
    if (dev > at && dev < eol) {
      let op = dev + 1;
      while (op < eol && buf[op] !== 0x20) op++;
      const length = op - dev - 1;
      // 'Read' / 'Write' (Sync, Async, Discard and Total lines are other sums of the same bytes)
      if (length === 4 && buf[dev + 1] === 0x52 && buf[dev + 2] === 0x65 && buf[dev + 3] === 0x61) {
        const v = uintAt(buf, op, eol);
        if (!Number.isNaN(v)) read += v;
      } else if (length === 5 && buf[dev + 1] === 0x57 && buf[dev + 2] === 0x72) {
        const v = uintAt(buf, op, eol);
        if (!Number.isNaN(v)) write += v;
      }
    }
    at = eol + 1;
  }
  out[0] = read;
  out[1] = write;
}

/** Sums the rbytes= and wbytes= fields over the devices of a v2 io.stat file into out[0], out[1]. */
export function sumIoStatV2(buf: Uint8Array, n: number, out: Float64Array): void {
  let read = 0;
  let write = 0;
  // A field starts after a space or a newline (or at 0): `rbytes=N` / `wbytes=N`.
  for (let at = 0; at + 7 < n; at++) {
    if (at > 0 && buf[at - 1] !== 0x20 && buf[at - 1] !== 0x0a) continue;
    const c = buf[at];
    if ((c !== 0x72 && c !== 0x77) || buf[at + 6] !== 0x3d || !isBytesWord(buf, at + 1)) continue;
    const v = uintAt(buf, at + 7, n);
    if (!Number.isNaN(v)) {
      if (c === 0x72) read += v;
      else write += v;
    }
    at = scan.end;
  }
  out[0] = read;
  out[1] = write;
}

const BYTES = latin1('bytes');
function isBytesWord(buf: Uint8Array, at: number): boolean {
  for (let j = 0; j < 5; j++) if (buf[at + j] !== BYTES[j]) return false;
  return true;
}

/** String forms of the block I/O parsers (tests, one-off reads). */
export function parseBlkioV1(text: string): { read: number; write: number } {
  const b = latin1(text);
  sumBlkioV1(b, b.length, pair);
  return { read: pair[0]!, write: pair[1]! };
}
export function parseIoStatV2(text: string): { read: number; write: number } {
  const b = latin1(text);
  sumIoStatV2(b, b.length, pair);
  return { read: pair[0]!, write: pair[1]! };
}

/**
 * Sums the user and system columns of a v1 cpuacct.usage_all file (`cpu user system` then one
 * line per possible CPU, ns) into out[0], out[1]; answers the number of CPU lines.
 */
export function sumUsageAll(buf: Uint8Array, n: number, out: Float64Array): number {
  let user = 0;
  let system = 0;
  let cpus = 0;
  let at = lineEnd(buf, 0, n) + 1; // the header
  while (at < n) {
    const eol = lineEnd(buf, at, n);
    uintAt(buf, at, eol); // the CPU number
    const u = uintAt(buf, scan.end, eol);
    const s = uintAt(buf, scan.end, eol);
    if (!Number.isNaN(u) && !Number.isNaN(s)) {
      user += u;
      system += s;
      cpus++;
    }
    at = eol + 1;
  }
  out[0] = user;
  out[1] = system;
  return cpus;
}

/**
 * cpuacct.usage_all lists every possible CPU: one read instead of usage_user + usage_sys on small
 * hosts, but its length grows with the CPUs; past this many the two short files are read instead.
 */
const USAGE_ALL_MAX_CPUS = 8;
/** How often a v1 cgroup without a CPU quota has its quota (and throttling counters) looked at. */
const QUOTA_RECHECK_MS = 1000;
/** The longest an idle cgroup's carried measures go without being read again (module comment). */
export const IDLE_REFRESH_MS = 1000;

type Carried =
  | 'cpu_user_ns'
  | 'cpu_system_ns'
  | 'memory_rss_bytes'
  | 'memory_cache_bytes'
  | 'memory_limit_bytes'
  | 'io_read_bytes'
  | 'io_write_bytes';
const V2_CARRIED: readonly Carried[] = [
  'memory_rss_bytes',
  'memory_cache_bytes',
  'memory_limit_bytes',
  'io_read_bytes',
  'io_write_bytes',
];
const V1_CARRIED: readonly Carried[] = ['cpu_user_ns', 'cpu_system_ns', ...V2_CARRIED];

/** The measures of a cgroup's last full read that its idleness keeps still (module comment). */
class IdleCarry {
  private cpuTotal: number | null = null;
  private memoryUsage: number | null = null;
  private fullAtMs = Number.NEGATIVE_INFINITY;
  private readonly values: (number | null)[];

  constructor(
    private readonly keys: readonly Carried[],
    private readonly refreshMs: number,
  ) {
    this.values = keys.map(() => null);
  }

  /**
   * With m's CPU total and memory charge just read: when neither moved since the last full read
   * and that read is recent, sets m's carried measures from it and answers true; otherwise false
   * (the caller reads them and save()s).
   */
  carry(m: Measures): boolean {
    if (
      m.cpu_total_ns === null ||
      m.cpu_total_ns !== this.cpuTotal ||
      m.memory_usage_bytes !== this.memoryUsage ||
      performance.now() - this.fullAtMs >= this.refreshMs
    )
      return false;
    for (let i = 0; i < this.keys.length; i++) m[this.keys[i]!] = this.values[i]!;
    return true;
  }

  save(m: Measures): void {
    this.cpuTotal = m.cpu_total_ns;
    this.memoryUsage = m.memory_usage_bytes;
    this.fullAtMs = performance.now();
    for (let i = 0; i < this.keys.length; i++) this.values[i] = m[this.keys[i]!];
  }
}

const V1_MEMORY_KEYS = new LineKeys([
  'total_rss',
  'rss',
  'total_cache',
  'cache',
  'hierarchical_memory_limit',
]);
const V1_CPU_KEYS = new LineKeys(['nr_periods', 'nr_throttled', 'throttled_time']);
const V1_CPUACCT_STAT_KEYS = new LineKeys(['user', 'system']);
const V2_CPU_KEYS = new LineKeys([
  'usage_usec',
  'user_usec',
  'system_usec',
  'nr_periods',
  'nr_throttled',
  'throttled_usec',
]);
const V2_MEMORY_KEYS = new LineKeys(['anon', 'file']);
/** Scratch for parsed values: one sample at a time on a thread. */
const values = new Float64Array(8);
const pair = new Float64Array(2);

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);
/** The single number a file holds (cpuacct.usage, memory.current, ...). */
function readUint(file: KernelFile): number {
  return uintAt(kernelBuffer, 0, file.read());
}

/** The v1 files of one container, opened at their first read. */
class V1Files {
  readonly usage: KernelFile;
  readonly usageAll: KernelFile;
  readonly usageUser: KernelFile;
  readonly usageSys: KernelFile;
  readonly cpuacctStat: KernelFile;
  readonly memoryUsage: KernelFile;
  readonly memoryLimit: KernelFile;
  readonly memoryStat: KernelFile;
  readonly pids: KernelFile | undefined;
  readonly cpuStat: KernelFile | undefined;
  readonly cfsQuota: KernelFile | undefined;
  /** cpu.stat's values as last read, and when the quota was last looked at (performance.now()). */
  periods: number | null = null;
  throttledPeriods: number | null = null;
  throttledNs: number | null = null;
  quotaCheckedAtMs = Number.NEGATIVE_INFINITY;
  quotaSet = true;
  readonly blkio: KernelFile | undefined;
  readonly blkioRecursive: KernelFile | undefined;
  /** false once usage_all was found missing or too long (see USAGE_ALL_MAX_CPUS). */
  useUsageAll = true;
  readonly idle: IdleCarry;

  constructor(files: KernelFiles, dirs: Map<string, string>, idleRefreshMs: number) {
    this.idle = new IdleCarry(V1_CARRIED, idleRefreshMs);
    const cpuacct = dirs.get('cpuacct')!;
    const memory = dirs.get('memory')!;
    const at = (dir: string | undefined, name: string) =>
      dir === undefined ? undefined : files.file(join(dir, name));
    this.usage = files.file(join(cpuacct, 'cpuacct.usage'));
    this.usageAll = files.file(join(cpuacct, 'cpuacct.usage_all'));
    this.usageUser = files.file(join(cpuacct, 'cpuacct.usage_user'));
    this.usageSys = files.file(join(cpuacct, 'cpuacct.usage_sys'));
    this.cpuacctStat = files.file(join(cpuacct, 'cpuacct.stat'));
    this.memoryUsage = files.file(join(memory, 'memory.usage_in_bytes'));
    this.memoryLimit = files.file(join(memory, 'memory.limit_in_bytes'));
    this.memoryStat = files.file(join(memory, 'memory.stat'));
    this.pids = at(dirs.get('pids'), 'pids.current');
    this.cpuStat = at(dirs.get('cpu'), 'cpu.stat');
    this.cfsQuota = at(dirs.get('cpu'), 'cpu.cfs_quota_us');
    this.blkio = at(dirs.get('blkio'), 'blkio.throttle.io_service_bytes');
    this.blkioRecursive = at(dirs.get('blkio'), 'blkio.io_service_bytes_recursive');
  }
}

/** The v2 files of one container (one folder), opened at their first read. */
class V2Files {
  readonly cpuStat: KernelFile;
  readonly memoryCurrent: KernelFile;
  readonly memoryMax: KernelFile;
  readonly memoryStat: KernelFile;
  readonly pids: KernelFile;
  readonly ioStat: KernelFile;
  readonly idle: IdleCarry;

  constructor(files: KernelFiles, dir: string, idleRefreshMs: number) {
    this.idle = new IdleCarry(V2_CARRIED, idleRefreshMs);
    this.cpuStat = files.file(join(dir, 'cpu.stat'));
    this.memoryCurrent = files.file(join(dir, 'memory.current'));
    this.memoryMax = files.file(join(dir, 'memory.max'));
    this.memoryStat = files.file(join(dir, 'memory.stat'));
    this.pids = files.file(join(dir, 'pids.current'));
    // Empty for a cgroup that has done no block I/O yet: not a sign that it is gone.
    this.ioStat = files.file(join(dir, 'io.stat'), true);
  }
}

/** One container's cgroup, located once; read() costs a handful of small file reads. */
export class CgroupReader {
  private readonly files = new KernelFiles();
  private readonly v1: V1Files | undefined;
  private readonly v2: V2Files | undefined;

  private constructor(
    readonly version: CgroupVersion,
    /** v1: a folder per controller; v2: one folder under '' */
    dirs: Map<string, string>,
    idleRefreshMs: number,
  ) {
    if (version === 1) this.v1 = new V1Files(this.files, dirs, idleRefreshMs);
    else this.v2 = new V2Files(this.files, dirs.get('')!, idleRefreshMs);
  }

  /**
   * Locates the container's cgroup; undefined when there is none to read (not on this host, not
   * started yet, or the cgroup tree is not mounted). `idleRefreshMs` bounds how long an idle
   * cgroup's measures are carried over (module comment); 0 reads every file at every sample.
   */
  static open(
    containerId: string,
    pid?: number,
    root = CGROUP_ROOT,
    idleRefreshMs = IDLE_REFRESH_MS,
  ): CgroupReader | undefined {
    const version = cgroupVersion(root);
    const fromProc = pid !== undefined && pid > 0 ? procCgroupPaths(pid) : new Map<string, string>();
    if (version === 2) {
      const rels = [...candidates(containerId), ...(fromProc.has('') ? [fromProc.get('')!] : [])];
      for (const rel of rels) {
        const dir = join(root, rel);
        if (existsSync(join(dir, 'cgroup.procs')))
          return new CgroupReader(2, new Map([['', dir]]), idleRefreshMs);
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
    return new CgroupReader(1, dirs, idleRefreshMs);
  }

  /**
   * The container's counters now, written into `into` (every measure set, null when not
   * available) and answered: a caller that samples often passes the same object each time (a
   * table row) so that a sample allocates nothing. Throws (ENOENT, ENODEV: isGone()) when the
   * cgroup has gone since open(): the container was removed; then close() it. Optional files
   * (throttling, blkio, pids) missing give nulls.
   */
  read(into: Measures = emptyMeasures(this.version === 2 ? 'cgroup-v2' : 'cgroup-v1')): Measures {
    if (this.v1) readV1(this.v1, into);
    else readV2(this.v2!, into);
    return into;
  }

  /** Closes the files kept open between reads. */
  close(): void {
    this.files.close();
  }
}

/** Block I/O read and written from the n bytes of its file in kernelBuffer; nulls when n < 0 (no file). */
function setIo(m: Measures, n: number, sum: (buf: Uint8Array, n: number, out: Float64Array) => void): void {
  if (n >= 0) sum(kernelBuffer, n, pair);
  m.io_read_bytes = n >= 0 ? pair[0]! : null;
  m.io_write_bytes = n >= 0 ? pair[1]! : null;
}

/** cgroup v1: see the module comment for which file gives what. */
function readV1(f: V1Files, m: Measures): void {
  const buf = kernelBuffer;
  m.source = 'cgroup-v1';
  // cpuacct.usage first: the file a removed container fails on before anything is set.
  m.cpu_total_ns = orNull(readUint(f.usage));
  m.memory_usage_bytes = orNull(readUint(f.memoryUsage));
  m.pids = f.pids ? orNull(readUint(f.pids)) : null;
  readThrottling(f);
  m.cpu_periods = f.periods;
  m.cpu_throttled_periods = f.throttledPeriods;
  m.cpu_throttled_ns = f.throttledNs;
  if (f.idle.carry(m)) return;
  let n = f.useUsageAll ? f.usageAll.readOptional() : -1;
  if (n >= 0) {
    if (sumUsageAll(buf, n, pair) > USAGE_ALL_MAX_CPUS) f.useUsageAll = false;
    m.cpu_user_ns = pair[0]!;
    m.cpu_system_ns = pair[1]!;
  } else {
    f.useUsageAll = false;
    n = f.usageUser.readOptional();
    const user = n < 0 ? Number.NaN : uintAt(buf, 0, n);
    n = n < 0 ? -1 : f.usageSys.readOptional();
    if (n >= 0) {
      m.cpu_user_ns = orNull(user);
      m.cpu_system_ns = orNull(uintAt(buf, 0, n));
    } else {
      // Kernels before 4.7: USER_HZ ticks only.
      lineValues(buf, f.cpuacctStat.read(), V1_CPUACCT_STAT_KEYS, values);
      m.cpu_user_ns = (Number.isNaN(values[0]!) ? 0 : values[0]!) * NS_PER_TICK;
      m.cpu_system_ns = (Number.isNaN(values[1]!) ? 0 : values[1]!) * NS_PER_TICK;
    }
  }
  // memory.stat (~40 lines, the costliest file) also carries the limit, as the smallest of this
  // cgroup's and its parents' (for a container: its own); an old kernel without it: limit_in_bytes.
  lineValues(buf, f.memoryStat.read(), V1_MEMORY_KEYS, values);
  m.memory_rss_bytes = orNull(Number.isNaN(values[0]!) ? values[1]! : values[0]!);
  m.memory_cache_bytes = orNull(Number.isNaN(values[2]!) ? values[3]! : values[2]!);
  const limit = Number.isNaN(values[4]!) ? readUint(f.memoryLimit) : values[4]!;
  m.memory_limit_bytes = Number.isNaN(limit) || limit >= UNLIMITED ? null : limit;
  n = f.blkio ? f.blkio.readOptional() : -1;
  if (n < 0 && f.blkioRecursive) n = f.blkioRecursive.readOptional();
  setIo(m, n, sumBlkioV1);
  f.idle.save(m);
}

/**
 * v1 throttling (cpu.stat) into f. Its counters only move while a CFS quota is set (the kernel's
 * bandwidth timer runs only then), so without a quota cpu.stat is read once per
 * QUOTA_RECHECK_MS, with the quota, instead of at every sample: the values are the same, except
 * during the at most QUOTA_RECHECK_MS after a quota is set on a running container, when they
 * lag. A quota file that cannot be read counts as a quota (cpu.stat read each time).
 */
function readThrottling(f: V1Files): void {
  if (!f.cpuStat) return;
  const now = performance.now();
  const check = now - f.quotaCheckedAtMs >= QUOTA_RECHECK_MS;
  if (check) {
    f.quotaCheckedAtMs = now;
    const q = f.cfsQuota!.readOptional();
    f.quotaSet = q <= 0 || kernelBuffer[0] !== 0x2d; // '-1': no quota
  }
  if (!check && !f.quotaSet) return;
  const n = f.cpuStat.readOptional();
  if (n < 0) return; // no cpu.stat: nulls
  lineValues(kernelBuffer, n, V1_CPU_KEYS, values);
  f.periods = orNull(values[0]!);
  f.throttledPeriods = orNull(values[1]!);
  f.throttledNs = orNull(values[2]!);
}

/** cgroup v2: cpu.stat, memory.current, memory.max, memory.stat, pids.current, io.stat. */
function readV2(f: V2Files, m: Measures): void {
  const buf = kernelBuffer;
  m.source = 'cgroup-v2';
  lineValues(buf, f.cpuStat.read(), V2_CPU_KEYS, values);
  const us = (v: number) => (Number.isNaN(v) ? null : v * 1000);
  m.cpu_total_ns = us(values[0]!);
  m.cpu_user_ns = us(values[1]!);
  m.cpu_system_ns = us(values[2]!);
  m.cpu_periods = orNull(values[3]!);
  m.cpu_throttled_periods = orNull(values[4]!);
  m.cpu_throttled_ns = us(values[5]!);
  m.memory_usage_bytes = orNull(readUint(f.memoryCurrent));
  const p = f.pids.readOptional();
  m.pids = p < 0 ? null : orNull(uintAt(buf, 0, p));
  if (f.idle.carry(m)) return;
  const n = f.memoryMax.readOptional();
  m.memory_limit_bytes = n < 0 ? null : orNull(uintAt(buf, 0, n)); // 'max': no digits, no limit
  lineValues(buf, f.memoryStat.read(), V2_MEMORY_KEYS, values);
  m.memory_rss_bytes = orNull(values[0]!);
  m.memory_cache_bytes = orNull(values[1]!);
  setIo(m, f.ioStat.readOptional(), sumIoStatV2);
  f.idle.save(m);
}
