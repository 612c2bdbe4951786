/**
 * The synthetic function that every replay deploys, as JavaScript source for an action runtime
 * (faasload's proxy, or any OpenWhisk Node.js runtime): the trace says how long an invocation ran
 * and how much memory its function had; this function reproduces both.
 *
 * `main({durationMs, memoryMb})`:
 * - memory: keeps one module-level Buffer of at least memoryMb MiB, allocated on the instance's
 *   first call and re-allocated larger when a later call asks for more (never shrunk). Every call
 *   writes one byte in each 4 KiB page of its first memoryMb MiB, so those pages are resident and
 *   stay so between calls: an instance holds its memory like a real function's heap, and a warm
 *   call touches already-resident pages where a cold one faults them in. The writing stops early
 *   at the activation's deadline (process.env.__OW_DEADLINE, epoch ms), checked once per MiB.
 * - time: then busy-computes on one core until durationMs have passed since the call started
 *   (performance.now()), so allocation and page writing count towards the duration. This part is
 *   not bounded by the deadline: the platform enforces its time limit by killing the instance.
 * - returns {execMs, cpuMs, memoryMb, pid}: the time spent in main, the CPU time (user + system)
 *   the process used meanwhile, the MiB written by this call (less than asked only when the
 *   deadline cut the writing short) and the instance's process id.
 *
 * Missing, negative or non-numeric parameters count as 0.
 */

/** The name of the function that SYNTHETIC_ACTION_CODE defines. */
export const SYNTHETIC_ACTION_MAIN = 'main';

/** What the synthetic function takes (an Arrival's requested duration and memory). */
export interface SyntheticParams {
  durationMs?: number;
  memoryMb?: number;
}

/** What the synthetic function returns. */
export interface SyntheticResult {
  execMs: number;
  cpuMs: number;
  memoryMb: number;
  pid: number;
}

/** The action's source. Plain ES2020 JavaScript using only Node globals (Buffer, performance, process). */
export const SYNTHETIC_ACTION_CODE = `'use strict';
const PAGE_BYTES = 4096;
const MIB = 1048576;
let heap = Buffer.alloc(0);
let spin = 1;

function main(params) {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const durationMs = Math.max(0, Number(params && params.durationMs) || 0);
  const memoryMb = Math.max(0, Number(params && params.memoryMb) || 0);
  const bytes = Math.ceil(memoryMb * MIB);
  if (bytes > heap.length) {
    heap = Buffer.alloc(0);
    heap = Buffer.alloc(bytes);
  }
  const deadline = Number(process.env.__OW_DEADLINE) || Infinity;
  let touched = 0;
  for (let i = 0; i < bytes; i += PAGE_BYTES) {
    if (i % MIB === 0 && Date.now() >= deadline) break;
    heap[i] = (heap[i] + 1) & 0xff;
    touched = Math.min(bytes, i + PAGE_BYTES);
  }
  while (performance.now() - started < durationMs) {
    for (let k = 0; k < 1000; k++) spin = (spin * 48271) % 2147483647;
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    execMs: performance.now() - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    memoryMb: touched / MIB,
    pid: process.pid,
  };
}
`;
