/**
 * faasload's figure module: SVG figures a paper can include, with their data (CSV) and their
 * Vega-Lite spec written beside them.
 *
 * How to call it:
 *
 *   import { ecdfRows, writeFigure, type Figure } from '../report/plot/index.js';
 *   const fig: Figure = {
 *     name: 'cold-start-cdf', title: 'Cold starts per function', kind: 'step',
 *     x: { field: 'value', title: 'cold starts (%)', scale: 'linear' },
 *     y: { field: 'fraction', title: 'share of functions', format: '%' },
 *     series: { field: 'policy', title: 'keep-alive' },
 *     rows: [...ecdfRows(fixed, { field: 'policy', name: '10 min' }),
 *            ...ecdfRows(hybrid, { field: 'policy', name: 'hybrid' })],
 *   };
 *   await writeFigure('out/figures', fig);   // out/figures/cold-start-cdf.{svg,csv,vl.json,png}
 *   const svg = await renderSvg(fig);        // or just the SVG text, to inline in HTML
 *
 * Kinds: line, step (CDFs), scatter, stacked-bar; scales linear, log, symlog, band. A Figure is
 * plain data: build its rows first, check them in tests, then draw.
 */
export { CDF_MAX_POINTS, cdfRows, ecdfRows } from './cdf.js';
export { toCsv } from './csv.js';
export {
  type Axis,
  type Cell,
  checkFigure,
  type Figure,
  type FigureKind,
  type FigureRow,
  type ScaleKind,
  seriesOf,
} from './figure.js';
export { svgToPng } from './png.js';
export { type SvgFacts, svgFacts } from './svg-facts.js';
export { renderSvg, rowsOffLogAxes, VEGA_LITE_SCHEMA, vegaLiteSpec } from './vega.js';
export { type WriteFigureOptions, type WrittenFigure, writeFigure, writeFigures } from './write.js';
