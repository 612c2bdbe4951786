import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type ArrivalSource, readAzure2019, readTrace, type Trace } from '../src/trace/index.js';
import { denseCounts } from './helpers/counts.js';
import { AZURE2019_DIR } from './helpers/paths.js';
import { naiveCsv, re, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

/**
 * Function fn's counts source with its counts expanded to one per minute of the trace: the reader
 * returns sparse counts (only non-empty minutes, in `bins`), the assertions read dense ones.
 */
function counts(trace: Trace, fn: number): Extract<ArrivalSource, { kind: 'counts' }> {
  const source = trace.arrivals(fn);
  assert.equal(source.kind, 'counts');
  assert.ok(source.bins, 'sparse counts');
  const { bins: _, ...rest } = source;
  return { ...rest, counts: denseCounts(source, trace.spanUs / source.binUs) };
}

describe('readAzure2019 on the real In-Vitro sample (100 functions, minutes 480..959)', () => {
  const invocations = naiveCsv(readFileSync(join(AZURE2019_DIR, 'invocations.csv'), 'utf8'));
  const durations = naiveCsv(readFileSync(join(AZURE2019_DIR, 'durations.csv'), 'utf8'));
  const memory = naiveCsv(readFileSync(join(AZURE2019_DIR, 'memory.csv'), 'utf8'));

  it('reads 100 functions over 480 one-minute bins starting at trace time 0', async () => {
    const trace = await readTrace(AZURE2019_DIR);
    assert.equal(trace.format, 'azure2019');
    assert.equal(trace.functions.length, 100);
    assert.equal(trace.spanUs, 480 * 60e6);
    assert.deepEqual(trace.warnings, []);
    assert.deepEqual(
      trace.files.map((f) => f.slice(AZURE2019_DIR.length + 1)),
      ['invocations.csv', 'durations.csv', 'memory.csv'],
    );
    for (let fn = 0; fn < 100; fn++) {
      const source = counts(trace, fn);
      assert.equal(source.counts.length, 480);
      assert.equal(source.startUs, 0);
      assert.equal(source.binUs, 60e6);
    }
  });

  it('sums minutes 0 and 1 over all functions to 1348, as a naive parse does', async () => {
    const trace = await readTrace(AZURE2019_DIR);
    const expected = invocations.slice(1).reduce((sum, r) => sum + Number(r[4]) + Number(r[5]), 0);
    assert.equal(expected, 1348);
    let actual = 0;
    for (let fn = 0; fn < trace.functions.length; fn++) {
      const c = counts(trace, fn).counts;
      actual += c[0]! + c[1]!;
    }
    assert.equal(actual, expected);
  });

  it('keeps each row’s ids, trigger and counts', async () => {
    const trace = await readTrace(AZURE2019_DIR);
    const row = invocations[42]!; // function 41
    const f = trace.functions[41]!;
    assert.equal(f.id, `${row[0]}/${row[1]}/${row[2]}`);
    assert.equal(f.app, row[1]);
    assert.equal(f.trigger, row[3]);
    assert.deepEqual([...counts(trace, 41).counts], row.slice(4).map(Number));
  });

  it('joins durations and memory to every function on the (owner, app, function) triple', async () => {
    const trace = await readTrace(AZURE2019_DIR);
    for (const f of trace.functions) {
      assert.ok(f.durationMs, `${f.id} has no durations`);
      assert.ok(f.memoryMb, `${f.id} has no memory`);
    }
    const f = trace.functions[7]!;
    const [owner, app, func] = f.id.split('/');
    const d = durations.find((r) => r[0] === owner && r[1] === app && r[2] === func)!;
    assert.deepEqual(f.durationMs, {
      average: Number(d[3]),
      points: [0, 1, 25, 50, 75, 99, 100].map((p, i) => [p, Number(d[7 + i])]),
    });
    const m = memory.find((r) => r[0] === func && r[1] === owner && r[2] === app)!;
    assert.deepEqual(f.memoryMb, {
      average: Number(m[4]),
      points: [1, 5, 25, 50, 75, 95, 99, 100].map((p, i) => [p, Number(m[5 + i])]),
    });
  });

  it('reads the same trace when given the invocations file itself', async () => {
    const trace = await readTrace(join(AZURE2019_DIR, 'invocations.csv'));
    assert.equal(trace.functions.length, 100);
    assert.ok(trace.functions.every((f) => f.durationMs && f.memoryMb));
  });
});

/** A tiny raw-layout day: app A (owner O) has functions f1 and f2, app B has f3. 1440 minutes. */
function rawDay(day: string, { memory = true, f2Durations = false } = {}): Record<string, string> {
  const minutes = Array.from({ length: 1440 }, (_, i) => i + 1);
  const row = (ids: string, trigger: string, at: Record<number, number>) =>
    [ids, trigger, ...minutes.map((m) => at[m] ?? 0)].join(',');
  const files: Record<string, string> = {
    [`invocations_per_function_md.anon.${day}.csv`]: [
      ['HashOwner,HashApp,HashFunction,Trigger', ...minutes].join(','),
      row('O,A,f1', 'http', { 1: 3, 2: 1 }),
      row('O,A,f2', 'timer', { 1440: 2 }),
      row('O,B,f3', 'queue', { 700: 5 }),
    ].join('\n'),
    [`function_durations_percentiles.anon.${day}.csv`]: [
      'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100',
      'O,B,f3,200,5,10.0,900.0,10,11,100,150,300,850,900',
      'O,A,f1,50,4,1.0,99.0,1,2,30,45,60,95,99',
      'X,Y,elsewhere,1,1,1.0,1.0,1,1,1,1,1,1,1',
      ...(f2Durations ? ['O,A,f2,7,2,7.0,7.0,7,7,7,7,7,7,7'] : []),
    ].join('\n'),
  };
  if (memory) {
    files[`app_memory_percentiles.anon.${day}.csv`] = [
      'HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100',
      'O,A,100,120,100,102,110,118,130,150,170,200',
      'O,B,100,64,60,60,62,64,66,68,70,72',
    ].join('\n');
  }
  return files;
}

describe('readAzure2019 on the raw public layout', () => {
  it('reads one day from its folder: counts, joins, and the app memory split across the app', async () => {
    const dir = await tmpTrace(rawDay('d05'));
    const trace = await readTrace(dir);
    assert.equal(trace.format, 'azure2019');
    assert.equal(trace.spanUs, 1440 * 60e6);
    assert.deepEqual(
      trace.functions.map((f) => [f.id, f.app, f.trigger]),
      [
        ['O/A/f1', 'A', 'http'],
        ['O/A/f2', 'A', 'timer'],
        ['O/B/f3', 'B', 'queue'],
      ],
    );
    assert.deepEqual([...counts(trace, 0).counts.slice(0, 3)], [3, 1, 0]);
    assert.equal(counts(trace, 1).counts[1439], 2);
    assert.equal(counts(trace, 2).counts[699], 5);

    const [f1, f2, f3] = trace.functions;
    assert.deepEqual(f1!.durationMs, {
      average: 50,
      points: [
        [0, 1],
        [1, 2],
        [25, 30],
        [50, 45],
        [75, 60],
        [99, 95],
        [100, 99],
      ],
    });
    assert.equal(f3!.durationMs?.average, 200);
    assert.equal(f2!.durationMs, undefined);

    // App A has two functions: each gets half of every memory value; app B's one function all.
    const halfA = { average: 60, points: [100, 102, 110, 118, 130, 150, 170, 200].map((v) => v / 2) };
    for (const f of [f1!, f2!]) {
      assert.equal(f.memoryMb?.average, halfA.average);
      assert.deepEqual(
        f.memoryMb?.points.map(([, v]) => v),
        halfA.points,
      );
      assert.deepEqual(
        f.memoryMb?.points.map(([p]) => p),
        [1, 5, 25, 50, 75, 95, 99, 100],
      );
    }
    assert.equal(f3!.memoryMb?.average, 64);
    assert.equal(f3!.memoryMb?.points[7]?.[1], 72);

    assert.deepEqual(
      trace.files.map((f) => f.slice(dir.length + 1)),
      [
        'invocations_per_function_md.anon.d05.csv',
        'function_durations_percentiles.anon.d05.csv',
        'app_memory_percentiles.anon.d05.csv',
      ],
    );
    assert.equal(trace.warnings?.length, 1);
    assert.match(
      trace.warnings![0]!,
      /function O\/A\/f2 has no row in .*function_durations_percentiles\.anon\.d05\.csv/,
    );
  });

  it('finds the siblings when given the invocations file', async () => {
    const dir = await tmpTrace(rawDay('d05', { f2Durations: true }));
    const trace = await readTrace(join(dir, 'invocations_per_function_md.anon.d05.csv'));
    assert.equal(trace.functions[1]!.durationMs?.average, 7);
    assert.equal(trace.functions[1]!.memoryMb?.average, 60);
    assert.deepEqual(trace.warnings, []);
  });

  it('leaves memory undefined, with one warning, on a day without a memory file (d13, d14)', async () => {
    const dir = await tmpTrace(rawDay('d13', { memory: false, f2Durations: true }));
    const trace = await readTrace(dir);
    assert.ok(trace.functions.every((f) => f.memoryMb === undefined));
    assert.ok(trace.functions.every((f) => f.durationMs !== undefined));
    assert.equal(trace.warnings?.length, 1);
    assert.match(trace.warnings![0]!, /no memory file .*app_memory_percentiles\.anon\.d13\.csv/);
    assert.equal(trace.files.length, 2);
  });

  it('refuses a folder holding several days, saying to name one day’s invocations file', async () => {
    const dir = await tmpTrace({ ...rawDay('d01'), ...rawDay('d02') });
    await rejectsWith(
      readTrace(dir),
      'E_USAGE',
      new RegExp(`^${re(dir)} holds 2 days .*d01\\.csv, .*d02\\.csv\\); name one day's invocations file`),
    );
  });

  it('refuses a folder with no Azure 2019 trace', async () => {
    const dir = await tmpTrace({ 'notes.txt': 'hello' });
    await rejectsWith(readAzure2019(dir), 'E_TRACE_FORMAT', /no Azure 2019 trace here/);
  });
});

const IN_VITRO_HEADER = 'HashOwner,HashApp,HashFunction,Trigger,480,481,482';

async function inVitro(invocations: string, extra: Record<string, string> = {}): Promise<string> {
  return tmpTrace({ 'invocations.csv': invocations, ...extra });
}

describe('readAzure2019 validation', () => {
  it('rejects a negative count with file:line and the minute column', async () => {
    const dir = await inVitro(`${IN_VITRO_HEADER}\no,a,f,http,1,2,3\no,a,g,http,1,-2,3\n`);
    const file = join(dir, 'invocations.csv');
    await rejectsWith(
      readTrace(dir),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:3: count in column 481 is negative: -2`),
    );
  });

  it('rejects a non-integer count with file:line', async () => {
    const dir = await inVitro(`${IN_VITRO_HEADER}\no,a,f,http,1,2.5,3\n`);
    const file = join(dir, 'invocations.csv');
    await rejectsWith(
      readTrace(dir),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:2: count in column 481 is not an integer: 2.5`),
    );
  });

  it('rejects a non-numeric count with file:line', async () => {
    const dir = await inVitro(`${IN_VITRO_HEADER}\no,a,f,http,1,x,3\n`);
    await rejectsWith(readTrace(dir), 'E_TRACE_ROW', /invocations\.csv:2: 481 is not a number: 'x'/);
  });

  it('rejects a row with the wrong number of cells with file:line', async () => {
    const dir = await inVitro(`${IN_VITRO_HEADER}\no,a,f,http,1,2,3\no,a,g,http,1,2\n`);
    const file = join(dir, 'invocations.csv');
    await rejectsWith(
      readTrace(dir),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:3: expected 7 cells as in the header, found 6`),
    );
  });

  it('rejects a header without a required column, naming file and column', async () => {
    const dir = await inVitro('HashOwner,HashApp,HashFunction,480,481\no,a,f,1,2\n');
    const file = join(dir, 'invocations.csv');
    await rejectsWith(
      readAzure2019(dir),
      'E_TRACE_FORMAT',
      new RegExp(`^${re(file)}: the header has no column 'Trigger'`),
    );
  });

  it('rejects a durations file without a required column, naming file and column', async () => {
    const dir = await inVitro(`${IN_VITRO_HEADER}\no,a,f,http,1,2,3\n`, {
      'durations.csv': 'HashOwner,HashApp,HashFunction,Average\no,a,f,3\n',
    });
    await rejectsWith(
      readTrace(dir),
      'E_TRACE_FORMAT',
      new RegExp(`^${re(join(dir, 'durations.csv'))}: the header has no column 'percentile_Average_0'`),
    );
  });

  it('rejects minute columns that skip a minute', async () => {
    const dir = await inVitro('HashOwner,HashApp,HashFunction,Trigger,1,2,4\no,a,f,http,1,2,3\n');
    await rejectsWith(
      readTrace(dir),
      'E_TRACE_FORMAT',
      /minute columns must be consecutive, but column 7 is '4' after '2'/,
    );
  });

  it('rejects a non-numeric percentile with file:line', async () => {
    const dir = await inVitro(`${IN_VITRO_HEADER}\no,a,f,http,1,2,3\n`, {
      'durations.csv':
        'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n' +
        'o,a,f,10,6,1.0,20.0,1,2,5,n/a,12,19,20\n',
    });
    const file = join(dir, 'durations.csv');
    await rejectsWith(
      readTrace(dir),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:2: percentile_Average_50 is not a number: 'n/a'`),
    );
  });

  it('with onDuplicate first, keeps the first of two rows with the same triple and warns naming both lines', async () => {
    const dir = await inVitro(`${IN_VITRO_HEADER}\no,a,f,http,1,2,3\no,a,g,http,0,0,1\no,a,f,timer,9,9,9\n`);
    const trace = await readTrace(dir, { onDuplicate: 'first' });
    assert.equal(trace.functions.length, 2);
    assert.equal(trace.functions[0]!.trigger, 'http');
    assert.deepEqual([...counts(trace, 0).counts], [1, 2, 3]);
    const file = join(dir, 'invocations.csv');
    const duplicate = trace.warnings?.find((w) => w.includes('repeats'));
    assert.equal(duplicate, `${file}:4: function o/a/f repeats line 2; kept line 2, skipped line 4`);
  });

  it('warns that durations and memory are undefined when their files are absent', async () => {
    const dir = await inVitro(`${IN_VITRO_HEADER}\no,a,f,http,1,2,3\n`);
    const trace = await readTrace(dir);
    assert.equal(trace.functions[0]!.durationMs, undefined);
    assert.equal(trace.functions[0]!.memoryMb, undefined);
    assert.equal(trace.warnings?.length, 2);
    assert.match(
      trace.warnings![0]!,
      /no durations file beside .*invocations\.csv \(looked for durations\.csv\)/,
    );
    assert.match(trace.warnings![1]!, /no memory file beside/);
  });

  it('summarises long runs of one warning', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `o,a,f${i},http,1,0,0`);
    const dir = await inVitro([IN_VITRO_HEADER, ...rows].join('\n'), {
      'durations.csv':
        'HashOwner,HashApp,HashFunction,Average,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n',
      'memory.csv':
        'HashFunction,HashOwner,HashApp,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\n',
    });
    const trace = await readTrace(dir);
    assert.equal(trace.functions.length, 25);
    assert.equal(trace.warnings?.length, 22);
    assert.ok(trace.warnings?.includes('... and 15 more warnings: functions without a durations row'));
    assert.ok(trace.warnings?.includes('... and 15 more warnings: functions without a memory row'));
  });
});
