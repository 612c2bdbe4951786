import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SAMPLE_AZURE2019, SAMPLE_AZURE2021, sampleTraceFiles } from '../scripts/make-sample-traces.js';
import { readTrace, synthesizeAzure2019, synthesizeAzure2021, type Trace } from '../src/trace/index.js';
import { REPO_ROOT } from './helpers/paths.js';
import { naiveCsv, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

const SHAPE_2021 = { seed: 7, functions: 12, apps: 5, spanS: 120, invocations: 300 };
const SHAPE_2019 = { seed: 7, functions: 9, apps: 4, minutes: 6, invocations: 80, firstMinute: 480 };

function arrivalCount(trace: Trace): number {
  let n = 0;
  for (let fn = 0; fn < trace.functions.length; fn++) {
    const a = trace.arrivals(fn);
    n += a.kind === 'times' ? a.atUs.length : a.counts.reduce((x, y) => x + y, 0);
  }
  return n;
}

describe('synthesizeAzure2021', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    assert.equal(synthesizeAzure2021(SHAPE_2021), synthesizeAzure2021({ ...SHAPE_2021 }));
    assert.notEqual(synthesizeAzure2021(SHAPE_2021), synthesizeAzure2021({ ...SHAPE_2021, seed: 8 }));
  });

  it('has the Azure 2021 shape: 64-hex ids, rows ordered by start time, durations in whole ms', () => {
    const rows = naiveCsv(synthesizeAzure2021(SHAPE_2021));
    assert.deepEqual(rows[0], ['app', 'func', 'end_timestamp', 'duration']);
    const starts = rows.slice(1).map((r) => Number(r[2]) - Number(r[3]));
    for (let i = 1; i < starts.length; i++)
      assert.ok(starts[i - 1]! <= starts[i]! + 1e-9, `row ${i + 1} out of order`);
    for (const r of rows.slice(1)) {
      assert.match(r[0]!, /^[0-9a-f]{64}$/);
      assert.match(r[1]!, /^[0-9a-f]{64}$/);
      assert.match(r[3]!, /^\d+\.\d{3}$/);
    }
    assert.ok(starts.every((s) => s >= 0 && s < SHAPE_2021.spanS));
  });

  it('parses with the reader into the requested numbers of functions, apps and invocations', async () => {
    const dir = await tmpTrace({ 's.csv': synthesizeAzure2021(SHAPE_2021) });
    const trace = await readTrace(join(dir, 's.csv'));
    assert.equal(trace.format, 'azure2021');
    assert.equal(trace.functions.length, SHAPE_2021.functions);
    assert.equal(new Set(trace.functions.map((f) => f.app)).size, SHAPE_2021.apps);
    assert.equal(arrivalCount(trace), SHAPE_2021.invocations);
  });

  it('makes popularity heavy-tailed and durations mostly short with a long tail', async () => {
    const dir = await tmpTrace({
      's.csv': synthesizeAzure2021({ ...SHAPE_2021, functions: 30, invocations: 3000 }),
    });
    const trace = await readTrace(join(dir, 's.csv'));
    const perFunction = trace.functions.map((_, fn) => {
      const a = trace.arrivals(fn);
      return a.kind === 'times' ? a.atUs.length : 0;
    });
    perFunction.sort((a, b) => b - a);
    assert.ok(perFunction[0]! > 10 * perFunction[29]!, `top ${perFunction[0]} vs bottom ${perFunction[29]}`);
    const durations = naiveCsv(synthesizeAzure2021({ ...SHAPE_2021, functions: 30, invocations: 3000 }))
      .slice(1)
      .map((r) => Number(r[3]))
      .sort((a, b) => a - b);
    const median = durations[durations.length >> 1]!;
    assert.ok(median > 0.01 && median < 0.25, `median ${median} s`);
    assert.ok(durations[durations.length - 1]! > 1, 'no call of a second or more');
  });

  it('rejects an impossible shape', () => {
    assert.throws(
      () => synthesizeAzure2021({ ...SHAPE_2021, invocations: 3 }),
      /apps <= functions <= invocations/,
    );
    assert.throws(() => synthesizeAzure2021({ ...SHAPE_2021, apps: 13 }), /apps <= functions/);
    assert.throws(() => synthesizeAzure2021({ ...SHAPE_2021, spanS: 0 }), /spanS must be > 0/);
  });
});

