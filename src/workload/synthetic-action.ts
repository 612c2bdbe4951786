/**
 * The synthetic function that every replay deploys, as JavaScript source for an action runtime
 * (faasload's proxy, or any OpenWhisk Node.js runtime): the trace says how long an invocation ran
 * and how much memory its function had; this function reproduces both.
 *
 * `main({durationMs, memoryMb})`:
 * - memory: memoryMb is the instance's resident footprint while it runs, the runtime's own
 *   included, as a platform measures a function's memory. The call measures the runtime's
 *   footprint (anonymous resident memory: /proc/self/status RssAnon + RssShmem, what a memory
 *   cgroup charges, without the node binary's shared pages; process.memoryUsage.rss() where
 *   /proc is not readable) and holds memoryMb minus that, minus HEADROOM_MB (so that the
 *   footprint stays within the trace's memory by a few MB, below a limit equal to it), in 1 MiB
 *   chunks kept at module level: added when a call asks for more (an instance keeps the most its
 *   calls asked, like a heap that grew; growing never copies, so the footprint never holds an old
 *   and a new copy at once), all freed once the instance has been idle for IDLE_RELEASE_MS
 *   (SYNTHETIC_IDLE_RELEASE_MS, or the /init env's FAASLOAD_IDLE_RELEASE_MS; Infinity keeps them):
 *   the trace's memory is what an instance holds while it runs, so an idle instance costs its
 *   runtime alone (about 8 MB), and a host fits many. The cost: the next call faults its pages
 *   in again (on a loaded 2-core VM, 368 ms for 128 MiB against 2 ms to write them resident),
 *   counted in its duration. Every call writes one byte in each 4 KiB page of the
 *   chunks it needs, so they are resident; the writing stops early at the activation's deadline
 *   (process.env.__OW_DEADLINE, epoch ms), checked once per MiB. A memoryMb below the runtime's
 *   own footprint (about 10 MB of node) holds that footprint.
 * - time: then busy-computes on one core until durationMs have passed since the call started
 *   (performance.now()), so allocation and page writing count towards the duration. This part is
 *   not bounded by the deadline: the platform enforces its time limit by killing the instance.
 * - returns {execMs, cpuMs, writtenMb, runtimeMb, residentMb, pid}: the time spent in main, the
 *   CPU time (user + system) the process used meanwhile, the MiB written by this call (less than
 *   asked only when the deadline cut the writing short), the runtime's footprint it measured, the
 *   instance's footprint after the writing (MiB, same measure) and the process id.
 *
 * Missing, negative or non-numeric parameters count as 0.
 */

/** The name of the function that SYNTHETIC_ACTION_CODE defines. */
export const SYNTHETIC_ACTION_MAIN = 'main';

/** MB kept below the trace's memory, for the runtime's transient allocations (see above). */
export const SYNTHETIC_HEADROOM_MB = 4;

/**
 * How long an idle instance keeps the memory its calls asked for (ms): long enough that a function
 * called every few seconds never faults its memory in again, short against a 10-minute keep-alive.
 */
export const SYNTHETIC_IDLE_RELEASE_MS = 10_000;

/** The /init env variable that sets how long (ms) an idle instance keeps its memory (see above). */
export const SYNTHETIC_IDLE_RELEASE_ENV = 'FAASLOAD_IDLE_RELEASE_MS';

/** What the synthetic function takes (an Arrival's requested duration and memory). */
export interface SyntheticParams {
  durationMs?: number;
  memoryMb?: number;
}

/** What the synthetic function returns. */
export interface SyntheticResult {
  execMs: number;
  cpuMs: number;
  writtenMb: number;
  runtimeMb: number;
  residentMb: number;
  pid: number;
}

/** The action's source. Plain ES2020 JavaScript using only Node globals (Buffer, performance, process, require). */
export const SYNTHETIC_ACTION_CODE = `'use strict';
const PAGE_BYTES = 4096;
const MIB = 1048576;
const HEADROOM_MB = ${SYNTHETIC_HEADROOM_MB};
// Past this (4 TiB) the call fails (a 502, the instance stays): no platform holds that much.
const MAX_MB = 4194304;
const IDLE_RELEASE_MS = ${SYNTHETIC_IDLE_RELEASE_MS};
const chunks = [];
let spin = 1;
let lastEndMs = 0;
let releaseTimer;

function idleReleaseMs() {
  const v = Number(process.env.${SYNTHETIC_IDLE_RELEASE_ENV});
  return process.env.${SYNTHETIC_IDLE_RELEASE_ENV} !== undefined && v >= 0 ? v : IDLE_RELEASE_MS;
}

// The chunks' memory goes back to the system at the next full collection, forced here (the
// flag exposes gc() to a new context only; the proxy's own context is unchanged).
let collect;
function collectGarbage() {
  try {
    if (!collect) {
      require('node:v8').setFlagsFromString('--expose-gc');
      collect = require('node:vm').runInNewContext('gc');
    }
    collect();
  } catch (e) {
    // no forced collection here: the memory goes at the next one V8 makes
  }
}

// Frees the chunks once no call has ended for the idle time; the timer does not keep the process up.
function releaseWhenIdle() {
  const waitMs = idleReleaseMs();
  if (releaseTimer !== undefined || chunks.length === 0 || !Number.isFinite(waitMs)) return;
  releaseTimer = setTimeout(function check() {
    const idleMs = performance.now() - lastEndMs;
    if (idleMs < waitMs) {
      releaseTimer = setTimeout(check, waitMs - idleMs);
      if (releaseTimer.unref) releaseTimer.unref();
      return;
    }
    releaseTimer = undefined;
    chunks.length = 0;
    collectGarbage();
  }, waitMs);
  if (releaseTimer.unref) releaseTimer.unref();
}

function residentMb() {
  try {
    const status = require('node:fs').readFileSync('/proc/self/status', 'utf8');
    const kb = (re) => Number((re.exec(status) || [])[1] || 0);
    return (kb(/^RssAnon:\\s+(\\d+)/m) + kb(/^RssShmem:\\s+(\\d+)/m)) / 1024;
  } catch (e) {
    return process.memoryUsage.rss() / MIB;
  }
}

function main(params) {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const durationMs = Math.max(0, Number(params && params.durationMs) || 0);
  const memoryMb = Math.max(0, Number(params && params.memoryMb) || 0);
  // The chunks are resident (every call writes them): the rest is the runtime's own.
  const runtimeMb = Math.max(0, residentMb() - chunks.length);
  const want = memoryMb > 0 ? Math.max(0, Math.floor(memoryMb - HEADROOM_MB - runtimeMb)) : 0;
  if (want > MAX_MB) throw new RangeError('memoryMb ' + memoryMb + ' is more than an instance can hold');
  while (chunks.length < want) chunks.push(Buffer.alloc(MIB));
  const deadline = Number(process.env.__OW_DEADLINE) || Infinity;
  let written = 0;
  for (let c = 0; c < want; c++) {
    if (Date.now() >= deadline) break;
    const chunk = chunks[c];
    for (let i = 0; i < MIB; i += PAGE_BYTES) chunk[i] = (chunk[i] + 1) & 0xff;
    written++;
  }
  const resident = residentMb();
  while (performance.now() - started < durationMs) {
    for (let k = 0; k < 1000; k++) spin = (spin * 48271) % 2147483647;
  }
  const cpu = process.cpuUsage(cpu0);
  lastEndMs = performance.now();
  releaseWhenIdle();
  return {
    execMs: performance.now() - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    writtenMb: written,
    runtimeMb,
    residentMb: resident,
    pid: process.pid,
  };
}
`;
