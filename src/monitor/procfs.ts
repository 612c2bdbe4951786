/**
 * Synchronous readers of /proc: one process's counters (the process monitor) and the host's
 * (the host monitor). Each read is a few small files; they never sleep. A process that has exited
 * throws ENOENT/ESRCH (isGone()).
 */
import { existsSync, readFileSync } from 'node:fs';
import { emptyMeasures, type Measures } from './measures.js';
import type { KernelFiles } from './pread.js';

/** USER_HZ: the kernel reports process and host CPU times in 1/100 s on Linux. */
const TICK_NS = 10_000_000;
const TICK_MS = 10;

/** Fields of /proc/<pid>/stat after the command name, numbered as in proc(5) from 3 (state). */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** kB values of /proc/<pid>/status or /proc/meminfo lines `Name:   123 kB`, in bytes. */
export function parseKbLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(\s+kB)?/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
}

/** Page size for /proc/<pid>/statm (4 KiB on the architectures Node runs on here). */
const PAGE_BYTES = 4096;

/**
 * A process's measures: CPU (10 ms ticks), memory (RSS, split into anonymous and file-backed +
 * shared from statm: two small files instead of the long status file), threads, I/O bytes.
 * `files` keeps the process's files open between calls (one KernelFiles per process).
 */
export function readProcess(pid: number, files: KernelFiles, procRoot = '/proc'): Measures {
  const m = emptyMeasures('proc');
  const f = statFields(files.read(`${procRoot}/${pid}/stat`));
  // proc(5): utime is field 14, stime 15, num_threads 20; f[0] is field 3.
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  m.cpu_user_ns = utime * TICK_NS;
  m.cpu_system_ns = stime * TICK_NS;
  m.cpu_total_ns = (utime + stime) * TICK_NS;
  m.pids = Number(f[17]);
  // statm: size resident shared text lib data dt, in pages; shared = file-backed + shmem.
  const statm = files.read(`${procRoot}/${pid}/statm`).split(' ');
  const resident = Number(statm[1]) * PAGE_BYTES;
  const shared = Number(statm[2]) * PAGE_BYTES;
  m.memory_usage_bytes = resident;
  m.memory_rss_bytes = resident - shared;
  m.memory_cache_bytes = shared;
  try {
    const io = files.read(`${procRoot}/${pid}/io`);
    m.io_read_bytes = ioValue(io, 'read_bytes');
    m.io_write_bytes = ioValue(io, 'write_bytes');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e; // another user's process: no I/O
  }
  return m;
}

function ioValue(text: string, key: string): number | null {
  const at = text.indexOf(`${key}: `);
  if (at < 0) return null;
  return Number.parseInt(text.slice(at + key.length + 2), 10);
}

/** The host_samples measures (HOST_SAMPLES_COLUMNS without time and tick_late_us). */
export interface HostMeasures {
  cpu_user_ms: number;
  cpu_nice_ms: number;
  cpu_system_ms: number;
  cpu_idle_ms: number;
  cpu_iowait_ms: number;
  cpu_irq_ms: number;
  cpu_softirq_ms: number;
  cpu_steal_ms: number;
  cpus: number;
  mem_total_bytes: number;
  mem_free_bytes: number;
  mem_available_bytes: number | null;
  mem_buffers_bytes: number | null;
  mem_cached_bytes: number | null;
  swap_used_bytes: number | null;
  load1: number;
  load5: number;
  load15: number;
  procs_running: number;
  net_rx_bytes: number;
  net_tx_bytes: number;
  net_rx_packets: number;
  net_tx_packets: number;
  disk_read_bytes: number;
  disk_write_bytes: number;
  disk_reads: number;
  disk_writes: number;
}

/** Whole disks only: partitions and virtual devices would count the same bytes twice. */
function isWholeDisk(name: string, sysBlock: string): boolean {
  if (/^(loop|ram|zram|dm-|md|sr|fd)/.test(name)) return false;
  return existsSync(`${sysBlock}/${name}`);
}

/** The host's counters now. `procRoot` and `sysBlock` are for tests (a fake /proc). */
export function readHost(files: KernelFiles, procRoot = '/proc', sysBlock = '/sys/block'): HostMeasures {
  const stat = files.read(`${procRoot}/stat`).split('\n');
  const cpu = stat[0]!.trim().split(/\s+/).slice(1).map(Number);
  const ms = (i: number) => (cpu[i] ?? 0) * TICK_MS;
  const cpus = stat.filter((l) => /^cpu\d+ /.test(l)).length;
  const mem = parseKbLines(files.read(`${procRoot}/meminfo`));
  const swapTotal = mem.get('SwapTotal');
  const swapFree = mem.get('SwapFree');
  const load = files.read(`${procRoot}/loadavg`).trim().split(/\s+/);
  const h: HostMeasures = {
    cpu_user_ms: ms(0),
    cpu_nice_ms: ms(1),
    cpu_system_ms: ms(2),
    cpu_idle_ms: ms(3),
    cpu_iowait_ms: ms(4),
    cpu_irq_ms: ms(5),
    cpu_softirq_ms: ms(6),
    cpu_steal_ms: ms(7),
    cpus,
    mem_total_bytes: mem.get('MemTotal') ?? 0,
    mem_free_bytes: mem.get('MemFree') ?? 0,
    mem_available_bytes: mem.get('MemAvailable') ?? null,
    mem_buffers_bytes: mem.get('Buffers') ?? null,
    mem_cached_bytes: mem.get('Cached') ?? null,
    swap_used_bytes: swapTotal !== undefined && swapFree !== undefined ? swapTotal - swapFree : null,
    load1: Number(load[0]),
    load5: Number(load[1]),
    load15: Number(load[2]),
    procs_running: Number(load[3]?.split('/')[0] ?? 0),
    net_rx_bytes: 0,
    net_tx_bytes: 0,
    net_rx_packets: 0,
    net_tx_packets: 0,
    disk_read_bytes: 0,
    disk_write_bytes: 0,
    disk_reads: 0,
    disk_writes: 0,
  };
  // /proc/net/dev: `iface: rx_bytes rx_packets errs drop fifo frame compressed multicast tx_bytes tx_packets ...`
  for (const line of files.read(`${procRoot}/net/dev`).split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const v = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    h.net_rx_bytes += v[0] ?? 0;
    h.net_rx_packets += v[1] ?? 0;
    h.net_tx_bytes += v[8] ?? 0;
    h.net_tx_packets += v[9] ?? 0;
  }
  // /proc/diskstats: `major minor name reads merged sectors_read ms writes merged sectors_written ...`
  // Not every kernel (or sandbox) has it: disk counters stay 0.
  const diskstats = files.readOptional(`${procRoot}/diskstats`) ?? '';
  for (const line of diskstats.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !isWholeDisk(f[2]!, sysBlock)) continue;
    h.disk_reads += Number(f[3]);
    h.disk_read_bytes += Number(f[5]) * 512;
    h.disk_writes += Number(f[7]);
    h.disk_write_bytes += Number(f[9]) * 512;
  }
  return h;
}

/**
 * CPU time of the calling thread (user + system), seconds, from /proc/thread-self/stat; null
 * where that file does not exist (not Linux, or a kernel before 3.17).
 */
export function threadCpuS(): number | null {
  try {
    const f = statFields(readFileSync('/proc/thread-self/stat', 'utf8'));
    return ((Number(f[11]) + Number(f[12])) * TICK_NS) / 1e9;
  } catch {
    return null;
  }
}