describe('synthesizeAzure2019', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    assert.deepEqual(synthesizeAzure2019(SHAPE_2019), synthesizeAzure2019({ ...SHAPE_2019 }));
    const other = synthesizeAzure2019({ ...SHAPE_2019, seed: 8 });
    const same = synthesizeAzure2019(SHAPE_2019);
    assert.notEqual(other.invocations, same.invocations);
    assert.notEqual(other.durations, same.durations);
    assert.notEqual(other.memory, same.memory);
  });

  it('writes the In-Vitro layout that the reader joins completely', async () => {
    const dir = await tmpTrace({
      'invocations.csv': synthesizeAzure2019(SHAPE_2019).invocations,
      'durations.csv': synthesizeAzure2019(SHAPE_2019).durations,
      'memory.csv': synthesizeAzure2019(SHAPE_2019).memory,
    });
    const trace = await readTrace(dir);
    assert.equal(trace.format, 'azure2019');
    assert.equal(trace.functions.length, SHAPE_2019.functions);
    assert.equal(new Set(trace.functions.map((f) => f.app)).size, SHAPE_2019.apps);
    assert.equal(trace.spanUs, SHAPE_2019.minutes * 60e6);
    assert.equal(arrivalCount(trace), SHAPE_2019.invocations);
    assert.deepEqual(trace.warnings, []);
    for (const f of trace.functions) {
      assert.ok(f.durationMs && f.memoryMb && f.trigger, f.id);
      const values = f.durationMs.points.map(([, v]) => v);
      assert.deepEqual(
        values,
        [...values].sort((a, b) => a - b),
        'duration percentiles ascend',
      );
    }
    const header = naiveCsv(synthesizeAzure2019(SHAPE_2019).invocations)[0]!;
    assert.deepEqual(header.slice(4), ['480', '481', '482', '483', '484', '485']);
  });

  it('splits each app’s memory evenly across its functions', async () => {
    const { memory } = synthesizeAzure2019(SHAPE_2019);
    const rows = naiveCsv(memory).slice(1);
    const byApp = new Map<string, number[]>();
    for (const r of rows) byApp.set(r[2]!, [...(byApp.get(r[2]!) ?? []), Number(r[4])]);
    for (const averages of byApp.values()) assert.ok(averages.every((a) => a === averages[0]));
  });
  it('reports bad options as E_USAGE', async () => {
    await rejectsWith(
      Promise.resolve().then(() => synthesizeAzure2019({ ...SHAPE_2019, minutes: 0 })),
      'E_USAGE',
      /minutes must be a positive integer/,
    );
  });
});

describe('the bundled samples', () => {
  it('are exactly what scripts/make-sample-traces makes', () => {
    for (const [name, text] of Object.entries(sampleTraceFiles())) {
      assert.equal(
        readFileSync(join(REPO_ROOT, 'traces', name), 'utf8'),
        text,
        `traces/${name} is stale: rerun the script`,
      );
    }
  });

  it('read back with the requested shapes', async () => {
    const a = await readTrace(join(REPO_ROOT, 'traces', 'sample-azure2021.csv'));
    assert.equal(a.functions.length, SAMPLE_AZURE2021.functions);
    assert.equal(arrivalCount(a), SAMPLE_AZURE2021.invocations);
    const b = await readTrace(join(REPO_ROOT, 'traces', 'sample-azure2019'));
    assert.equal(b.functions.length, SAMPLE_AZURE2019.functions);
    assert.equal(arrivalCount(b), SAMPLE_AZURE2019.invocations);
    assert.equal(b.spanUs, SAMPLE_AZURE2019.minutes * 60e6);
    assert.deepEqual(b.warnings, []);
  });
});
