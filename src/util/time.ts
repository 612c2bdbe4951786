import { performance } from 'node:perf_hooks';

/**
 * Wall-clock time in epoch microseconds with performance.now()'s resolution and monotonicity:
 * the epoch anchor is taken once (performance.timeOrigin), so it never jumps with NTP within a run.
 */
export function epochUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
