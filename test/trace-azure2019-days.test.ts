import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { readAzure2019 } from '../src/trace/azure2019.js';
import { formatDays, parseDays } from '../src/trace/days.js';
import type { Trace } from '../src/trace/types.js';
import { re, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

const MINUTES = 5;
const DURATIONS_HEADER =
  'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100';
const MEMORY_HEADER =
  'HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100';

type Row = [ids: string, trigger: string, at: Record<number, number>];

/** One tiny raw day of MINUTES minutes: invocation rows, durations averages, app memory averages. */
function rawDay(
  tag: string,
  rows: Row[],
  durations: Record<string, number>,
  memory?: Record<string, number>,
): Record<string, string> {
  const minutes = Array.from({ length: MINUTES }, (_, i) => i + 1);
  const files: Record<string, string> = {
    [`invocations_per_function_md.anon.${tag}.csv`]: [
      ['HashOwner,HashApp,HashFunction,Trigger', ...minutes].join(','),
      ...rows.map(([ids, trigger, at]) => [ids, trigger, ...minutes.map((m) => at[m] ?? 0)].join(',')),
    ].join('\n'),
    [`function_durations_percentiles.anon.${tag}.csv`]: [
      DURATIONS_HEADER,
      ...Object.entries(durations).map(([ids, avg]) => `${ids},${avg},1,1.0,1.0,1,1,1,1,1,1,1`),
    ].join('\n'),
  };
  if (memory) {
    files[`app_memory_percentiles.anon.${tag}.csv`] = [
      MEMORY_HEADER,
      ...Object.entries(memory).map(([ids, avg]) => `${ids},10,${avg},1,1,1,1,1,1,1,1`),
    ].join('\n');
  }
  return files;
}

/**
 * Three days: f2 and f3 are absent on day 2, f4 appears on day 2, f5 only on day 13 (no memory
 * file); day 2 repeats f1 (read here with onDuplicate 'first'; the default refuses it, see
 * trace-azure2019-duplicates.test.ts); f2's durations only come on day 2, where it has no invocations.
 */
const DAYS = {
  ...rawDay(
    'd01',
    [
      ['O,A,f1', 'http', { 1: 3, 5: 1 }],
      ['O,A,f2', 'timer', { 2: 2 }],
      ['O,B,f3', 'queue', { 3: 1 }],
    ],
    { 'O,A,f1': 10, 'O,B,f3': 30 },
    { 'O,A': 100, 'O,B': 64 },
  ),
  ...rawDay(
    'd02',
    [
      ['O,A,f1', 'event', { 1: 1 }],
      ['O,C,f4', 'event', { 4: 4 }],
      ['O,A,f1', 'http', { 2: 9 }],
    ],
    { 'O,A,f1': 999, 'O,A,f2': 20, 'O,C,f4': 40 },
    { 'O,A': 300, 'O,C': 80 },
  ),
  ...rawDay(
    'd13',
    [
      ['O,A,f1', 'http', { 5: 7 }],
      ['O,D,f5', 'http', { 1: 1 }],
    ],
    { 'O,D,f5': 50 },
  ),
};

function sparse(trace: Trace, fn: number): [number[], number[]] {
  const a = trace.arrivals(fn);
  assert.equal(a.kind, 'counts');
  assert.ok(a.bins);
  return [[...a.bins], [...a.counts]];
}

describe('readAzure2019 with days: raw days concatenated in time', () => {
  it('puts the days back to back, keeps functions across days and leaves absent days empty', async () => {
    const dir = await tmpTrace(DAYS);
    const trace = await readAzure2019(dir, { days: [1, 2, 13], onDuplicate: 'first' });
    assert.equal(trace.spanUs, 3 * MINUTES * 60e6);
    assert.deepEqual(
      trace.functions.map((f) => [f.id, f.trigger]),
      [
        ['O/A/f1', 'http'],
        ['O/A/f2', 'timer'],
        ['O/B/f3', 'queue'],
        ['O/C/f4', 'event'],
        ['O/D/f5', 'http'],
      ],
    );
    assert.deepEqual(sparse(trace, 0), [
      [0, 4, 5, 14],
      [3, 1, 1, 7],
    ]);
    assert.deepEqual(sparse(trace, 1), [[1], [2]]);
    assert.deepEqual(sparse(trace, 2), [[2], [1]]);
    assert.deepEqual(sparse(trace, 3), [[8], [4]]);
    assert.deepEqual(sparse(trace, 4), [[10], [1]]);
  });

  it('takes durations and memory from the first day that has them, memory split over the app’s functions that day', async () => {
    const dir = await tmpTrace(DAYS);
    const trace = await readAzure2019(dir, { days: [1, 2, 13], onDuplicate: 'first' });
    assert.deepEqual(
      trace.functions.map((f) => f.durationMs?.average),
      [10, 20, 30, 40, 50],
    );
    // Day 1: app A has f1 and f2 (100 / 2), app B f3; day 2: app C has f4 alone.
    assert.deepEqual(
      trace.functions.map((f) => f.memoryMb?.average),
      [50, 50, 64, 80, undefined],
    );
  });

  it('lists every file read and warns about the repeat, the missing memory file and the function without memory', async () => {
    const dir = await tmpTrace(DAYS);
    const trace = await readAzure2019(dir, { days: [1, 2, 13], onDuplicate: 'first' });
    assert.deepEqual(
      trace.files.map((f) => f.slice(dir.length + 1)),
      [
        'invocations_per_function_md.anon.d01.csv',
        'function_durations_percentiles.anon.d01.csv',
        'app_memory_percentiles.anon.d01.csv',
        'invocations_per_function_md.anon.d02.csv',
        'function_durations_percentiles.anon.d02.csv',
        'app_memory_percentiles.anon.d02.csv',
        'invocations_per_function_md.anon.d13.csv',
        'function_durations_percentiles.anon.d13.csv',
      ],
    );
    const d02 = join(dir, 'invocations_per_function_md.anon.d02.csv');
    assert.deepEqual(trace.warnings, [
      `${d02}:4: function O/A/f1 repeats line 2; kept line 2, skipped line 4`,
      `no memory file beside ${join(dir, 'invocations_per_function_md.anon.d13.csv')} (looked for app_memory_percentiles.anon.d13.csv): this day’s functions take memory from other days where they have them`,
      `function O/D/f5 has no row in ${join(dir, 'app_memory_percentiles.anon.d01.csv')} or ${join(dir, 'app_memory_percentiles.anon.d02.csv')}: memoryMb is undefined`,
    ]);
  });

  it('concatenates non-consecutive days without a gap', async () => {
    const dir = await tmpTrace(DAYS);
    const trace = await readAzure2019(dir, { days: [1, 13] });
    assert.equal(trace.spanUs, 2 * MINUTES * 60e6);
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['O/A/f1', 'O/A/f2', 'O/B/f3', 'O/D/f5'],
    );
    assert.deepEqual(sparse(trace, 0), [
      [0, 4, 9],
      [3, 1, 7],
    ]);
    assert.deepEqual(sparse(trace, 3), [[5], [1]]);
    assert.equal(trace.functions[1]!.durationMs, undefined, 'f2 has durations on day 2 only');
  });

  it('reads one day of a folder of several, and starts from a day’s invocations file too', async () => {
    const dir = await tmpTrace(DAYS);
    const two = await readAzure2019(dir, { days: [2], onDuplicate: 'first' });
    assert.deepEqual(
      two.functions.map((f) => f.id),
      ['O/A/f1', 'O/C/f4'],
    );
    assert.equal(two.spanUs, MINUTES * 60e6);
    const fromFile = await readAzure2019(join(dir, 'invocations_per_function_md.anon.d13.csv'), {
      days: [1, 2],
      onDuplicate: 'first',
    });
    assert.equal(fromFile.functions.length, 4);
  });

  it('refuses a day without files, naming the day and the days present', async () => {
    const dir = await tmpTrace(DAYS);
    await rejectsWith(
      readAzure2019(dir, { days: [1, 3] }),
      'E_TRACE_NOT_FOUND',
      new RegExp(
        `^${re(dir)}: no invocations file for day 3 \\(invocations_per_function_md\\.anon\\.d03\\.csv\\); days present: 1, 2, 13$`,
      ),
    );
  });

  it('refuses days on the In-Vitro layout and days out of order', async () => {
    const inVitro = await tmpTrace({
      'invocations.csv': 'HashOwner,HashApp,HashFunction,Trigger,1\no,a,f,http,1\n',
    });
    await rejectsWith(readAzure2019(inVitro, { days: [1] }), 'E_USAGE', /only be chosen in the raw layout/);
    await rejectsWith(
      readAzure2019(join(inVitro, 'invocations.csv'), { days: [1] }),
      'E_USAGE',
      /only be chosen in the raw layout/,
    );
    const dir = await tmpTrace(DAYS);
    await rejectsWith(readAzure2019(dir, { days: [2, 1] }), 'E_USAGE', /ascending day numbers/);
    await rejectsWith(readAzure2019(dir, { days: [] }), 'E_USAGE', /non-empty list/);
  });

  it('without days, refuses a folder of several days and says how to choose', async () => {
    const dir = await tmpTrace(DAYS);
    await rejectsWith(
      readAzure2019(dir),
      'E_USAGE',
      /holds 3 days .*, or the days to concatenate in time \(--day 1-2,13\)$/,
    );
  });
});

