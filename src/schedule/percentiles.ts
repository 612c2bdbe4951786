import type { Percentiles } from '../trace/types.js';

/**
 * Draws a value from a distribution known only by percentiles: `u` in [0, 1) is read as a
 * percentile and the value interpolated linearly between the neighbouring points (inverse CDF).
 * Below the first point or above the last, the end value is returned.
 */
export function samplePercentiles(dist: Percentiles, u: number): number {
  return new PercentileSampler(dist).sample(u);
}

/** samplePercentiles with the points unpacked into typed arrays once, for hot loops. */
export class PercentileSampler {
  private readonly p: Float64Array;
  private readonly v: Float64Array;
  private readonly fallback: number;

  constructor(dist: Percentiles) {
    this.p = Float64Array.from(dist.points, (x) => x[0] / 100);
    this.v = Float64Array.from(dist.points, (x) => x[1]);
    this.fallback = dist.average ?? 0;
  }

  sample(u: number): number {
    const { p, v } = this;
    const n = p.length;
    if (n === 0) return this.fallback;
    if (u <= p[0]!) return v[0]!;
    for (let i = 1; i < n; i++) {
      if (u <= p[i]!) {
        const span = p[i]! - p[i - 1]!;
        return span === 0 ? v[i]! : v[i - 1]! + ((u - p[i - 1]!) / span) * (v[i]! - v[i - 1]!);
      }
    }
    return v[n - 1]!;
  }
}
