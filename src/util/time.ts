import { performance } from 'node:perf_hooks';

/** This thread's performance.timeOrigin, read once: its getter allocates a number on every call. */
const ORIGIN_MS = performance.timeOrigin;

/**
 * Wall-clock time in epoch microseconds with performance.now()'s resolution and monotonicity:
 * the epoch anchor is taken once (performance.timeOrigin), so it never jumps with NTP within a run.
 * Allocates nothing: the precise clock calls it in a spin.
 */
export function epochUs(): number {
  return Math.round((ORIGIN_MS + performance.now()) * 1000);
}
