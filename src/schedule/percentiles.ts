import type { Percentiles } from '../trace/types.js';

/**
 * Draws a value from a distribution known only by percentiles: `u` in [0, 1) is read as a
 * percentile and the value interpolated linearly between the neighbouring points (inverse CDF).
 * Below the first point or above the last, the end value is returned.
 */
export function samplePercentiles(dist: Percentiles, u: number): number {
  const points = dist.points;
  if (points.length === 0) return dist.average ?? 0;
  const p = u * 100;
  let lo = points[0]!;
  if (p <= lo[0]) return lo[1];
  for (let i = 1; i < points.length; i++) {
    const hi = points[i]!;
    if (p <= hi[0]) {
      const span = hi[0] - lo[0];
      return span === 0 ? hi[1] : lo[1] + ((p - lo[0]) / span) * (hi[1] - lo[1]);
    }
    lo = hi;
  }
  return lo[1];
}
