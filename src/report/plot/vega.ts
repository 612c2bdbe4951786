import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { type Axis, checkFigure, type Figure, seriesOf } from './figure.js';

/**
 * Figures are drawn by Vega-Lite (compiled to Vega, rendered to SVG by Vega's headless
 * renderer: no browser, no canvas). The Vega-Lite spec is also written beside each figure so
 * that users can restyle it (vega-lite's editor or CLI) without faasload.
 */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const DEFAULT_WIDTH = 480;
const DEFAULT_HEIGHT = 280;

/** A field reference for Vega expressions: datum["name"] (safe for any field name). */
const datum = (field: string) => `datum[${JSON.stringify(field)}]`;

function isNumeric(fig: Figure, axis: Axis): boolean {
  if (axis.scale === 'band') return false;
  return fig.rows.every((r) => r[axis.field] === null || typeof r[axis.field] === 'number');
}

function encodeAxis(fig: Figure, axis: Axis, stacked: boolean) {
  const numeric = isNumeric(fig, axis);
  const scale: Record<string, unknown> = {};
  if (axis.scale === 'log' || axis.scale === 'symlog') scale.type = axis.scale;
  if (axis.domain) scale.domain = [...axis.domain];
  if (numeric && axis.scale !== 'log' && !stacked) scale.zero = axis.zero ?? false;
  return {
    field: axis.field,
    type: numeric ? 'quantitative' : 'ordinal',
    title: axis.title,
    ...(numeric ? {} : { sort: null }),
    ...(Object.keys(scale).length > 0 ? { scale } : {}),
    axis: {
      ...(axis.format ? { format: axis.format } : {}),
      ...(numeric ? {} : { labelAngle: 0 }),
      grid: numeric,
      labelOverlap: true,
    },
  };
}

/**
 * The Vega-Lite spec of a figure. `data` 'inline' embeds the rows (for rendering); a file name
 * makes the spec read that CSV instead (the spec written beside the CSV). Rows with a value <= 0
 * on a log axis are filtered out by a transform, so the CSV keeps every row.
 */
export function vegaLiteSpec(fig: Figure, data: 'inline' | { csv: string } = 'inline'): TopLevelSpec {
  checkFigure(fig);
  const stacked = fig.kind === 'stacked-bar';
  const filters = [fig.x, fig.y]
    .filter((a) => a.scale === 'log')
    .map((a) => ({ filter: `isValid(${datum(a.field)}) && ${datum(a.field)} > 0` }));
  const numericFields = Object.keys(fig.rows[0] ?? {}).filter((f) =>
    fig.rows.every((r) => r[f] === null || typeof r[f] === 'number'),
  );
  const mark =
    fig.kind === 'step'
      ? { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 }
      : fig.kind === 'line'
        ? { type: 'line', strokeWidth: 1.5 }
        : fig.kind === 'scatter'
          ? { type: 'point', filled: true, size: 36, opacity: 0.8 }
          : { type: 'bar' };
  const y = encodeAxis(fig, fig.y, stacked);
  const encoding: Record<string, unknown> = {
    x: encodeAxis(fig, fig.x, stacked),
    y: stacked ? { ...y, stack: 'zero' } : y,
  };
  if (fig.series) {
    encoding.color = {
      field: fig.series.field,
      type: 'nominal',
      title: fig.series.title,
      scale: { domain: seriesOf(fig) },
      legend: { labelLimit: 220 },
    };
    if (fig.kind === 'line' || fig.kind === 'step') encoding.detail = { field: fig.series.field };
    if (stacked) encoding.order = { field: '__order', type: 'quantitative' };
  }
  const transform: Record<string, unknown>[] = [...filters];
  if (fig.series && stacked) {
    // Stack in series order: a lookup of each series' position in the legend's domain.
    transform.push({
      calculate: `indexof(${JSON.stringify(seriesOf(fig))}, ${datum(fig.series.field)})`,
      as: '__order',
    });
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: fig.title,
    ...(fig.note ? { description: fig.note } : {}),
    width: fig.width ?? DEFAULT_WIDTH,
    height: fig.height ?? DEFAULT_HEIGHT,
    data:
      data === 'inline'
        ? { values: fig.rows.map((r) => ({ ...r })) }
        : {
            url: data.csv,
            format: {
              type: 'csv',
              parse: Object.fromEntries(numericFields.map((f) => [f, 'number'])),
            },
          },
    ...(transform.length > 0 ? { transform } : {}),
    mark,
    encoding,
    config: { font: 'sans-serif', view: { stroke: '#ccc' }, legend: { orient: 'right' } },
  } as TopLevelSpec;
}

/**
 * Draws a figure as a standalone SVG document (white background, `xmlns` set, no external
 * references: the xlink namespace is removed when unused). Async, some tens of ms per figure.
 */
export async function renderSvg(fig: Figure): Promise<string> {
  const vg = compile(vegaLiteSpec(fig)).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.includes('xlink:') ? svg : svg.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', '');
  } finally {
    view.finalize();
  }
}

/** How many rows a log axis leaves out (values <= 0 or missing), for the figure's note. */
export function rowsOffLogAxes(fig: Figure): number {
  const logFields = [fig.x, fig.y].filter((a) => a.scale === 'log').map((a) => a.field);
  if (logFields.length === 0) return 0;
  return fig.rows.filter((r) =>
    logFields.some((f) => {
      const v = r[f];
      return typeof v !== 'number' || !(v > 0);
    }),
  ).length;
}
