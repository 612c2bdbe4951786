import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import yargs from 'yargs';
import * as traceSynth from '../src/cli/commands/trace-synth.js';
import { FaasloadError } from '../src/errors.js';
import { readAzure2019 } from '../src/trace/azure2019.js';
import { readTrace } from '../src/trace/read.js';
import { synthesizeAzure2019Day } from '../src/trace/synth-day.js';
import { writeSyntheticTrace } from '../src/trace/synth-files.js';
import { denseCounts } from './helpers/counts.js';
import { naiveCsv, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

const INVOCATIONS = 'invocations_per_function_md.anon.d01.csv';
const DURATIONS = 'function_durations_percentiles.anon.d01.csv';
const MEMORY = 'app_memory_percentiles.anon.d01.csv';

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), 'utf8');
  return out;
}

describe('synthesizeAzure2019Day', () => {
  it('is deterministic by seed; another seed or day changes the files, a day keeps the functions', async () => {
    const shape = { seed: 3, functions: 60, minutes: 120 };
    const [a, b, c, d] = await Promise.all([tmpTrace(), tmpTrace(), tmpTrace(), tmpTrace()]);
    await synthesizeAzure2019Day({ ...shape, outDir: a });
    await synthesizeAzure2019Day({ ...shape, outDir: b });
    await synthesizeAzure2019Day({ ...shape, seed: 4, outDir: c });
    await synthesizeAzure2019Day({ ...shape, day: 2, outDir: d });
    const [fa, fb, fc, fd] = await Promise.all([a, b, c, d].map(filesOf));
    assert.deepEqual(Object.keys(fa!), [MEMORY, DURATIONS, INVOCATIONS]);
    assert.deepEqual(fa, fb);
    for (const name of Object.keys(fa!)) assert.notEqual(fa![name], fc![name], name);
    const ids = (text: string) => naiveCsv(text).map((r) => r.slice(0, 4).join(','));
    const rows1 = naiveCsv(fa![INVOCATIONS]!);
    const rows2 = naiveCsv(fd!['invocations_per_function_md.anon.d02.csv']!);
    assert.deepEqual(ids(fd!['invocations_per_function_md.anon.d02.csv']!), ids(fa![INVOCATIONS]!));
    assert.notDeepEqual(
      rows2.map((r) => r.slice(4)),
      rows1.map((r) => r.slice(4)),
    );
  });

  it('has the raw shape: 1..minutes columns, 64-hex ids, zero-heavy rows, every function invoked', async () => {
    const dir = await tmpTrace();
    const result = await synthesizeAzure2019Day({ seed: 1, functions: 400, outDir: dir });
    const rows = naiveCsv(await readFile(join(dir, INVOCATIONS), 'utf8'));
    const header = rows[0]!;
    assert.deepEqual(header.slice(0, 4), ['HashOwner', 'HashApp', 'HashFunction', 'Trigger']);
    assert.deepEqual(
      header.slice(4).map(Number),
      Array.from({ length: 1440 }, (_, i) => i + 1),
    );
    assert.equal(rows.length, 401);
    let cells = 0;
    let zeros = 0;
    let total = 0;
    const perFunction: number[] = [];
    for (const row of rows.slice(1)) {
      assert.equal(row.length, 1444);
      for (const id of row.slice(0, 3)) assert.match(id, /^[0-9a-f]{64}$/);
      assert.match(row[3]!, /^(http|timer|queue|event|storage|orchestration)$/);
      const counts = row.slice(4).map(Number);
      assert.ok(counts.every((c) => Number.isInteger(c) && c >= 0));
      const sum = counts.reduce((x, y) => x + y, 0);
      assert.ok(sum >= 1, 'every function is invoked');
      perFunction.push(sum);
      total += sum;
      cells += counts.length;
      zeros += counts.filter((c) => c === 0).length;
    }
    assert.equal(result.invocations, total);
    assert.equal(result.nonEmptyMinutes, cells - zeros);
    assert.equal(result.invocationsBytes, (await stat(join(dir, INVOCATIONS))).size);
    assert.ok(zeros / cells > 0.7, `zeros ${((100 * zeros) / cells).toFixed(1)}% of the cells`);

    // Heavy tail: the top 5% of functions make most invocations; half run at most once an hour.
    perFunction.sort((x, y) => y - x);
    const top = perFunction.slice(0, 20).reduce((x, y) => x + y, 0);
    assert.ok(top / total > 0.5, `top 5% make ${((100 * top) / total).toFixed(1)}%`);
    assert.ok(perFunction[200]! <= 48, `median function: ${perFunction[200]} a day`);
  });

  it('follows a diurnal cycle: afternoons busier than nights; timers stay periodic', async () => {
    const dir = await tmpTrace();
    await synthesizeAzure2019Day({ seed: 2, functions: 400, outDir: dir });
    const rows = naiveCsv(await readFile(join(dir, INVOCATIONS), 'utf8')).slice(1);
    const window = (row: string[], from: number, to: number) =>
      row.slice(4 + from, 4 + to).reduce((x, c) => x + Number(c), 0);
    let night = 0;
    let afternoon = 0;
    for (const row of rows.filter((r) => r[3] !== 'timer')) {
      night += window(row, 120, 300); // 02:00-05:00
      afternoon += window(row, 720, 900); // 12:00-15:00
    }
    assert.ok(afternoon > 1.5 * night, `afternoon ${afternoon}, night ${night}`);
    for (const row of rows.filter((r) => r[3] === 'timer')) {
      const fires = row
        .slice(4)
        .map(Number)
        .flatMap((c, t) => (c > 0 ? [t] : []));
      const gaps = new Set(fires.slice(1).map((t, i) => t - fires[i]!));
      assert.ok(gaps.size <= 1, `timer ${row[2]} fires at uneven gaps ${[...gaps]}`);
    }
  });

  it('parses back completely: functions, totals, durations Count, memory per app', async () => {
    const dir = await tmpTrace();
    const result = await synthesizeAzure2019Day({ seed: 9, functions: 250, minutes: 300, outDir: dir });
    const trace = await readTrace(dir);
    assert.equal(trace.format, 'azure2019');
    assert.equal(trace.functions.length, 250);
    assert.equal(trace.spanUs, 300 * 60e6);
    assert.deepEqual(trace.warnings, []);
    let total = 0;
    let pairs = 0;
    const totals = new Map<string, number>();
    trace.functions.forEach((f, fn) => {
      const a = trace.arrivals(fn);
      assert.equal(a.kind, 'counts');
      const sum = a.counts.reduce((x, y) => x + y, 0);
      totals.set(f.id, sum);
      total += sum;
      pairs += a.counts.length;
      assert.ok(f.durationMs && f.memoryMb, f.id);
      const values = f.durationMs.points.map(([, v]) => v);
      assert.deepEqual(
        values,
        [...values].sort((x, y) => x - y),
      );
    });
    assert.equal(total, result.invocations);
    assert.equal(pairs, result.nonEmptyMinutes);
    for (const row of naiveCsv(await readFile(join(dir, DURATIONS), 'utf8')).slice(1)) {
      assert.equal(Number(row[4]), totals.get(row.slice(0, 3).join('/')), 'Count = the day’s invocations');
    }
    const apps = new Set(trace.functions.map((f) => f.id.split('/').slice(0, 2).join('/')));
    assert.equal(naiveCsv(await readFile(join(dir, MEMORY), 'utf8')).length - 1, apps.size);
    assert.equal(apps.size, Math.ceil(250 / 2.5));
  });

  it('reads back as several days equal to the single-day reads laid end to end', async () => {
    const dir = await tmpTrace();
    const shape = { seed: 5, functions: 40, minutes: 30, outDir: dir };
    for (const day of [1, 2, 3]) await synthesizeAzure2019Day({ ...shape, day });
    const all = await readAzure2019(dir, { days: [1, 2, 3] });
    const single = await Promise.all(
      [1, 2, 3].map((d) => readAzure2019(join(dir, `invocations_per_function_md.anon.d0${d}.csv`))),
    );
    assert.equal(all.spanUs, 90 * 60e6);
    assert.deepEqual(all.warnings, []);
    all.functions.forEach((f, fn) => {
      const a = all.arrivals(fn);
      assert.equal(a.kind, 'counts');
      const expected = single.flatMap((t) => {
        const i = t.functions.findIndex((g) => g.id === f.id);
        const s = t.arrivals(i);
        assert.equal(s.kind, 'counts');
        return [...denseCounts(s, 30)];
      });
      assert.deepEqual([...denseCounts(a, 90)], expected, f.id);
      assert.deepEqual(f.durationMs, single[0]!.functions[fn]!.durationMs);
      assert.deepEqual(f.memoryMb, single[0]!.functions[fn]!.memoryMb);
    });
  });

  it('writes no memory file for days 13 and 14 unless asked, as in the public trace', async () => {
    const dir = await tmpTrace();
    const r13 = await synthesizeAzure2019Day({ seed: 1, functions: 10, minutes: 10, day: 13, outDir: dir });
    assert.equal(r13.files.memory, undefined);
    const r14 = await synthesizeAzure2019Day({
      seed: 1,
      functions: 10,
      minutes: 10,
      day: 14,
      memory: true,
      outDir: dir,
    });
    assert.ok(r14.files.memory);
    assert.deepEqual((await readdir(dir)).sort(), [
      'app_memory_percentiles.anon.d14.csv',
      'function_durations_percentiles.anon.d13.csv',
      'function_durations_percentiles.anon.d14.csv',
      'invocations_per_function_md.anon.d13.csv',
      'invocations_per_function_md.anon.d14.csv',
    ]);
  });

  it('reports every bad option at once as E_USAGE', async () => {
    const dir = await tmpTrace();
    await rejectsWith(
      synthesizeAzure2019Day({ seed: 1.5, functions: 0, minutes: -1, day: 0, outDir: dir }),
      'E_USAGE',
      /seed must be an integer.*; functions must be .*; minutes must be .*; .*day must be an integer in \[1, 99\]/,
    );
    await rejectsWith(
      synthesizeAzure2019Day({ seed: 1, functions: 3, apps: 4, outDir: dir }),
      'E_USAGE',
      /apps must be an integer in \[1, 3\], not 4/,
    );
  });
});

