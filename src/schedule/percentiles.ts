import type { Percentiles } from '../trace/types.js';

/**
 * Draws a value from a distribution known only by percentiles: `u` in [0, 1) is read as a
 * percentile and the value interpolated linearly between the neighbouring points (inverse CDF).
 * Below the first point or above the last, the end value is returned.
 */
export function samplePercentiles(dist: Percentiles, u: number): number {
  return new PercentileTable([dist]).sample(0, u);
}

/**
 * The percentile distributions of many functions packed in one array, (percentile, value) pairs
 * side by side: drawing for function fn touches one or two cache lines, not three objects.
 */
export class PercentileTable {
  private readonly data: Float64Array;
  private readonly start: Uint32Array;
  private readonly length: Uint8Array;

  constructor(dists: readonly (Percentiles | undefined)[]) {
    this.start = new Uint32Array(dists.length);
    this.length = new Uint8Array(dists.length);
    let total = 0;
    for (const d of dists) total += d ? Math.min(255, Math.max(1, d.points.length)) : 0;
    this.data = new Float64Array(2 * total);
    let at = 0;
    dists.forEach((d, fn) => {
      if (!d) return;
      this.start[fn] = at;
      // A distribution without points is its average, as samplePercentiles has it.
      const points = d.points.length > 0 ? d.points.slice(0, 255) : [[0, d.average ?? 0] as const];
      this.length[fn] = points.length;
      for (const [p, v] of points) {
        this.data[at++] = p / 100;
        this.data[at++] = v;
      }
    });
  }

  /** Whether function fn has a distribution. */
  has(fn: number): boolean {
    return this.length[fn]! > 0;
  }

  /** Draws from the distribution of fn as samplePercentiles does; NaN when fn has none. */
  sample(fn: number, u: number): number {
    const n = this.length[fn]!;
    if (n === 0) return Number.NaN;
    const d = this.data;
    let at = this.start[fn]!;
    if (u <= d[at]!) return d[at + 1]!;
    const end = at + 2 * n;
    for (at += 2; at < end; at += 2) {
      if (u <= d[at]!) {
        const span = d[at]! - d[at - 2]!;
        return span === 0 ? d[at + 1]! : d[at - 1]! + ((u - d[at - 2]!) / span) * (d[at + 1]! - d[at - 1]!);
      }
    }
    return d[end - 1]!;
  }
}