describe('parseDays', () => {
  it('reads single days, ranges and lists', () => {
    assert.deepEqual(parseDays('2'), [2]);
    assert.deepEqual(parseDays('0-1'), [0, 1]);
    assert.deepEqual(parseDays('1-3'), [1, 2, 3]);
    assert.deepEqual(parseDays('1,4,7'), [1, 4, 7]);
    assert.deepEqual(parseDays(' 1 - 3 , 5,13-14 '), [1, 2, 3, 5, 13, 14]);
  });

  it('reports every problem at once as E_USAGE', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /an empty item/],
      ['1,,2', /an empty item/],
      ['x', /'x' is not a day or a range of days/],
      ['1.5', /'1\.5' is not a day/],
      ['-1', /'-1' is not a day/],
      ['1000', /'1000': days run from 0 to 999/],
      ['3-1', /'3-1': the range ends before it starts/],
      ['1,1', /day 1 is listed twice/],
      ['1-3,2', /day 2 is listed twice/],
      ['3,1', /day 1 comes after day 3: list days in ascending order/],
      ['x,1000,3-1', /'x' is not a day .*; '1000': days run .*; '3-1': the range ends/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseDays(text),
        (err: unknown) => {
          assert.ok(err instanceof Error && 'code' in err && err.code === 'E_USAGE', String(err));
          assert.match(err.message, new RegExp(`^invalid list of days '${re(text)}': `));
          assert.match(err.message, message);
          return true;
        },
        text,
      );
    }
  });

  it('formats runs as ranges', () => {
    assert.equal(formatDays([1, 2, 3, 5, 13, 14]), '1-3,5,13-14');
    assert.equal(formatDays([7]), '7');
  });

  it('reads back any ascending set of days written as ranges (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 30 }), (set) => {
        const days = [...set].sort((a, b) => a - b);
        assert.deepEqual(parseDays(formatDays(days)), days);
        assert.deepEqual(parseDays(days.join(',')), days);
      }),
    );
  });
});
