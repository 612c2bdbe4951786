import type { Percentiles } from './types.js';

/** Helpers shared by the readers of per-invocation traces (plain CSV, FaaSLoad). */

/** The percentiles percentilesOf reports, those of Azure 2019's durations. */
export const SUMMARY_PERCENTILES = [0, 1, 25, 50, 75, 99, 100] as const;

/**
 * The distribution of `values` (NaN = unknown, skipped) as SUMMARY_PERCENTILES with linear
 * interpolation between order statistics (numpy's default), and the average; undefined when no
 * value is known. Sorts a copy: O(n log n) time, 8 bytes per value.
 */
export function percentilesOf(values: Float64Array): Percentiles | undefined {
  const known = values.filter((v) => !Number.isNaN(v)).sort();
  if (known.length === 0) return undefined;
  let sum = 0;
  for (const v of known) sum += v;
  const points = SUMMARY_PERCENTILES.map((p): [number, number] => {
    const rank = (p / 100) * (known.length - 1);
    const lo = Math.floor(rank);
    const hi = Math.min(lo + 1, known.length - 1);
    return [p, known[lo]! + (known[hi]! - known[lo]!) * (rank - lo)];
  });
  return { average: sum / known.length, points };
}
