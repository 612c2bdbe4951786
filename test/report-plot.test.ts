import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ecdfRows,
  type Figure,
  renderSvg,
  rowsOffLogAxes,
  svgFacts,
  toCsv,
  vegaLiteSpec,
  writeFigure,
} from '../src/report/plot/index.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-plot-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Parses the CSV written by toCsv (no quoted commas in these fixtures). */
function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trimEnd().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((c, i) => [cols[i]!, c])));
}

describe('ecdfRows', () => {
  it('gives each distinct value the share of values at or below it', () => {
    assert.deepEqual(ecdfRows([3, 1, 2, 2, Number.NaN]), [
      { value: 1, fraction: 0 },
      { value: 1, fraction: 0.25 },
      { value: 2, fraction: 0.75 },
      { value: 3, fraction: 1 },
    ]);
  });

  it('gives no rows for no values', () => {
    assert.deepEqual(ecdfRows([Number.NaN]), []);
  });

  it('tags rows with their series and samples long curves at exact points', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => i);
    const rows = ecdfRows(values, { field: 'run', name: 'a' }, 100);
    assert.ok(rows.length <= 103 && rows.length >= 100, `${rows.length} points`);
    assert.deepEqual(rows[0], { value: 0, fraction: 0, run: 'a' });
    assert.deepEqual(rows[1], { value: 0, fraction: 1 / 10_000, run: 'a' });
    assert.deepEqual(rows.at(-1), { value: 9999, fraction: 1, run: 'a' });
    for (const r of rows.slice(1)) assert.equal(r.fraction, ((r.value as number) + 1) / 10_000);
  });
});

describe('toCsv', () => {
  it('quotes what needs quoting, and writes null and NaN as empty cells', () => {
    assert.equal(
      toCsv([
        { a: 'x,y', b: 1.5, c: null },
        { a: 'say "hi"', b: Number.NaN, c: 3 },
      ]),
      'a,b,c\n"x,y",1.5,\n"say ""hi""",,3\n',
    );
  });
});

const cdf: Figure = {
  name: 'latency-cdf',
  title: 'Latency',
  kind: 'step',
  x: { field: 'value', title: 'latency (ms)', scale: 'log' },
  y: { field: 'fraction', title: 'share', format: '%' },
  series: { field: 'fn', title: 'function' },
  rows: [
    ...ecdfRows([1, 2, 4, 0], { field: 'fn', name: 'alpha' }),
    ...ecdfRows([10, 20], { field: 'fn', name: 'beta' }),
  ],
};

describe('figures', () => {
  it('draws one line per series with a legend naming them', async () => {
    const facts = svgFacts(await renderSvg(cdf));
    assert.equal(facts.title, 'Latency');
    assert.deepEqual(facts.series, ['alpha', 'beta']);
    assert.equal(facts.lines, 2);
  });

  it('leaves values <= 0 off a log axis in the picture and keeps them in the data', async () => {
    // alpha's 0: its own row and the row the curve starts from.
    assert.equal(rowsOffLogAxes(cdf), 2);
    const spec = vegaLiteSpec(cdf) as { transform?: { filter?: string }[] };
    assert.match(spec.transform?.[0]?.filter ?? '', /datum\["value"\] > 0/);
  });

  it('stacks bars in series order, one bar per row, values in the labels', async () => {
    const fig: Figure = {
      name: 'triggers',
      title: 'Triggers',
      kind: 'stacked-bar',
      x: { field: 'of', title: '', scale: 'band' },
      y: { field: 'share', title: 'share' },
      series: { field: 'trigger', title: 'trigger' },
      rows: [
        { of: 'functions', trigger: 'timer', share: 0.25 },
        { of: 'functions', trigger: 'http', share: 0.75 },
        { of: 'invocations', trigger: 'http', share: 0.9 },
        { of: 'invocations', trigger: 'timer', share: 0.1 },
      ],
    };
    const facts = svgFacts(await renderSvg(fig));
    assert.equal(facts.bars, 4);
    assert.deepEqual(facts.series, ['timer', 'http']);
    assert.ok(
      facts.markLabels.includes('of: invocations; share: 0.9; trigger: http'),
      facts.markLabels.join('|'),
    );
  });

  it('draws scatter points and plain lines', async () => {
    const scatter: Figure = {
      name: 's',
      title: 'S',
      kind: 'scatter',
      x: { field: 'rate', title: 'per minute', scale: 'log' },
      y: { field: 'cold', title: 'cold share' },
      rows: [
        { rate: 1, cold: 0.5 },
        { rate: 10, cold: 0.1 },
        { rate: 100, cold: 0 },
      ],
    };
    assert.equal(svgFacts(await renderSvg(scatter)).points, 3);
    const line: Figure = { ...scatter, kind: 'line', x: { field: 'rate', title: 'x' } };
    assert.equal(svgFacts(await renderSvg(line)).lines, 1);
  });

  it('writes the SVG, the CSV of its data, a spec that reads the CSV, and a PNG', async () => {
    const files = await writeFigure(join(dir, 'figs'), cdf);
    const rows = parseCsv(await readFile(files.csv, 'utf8'));
    assert.deepEqual(
      rows.map((r) => [Number(r.value), Number(r.fraction), r.fn]),
      cdf.rows.map((r) => [r.value, r.fraction, r.fn]),
    );
    const spec = JSON.parse(await readFile(files.spec, 'utf8')) as { data: { url: string } };
    assert.equal(spec.data.url, 'latency-cdf.csv');
    const svg = await readFile(files.svg, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const png = await readFile(files.png!);
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });

  it('refuses a figure whose rows lack an axis field, or a bad name', async () => {
    await assert.rejects(renderSvg({ ...cdf, x: { field: 'nope', title: 'x' } }), /no field 'nope'/);
    await assert.rejects(renderSvg({ ...cdf, name: 'Bad Name' }), /figure name/);
  });

  it('says which file it could not write', async () => {
    await writeFigure(dir, { ...cdf, name: 'blocker' }, { png: false });
    await assert.rejects(writeFigure(join(dir, 'blocker.csv'), cdf), {
      name: 'FaasloadError',
      code: 'E_DATASET',
      message: /blocker\.csv/,
    });
  });
});