/** Runs `faasload trace synth ...args` through yargs as main.ts will, capturing stdout. */
async function synthCli(args: string[]): Promise<string> {
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await yargs(['trace', 'synth', ...args])
      .command('trace <command>', 'Trace tools', (t) => t.command(traceSynth).demandCommand(1))
      .strict()
      .fail((message, err) => {
        throw err ?? new Error(message);
      })
      .parseAsync();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

describe('faasload trace synth', () => {
  it('writes Azure 2019 days that read back with --day', async () => {
    const dir = await tmpTrace();
    const out = await synthCli([
      '--functions',
      '30',
      '--minutes',
      '20',
      '--day',
      '1-2',
      '--seed',
      '4',
      '--out',
      dir,
      '--json',
    ]);
    const summary = JSON.parse(out) as { format: string; files: string[]; invocations: number };
    assert.equal(summary.format, 'azure2019');
    assert.equal(summary.files.length, 6);
    const trace = await readAzure2019(dir, { days: [1, 2] });
    assert.equal(trace.functions.length, 30);
    assert.equal(trace.spanUs, 40 * 60e6);
    let total = 0;
    for (let fn = 0; fn < 30; fn++) {
      const a = trace.arrivals(fn);
      if (a.kind === 'counts') total += a.counts.reduce((x, y) => x + y, 0);
    }
    assert.equal(total, summary.invocations);
  });

  it('writes an Azure 2021 CSV of the requested shape', async () => {
    const dir = await tmpTrace();
    const out = await synthCli([
      '--format',
      'azure2021',
      '--functions',
      '12',
      '--minutes',
      '3',
      '--invocations',
      '99',
      '--out',
      dir,
    ]);
    assert.match(out, /^azure2021: 12 functions, 99 invocations/);
    const trace = await readTrace(join(dir, 'azure2021.csv'));
    assert.equal(trace.format, 'azure2021');
    assert.equal(trace.functions.length, 12);
  });

  it('matches writeSyntheticTrace byte for byte', async () => {
    const [a, b] = await Promise.all([tmpTrace(), tmpTrace()]);
    await synthCli(['--functions', '8', '--minutes', '7', '--seed', '2', '--out', a]);
    await writeSyntheticTrace({ format: 'azure2019', seed: 2, functions: 8, minutes: 7, outDir: b });
    assert.deepEqual(await filesOf(a), await filesOf(b));
  });

  it('reports every bad flag at once', async () => {
    const dir = await tmpTrace();
    await assert.rejects(
      synthCli(['--functions', '0', '--minutes', '2.5', '--day', '3-1', '--invocations', '5', '--out', dir]),
      (err: unknown) => {
        assert.ok(err instanceof FaasloadError);
        assert.equal(err.code, 'E_USAGE');
        assert.match(
          err.message,
          /--functions must be a positive integer, not 0; --minutes must be .*; --day: .*ends before it starts; --invocations applies to --format azure2021 only/,
        );
        return true;
      },
    );
  });
});
