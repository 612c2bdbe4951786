/**
 * Synchronous readers of /proc: one process's counters (the process monitor, every sample
 * interval: parsed as bytes) and the host's (the host monitor, once a second: parsed as text).
 * Each read is a few small files; they never sleep. A process that has exited
 * throws ENOENT/ESRCH (isGone()).
 */
import { existsSync, readFileSync } from 'node:fs';
import { errnoCodeOf } from '../util/message.js';
import { LineKeys, lineValues, scan, uintAt } from './kernel-text.js';
import { emptyMeasures, type Measures } from './measures.js';
import { KernelFile, type KernelFiles, kernelBuffer } from './pread.js';

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
const IO_KEYS = new LineKeys(['read_bytes', 'write_bytes']);
const ioValues = new Float64Array(2);

/**
 * A process's measures from /proc/<pid>: CPU (10 ms ticks) and threads from stat, memory (RSS,
 * split into anonymous and file-backed + shared) from statm, I/O bytes from io: three small
 * files (not the long status file), kept open between reads and parsed as bytes. One reader
 * per process; read() writes into the object it is given (a table row), allocating nothing.
 */
export class ProcessReader {
  private readonly stat: KernelFile;
  private readonly statm: KernelFile;
  private readonly io: KernelFile;
  /** /proc/<pid>/io of another user's process is not readable (EACCES): no I/O, not retried. */
  private ioDenied = false;

  constructor(
    readonly pid: number,
    procRoot = '/proc',
  ) {
    this.stat = new KernelFile(`${procRoot}/${pid}/stat`);
    this.statm = new KernelFile(`${procRoot}/${pid}/statm`);
    this.io = new KernelFile(`${procRoot}/${pid}/io`);
  }

  /**
   * The counters now, into `into` (every measure set) and answered. Throws ENOENT/ESRCH
   * (isGone()) once the process has exited; then close() the reader.
   */
  read(into: Measures = emptyMeasures('proc')): Measures {
    const buf = kernelBuffer;
    const m = into;
    m.source = 'proc';
    let n = this.stat.read();
    // Fields after the command name (which may hold spaces and parentheses: the last ')' ends
    // it), numbered as in proc(5): state is 3, utime 14, stime 15, num_threads 20.
    let at = buf.lastIndexOf(0x29, n - 1) + 2;
    let utime = Number.NaN;
    let stime = Number.NaN;
    let threads = Number.NaN;
    for (let field = 3; field <= 20 && at > 1 && at < n; field++) {
      if (field === 14) utime = uintAt(buf, at, n);
      else if (field === 15) stime = uintAt(buf, at, n);
      else if (field === 20) threads = uintAt(buf, at, n);
      at = buf.indexOf(0x20, at) + 1;
      if (at === 0 || at > n) break;
    }
    m.cpu_user_ns = Number.isNaN(utime) ? null : utime * TICK_NS;
    m.cpu_system_ns = Number.isNaN(stime) ? null : stime * TICK_NS;
    m.cpu_total_ns = m.cpu_user_ns === null || m.cpu_system_ns === null ? null : (utime + stime) * TICK_NS;
    m.pids = Number.isNaN(threads) ? null : threads;
    // statm: size resident shared text lib data dt, in pages; shared = file-backed + shmem.
    n = this.statm.read();
    uintAt(buf, 0, n);
    const resident = uintAt(buf, scan.end, n) * PAGE_BYTES;
    const shared = uintAt(buf, scan.end, n) * PAGE_BYTES;
    m.memory_usage_bytes = Number.isNaN(resident) ? null : resident;
    m.memory_rss_bytes = Number.isNaN(resident - shared) ? null : resident - shared;
    m.memory_cache_bytes = Number.isNaN(shared) ? null : shared;
    m.memory_limit_bytes = null;
    m.cpu_periods = null;
    m.cpu_throttled_periods = null;
    m.cpu_throttled_ns = null;
    m.io_read_bytes = null;
    m.io_write_bytes = null;
    if (!this.ioDenied) {
      try {
        lineValues(buf, this.io.read(), IO_KEYS, ioValues);
        m.io_read_bytes = Number.isNaN(ioValues[0]!) ? null : ioValues[0]!;
        m.io_write_bytes = Number.isNaN(ioValues[1]!) ? null : ioValues[1]!;
      } catch (e) {
        if (errnoCodeOf(e) !== 'EACCES') throw e;
        this.ioDenied = true; // another user's process: no I/O
      }
    }
    return m;
  }

  close(): void {
    this.stat.close();
    this.statm.close();
    this.io.close();
  }
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
