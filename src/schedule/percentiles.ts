import type { Percentiles } from '../trace/types.js';

/** Draws are 31-bit integers: draw / DRAW_RANGE is the percentile, in [0, 1). */
export const DRAW_RANGE = 2 ** 31;

/**
 * Draws a value from a distribution known only by percentiles: `u` in [0, 1) is read as a
 * percentile and the value interpolated linearly between the neighbouring points (inverse CDF).
 * Below the first point or above the last, the end value is returned.
 */
export function samplePercentiles(dist: Percentiles, u: number): number {
  return new PercentileTable([dist]).sample(0, Math.floor(u * DRAW_RANGE));
}

/**
 * The percentile distributions of many functions, packed for drawing fast at random:
 * - Each function's values side by side at a fixed stride, NaN for a function without one (so
 *   its draws are NaN without a test): a draw reads one or two cache lines of them.
 * - Functions that share a grid of percentiles (all of them, in an Azure trace) share its
 *   thresholds. The segment is found by counting the grid points below the draw with integer
 *   arithmetic, with no data-dependent branch (random draws would mispredict a search).
 */
export class PercentileTable {
  private readonly values: Float64Array;
  private readonly stride: number;
  /** Per function, its grid; `single` when all share one (no per-function lookup then). */
  private readonly gridOf: Uint32Array;
  private readonly grids: Grid[] = [];
  private readonly single: Grid | undefined;

  constructor(dists: readonly (Percentiles | undefined)[]) {
    const points = dists.map((d) => {
      if (!d) return [];
      // A distribution without points is its average.
      return d.points.length > 0 ? d.points : [[0, d.average ?? 0] as const];
    });
    // A power of two: a function of up to 8 values then sits in one cache line.
    this.stride = 2 ** Math.ceil(Math.log2(Math.max(1, ...points.map((p) => p.length))));
    this.values = new Float64Array(this.stride * dists.length).fill(Number.NaN);
    this.gridOf = new Uint32Array(dists.length);
    points.forEach((ps, fn) => {
      if (ps.length === 0) return;
      this.gridOf[fn] = this.findGrid(ps);
      ps.forEach((p, i) => {
        this.values[fn * this.stride + i] = p[1];
      });
    });
    if (this.grids.length === 0) this.grids.push(new Grid([0]));
    this.single = this.grids.length === 1 ? this.grids[0] : undefined;
  }

  /** The grid of these points' percentiles, added if new (most functions share the last one). */
  private findGrid(ps: Percentiles['points']): number {
    const same = (g: Grid) =>
      g.percentiles.length === ps.length && ps.every((p, i) => p[0] === g.percentiles[i]);
    const last = this.grids.length - 1;
    if (last >= 0 && same(this.grids[last]!)) return last;
    const g = this.grids.findIndex(same);
    return g >= 0 ? g : this.grids.push(new Grid(ps.map((p) => p[0]))) - 1;
  }

  /** Whether function fn has a distribution. */
  has(fn: number): boolean {
    return !Number.isNaN(this.values[fn * this.stride]!);
  }

  /** The value at percentile draw / DRAW_RANGE (draw a 31-bit integer); NaN when fn has none. */
  sample(fn: number, draw: number): number {
    const { thresholds, positions, span } = this.single ?? this.grids[this.gridOf[fn]!]!;
    const n = thresholds.length;
    let s = 0;
    for (let i = 0; i < n; i++) s += (thresholds[i]! - draw) >>> 31;
    // Interpolate between points lo and hi; below the first and above the last, lo = hi.
    const lo = s === 0 ? 0 : s - 1;
    const hi = s === n ? n - 1 : s;
    const at = fn * this.stride;
    const v = this.values[at + lo]!;
    return v + ((draw - positions[lo]!) / span[s]!) * (this.values[at + hi]! - v);
  }
}

/** One grid of percentiles (ascending), in draws. */
class Grid {
  readonly percentiles: readonly number[];
  /** Where each point lies, floored (a point is below a draw exactly when its floor is). */
  readonly thresholds: Int32Array;
  /** Where each point lies, exactly, for interpolating. */
  readonly positions: Float64Array;
  /** positions[s] - positions[s - 1], 1 where flat (the value difference is then 0). */
  readonly span: Float64Array;

  constructor(percentiles: readonly number[]) {
    const n = percentiles.length;
    this.percentiles = percentiles;
    this.positions = Float64Array.from(percentiles, (p) => (p / 100) * DRAW_RANGE);
    this.thresholds = Int32Array.from(this.positions, (x) =>
      Math.min(DRAW_RANGE - 1, Math.max(0, Math.floor(x))),
    );
    this.span = new Float64Array(n + 1).fill(1);
    for (let s = 1; s < n; s++) this.span[s] = Math.max(1, this.positions[s]! - this.positions[s - 1]!);
  }
}
