/**
 * Draws the figure of docs/generate.md's worked example: each execution's CPU time against its
 * input size, one colour per function, from the measured points of docs/generate-example/fit.py's
 * CSV (its fitted rows are left out: the fits are the page's table).
 * Usage: node dist/scripts/generate-example-figure.js FIT_CSV OUT_DIR; writes OUT_DIR/
 * time-vs-size.png (the SVG, CSV and Vega-Lite spec stay in a temporary folder).
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FigureRow } from '../src/report/plot/figure.js';
import { writeFigure } from '../src/report/plot/index.js';

const [csvPath, outDir] = process.argv.slice(2);
if (csvPath === undefined || outDir === undefined) {
  process.stderr.write('usage: generate-example-figure.js FIT_CSV OUT_DIR\n');
  process.exit(2);
}
const [header, ...lines] = (await readFile(csvPath, 'utf8')).trim().split('\n');
if (header !== 'series,input_bytes,cpu_ms') {
  process.stderr.write(`${csvPath}:1: expected the header series,input_bytes,cpu_ms (fit.py's CSV)\n`);
  process.exit(3);
}
const rows: FigureRow[] = lines
  .map((line) => line.split(','))
  .filter(([series]) => !series!.endsWith(' (fit)'))
  .map(([series, bytes, ms]) => ({ series: series!, input_bytes: Number(bytes), cpu_ms: Number(ms) }));
const tmp = await mkdtemp(join(tmpdir(), 'faasload-example-figure-'));
const written = await writeFigure(tmp, {
  name: 'time-vs-size',
  title: 'CPU time of each execution against its input size',
  kind: 'scatter',
  x: { field: 'input_bytes', title: 'input (bytes)', scale: 'log', format: '~s' },
  y: { field: 'cpu_ms', title: 'CPU time, user + system (ms)', scale: 'log' },
  series: { field: 'series', title: 'function' },
  rows,
  note: 'faasload generate, docs/generate-example/plan.yaml: 6 functions x 100 distinct inputs x 2 settings',
  width: 480,
  height: 300,
});
const png = join(outDir, 'time-vs-size.png');
await copyFile(written.png!, png);
await rm(tmp, { recursive: true, force: true });
process.stdout.write(`${png}\n`);
