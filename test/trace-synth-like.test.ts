import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import yargs from 'yargs';
import * as traceSynth from '../src/cli/commands/trace-synth.js';
import { readTrace } from '../src/trace/read.js';
import { writeSyntheticTrace } from '../src/trace/synth-files.js';
import { likeAzure2019Model, synthesizeLikeAzure2019 } from '../src/trace/synth-like-azure2019.js';
import { naiveCsv, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), 'utf8');
  return out;
}

describe('trace synth --like azure2019', () => {
  it('is deterministic by seed; another seed changes it; another day keeps the functions', async () => {
    const shape = { seed: 5, functions: 120, minutes: 90 };
    const [a, b, c, d] = await Promise.all([tmpTrace(), tmpTrace(), tmpTrace(), tmpTrace()]);
    await synthesizeLikeAzure2019({ ...shape, outDir: a });
    await synthesizeLikeAzure2019({ ...shape, outDir: b });
    await synthesizeLikeAzure2019({ ...shape, seed: 6, outDir: c });
    await synthesizeLikeAzure2019({ ...shape, day: 2, outDir: d });
    const [fa, fb, fc, fd] = await Promise.all([a, b, c, d].map(filesOf));
    assert.deepEqual(fa, fb);
    for (const name of Object.keys(fa!)) assert.notEqual(fa![name], fc![name], name);
    const ids = (text: string) => naiveCsv(text).map((r) => r.slice(0, 4).join(','));
    const day1 = fa!['invocations_per_function_md.anon.d01.csv']!;
    const day2 = fd!['invocations_per_function_md.anon.d02.csv']!;
    assert.deepEqual(ids(day2), ids(day1));
    assert.notEqual(day2, day1);
  });

  it('reads back as Azure 2019: every function invoked, with durations and its app memory', async () => {
    const dir = await tmpTrace();
    const r = await synthesizeLikeAzure2019({ seed: 2, functions: 400, minutes: 240, outDir: dir });
    const trace = await readTrace(dir);
    assert.equal(trace.format, 'azure2019');
    assert.deepEqual(trace.warnings, []);
    assert.equal(trace.functions.length, 400);
    assert.equal(new Set(trace.functions.map((f) => f.app)).size, r.apps);
    let total = 0;
    trace.functions.forEach((f, fn) => {
      const a = trace.arrivals(fn);
      assert.equal(a.kind, 'counts');
      const sum = a.counts.reduce((x, y) => x + y, 0);
      assert.ok(sum >= 1, `${f.id} is invoked`);
      total += sum;
      assert.ok(f.durationMs?.average !== undefined && f.durationMs.average > 0, `${f.id} has a duration`);
      assert.ok(f.memoryMb?.average !== undefined && f.memoryMb.average > 0, `${f.id} has memory`);
    });
    assert.equal(total, r.invocations);
  });

  it('builds the same model whatever the day, apps of consecutive functions', () => {
    const m = likeAzure2019Model(3, 1000);
    assert.equal(m.appOf.length, 1000);
    assert.equal(m.appStart[m.appStart.length - 1], 1000);
    for (let a = 0; a + 1 < m.appStart.length; a++) {
      assert.ok(m.appStart[a + 1]! > m.appStart[a]!, `app ${a} has a function`);
      for (let f = m.appStart[a]!; f < m.appStart[a + 1]!; f++) assert.equal(m.appOf[f], a);
    }
    assert.deepEqual(likeAzure2019Model(3, 1000).ratePerDay, m.ratePerDay);
  });

  it('handles tiny days (1 and 7 functions)', async () => {
    for (const functions of [1, 7]) {
      const dir = await tmpTrace();
      const r = await synthesizeLikeAzure2019({ seed: 1, functions, minutes: 30, outDir: dir });
      assert.equal((await readTrace(dir)).functions.length, functions);
      assert.ok(r.apps >= 1 && r.apps <= functions);
    }
  });

  it('refuses flags that do not apply, all at once', async () => {
    const dir = await tmpTrace();
    await rejectsWith(
      writeSyntheticTrace({
        format: 'azure2021',
        like: 'azure2019',
        seed: 1,
        functions: 10,
        minutes: 10,
        outDir: dir,
        apps: 3,
      }),
      'E_USAGE',
      /azure2021.*--apps/s,
    );
    await rejectsWith(
      synthesizeLikeAzure2019({ seed: 1, functions: 0, minutes: 1.5, outDir: dir }),
      'E_USAGE',
      /functions must be .*minutes must be/,
    );
  });

  it('the CLI maps --like to the paper-shaped day', async () => {
    const dir = await tmpTrace();
    const args = await traceSynth
      .builder(yargs([]).exitProcess(false))
      .parseAsync(['--like', 'azure2019', '--functions', '50', '--minutes', '20', '--out', dir]);
    const options = traceSynth.toSyntheticTraceOptions(args);
    assert.equal(options.like, 'azure2019');
    const summary = await writeSyntheticTrace(options);
    assert.equal(summary.like, 'azure2019');
    assert.equal(summary.functions, 50);
    assert.ok(summary.apps !== undefined && summary.apps < 50);
  });
});
