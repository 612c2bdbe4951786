/**
 * What a figure is: data rows plus how to draw them. A Figure is plain data, so it can be
 * written as CSV beside its picture, compared in tests, and overlaid (compare reports).
 *
 * Kinds:
 * - 'line': one line per series, points joined in row order of x.
 * - 'step': a step function (an empirical CDF: use ecdfRows), drawn step-after.
 * - 'scatter': one point per row, one colour per series.
 * - 'stacked-bar': bars stacked by series; x is a category (scale 'band') or a number.
 */
export type FigureKind = 'line' | 'step' | 'scatter' | 'stacked-bar';

/**
 * linear | log (rows with a value <= 0 on that axis are left out, and the figure's note says how
 * many) | symlog (log-like, zero allowed) | band (categories, in order of first appearance).
 */
export type ScaleKind = 'linear' | 'log' | 'symlog' | 'band';

export type Cell = string | number | null;
export type FigureRow = Readonly<Record<string, Cell>>;

export interface Axis {
  /** The row field drawn on this axis. */
  field: string;
  /** Axis title, units included: 'latency (ms)'. */
  title: string;
  scale?: ScaleKind;
  /** Fixed [min, max] of a numeric axis; default: fitted to the data. */
  domain?: readonly [number, number];
  /** Numeric axis: start from 0 whatever the data (counts, rates). Default: fitted to the data. */
  zero?: boolean;
  /** d3-format string for tick labels: '%' for shares in [0, 1], '~s' for 1k/1M. */
  format?: string;
}

export interface Figure {
  /** File stem: lowercase letters, digits and dashes ('latency-cdf'). */
  name: string;
  title: string;
  kind: FigureKind;
  x: Axis;
  y: Axis;
  /** The field that splits rows into series (one colour each, with a legend). */
  series?: { field: string; title: string };
  rows: readonly FigureRow[];
  /** A sentence under the figure: what was left out, where the data comes from. */
  note?: string;
  /** Plot area in CSS pixels; default 480 x 280. */
  width?: number;
  height?: number;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Throws a RangeError for a figure that cannot be drawn (a bad name, an axis field no row has). */
export function checkFigure(fig: Figure): void {
  if (!NAME.test(fig.name)) throw new RangeError(`figure name '${fig.name}': use a-z, 0-9 and -`);
  const fields = [fig.x.field, fig.y.field, ...(fig.series ? [fig.series.field] : [])];
  for (const f of fields) {
    if (fig.rows.length > 0 && !(f in fig.rows[0]!))
      throw new RangeError(`figure ${fig.name}: the rows have no field '${f}'`);
  }
}

/** The series names of a figure in order of first appearance ([] without series). */
export function seriesOf(fig: Figure): string[] {
  if (!fig.series) return [];
  const seen = new Set<string>();
  for (const r of fig.rows) seen.add(String(r[fig.series.field]));
  return [...seen];
}
