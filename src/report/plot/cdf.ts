import type { FigureRow } from './figure.js';

/** The most points one series of a CDF keeps; beyond it the curve is sampled at even fractions. */
export const CDF_MAX_POINTS = 1000;

/**
 * The empirical CDF of `values` as rows {value, fraction[, series]}: for each distinct value v,
 * fraction = share of values <= v (so the last row has fraction 1), preceded by a row
 * {value: smallest value, fraction: 0} so the drawn curve rises from 0 (and a single value still
 * shows, as a vertical step). NaN values are ignored; no values give no rows.
 * With more than `maxPoints` distinct values the curve keeps the first and last value and the
 * values at evenly spaced fractions, each exact (a value of the data, with its exact fraction).
 * Drawn as a 'step' figure it is the step-after empirical CDF.
 */
export function ecdfRows(
  values: ArrayLike<number>,
  series?: { field: string; name: string },
  maxPoints = CDF_MAX_POINTS,
): FigureRow[] {
  const sorted = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)));
  sorted.sort();
  const n = sorted.length;
  const points: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue;
    points.push([sorted[i]!, (i + 1) / n]);
  }
  return cdfRows(points, { ...(series ? { series } : {}), maxPoints });
}

/**
 * Rows of a CDF given as points [value, fraction of values <= value], ascending (one per distinct
 * value, or per bucket of a sketch: see ValueSketch.cdf), thinned and started at fraction 0 as
 * ecdfRows does: at `start` (the smallest value; default the first point's), `scale` times.
 */
export function cdfRows(
  points: readonly (readonly [number, number])[],
  o: { series?: { field: string; name: string }; maxPoints?: number; scale?: number; start?: number } = {},
): FigureRow[] {
  const maxPoints = o.maxPoints ?? CDF_MAX_POINTS;
  let kept = points;
  if (points.length > maxPoints) {
    const thinned: (readonly [number, number])[] = [];
    let next = 0;
    for (const [i, p] of points.entries()) {
      if (i === 0 || i === points.length - 1 || p[1] >= next) {
        thinned.push(p);
        next = p[1] + 1 / maxPoints;
      }
    }
    kept = thinned;
  }
  if (points.length > 0) kept = [[o.start ?? points[0]![0], 0], ...kept];
  const scale = o.scale ?? 1;
  const series = o.series;
  return kept.map(([v, fraction]) => {
    const value = v * scale;
    return series ? { value, fraction, [series.field]: series.name } : { value, fraction };
  });
}
