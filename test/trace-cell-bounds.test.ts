import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { EXIT_CODES } from '../src/cli/exit-codes.js';
import { FaasloadError } from '../src/errors.js';
import { TRACE_LIMITS } from '../src/trace/cells.js';
import { type ReadTraceOptions, readTrace } from '../src/trace/index.js';
import { runCli } from './helpers/cli.js';
import { removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

/*
 * Every reader, fed a valid file but for one random malformed number (not finite, negative, or
 * past TRACE_LIMITS) on a random row and column, must refuse it with the typed row error (exit 3)
 * whose message starts with `file:line:` of that cell.
 */

const RUNS = { numRuns: 40, seed: 20 } as const;
const DAY_S = 86_400;
const MAX_TIME_S = TRACE_LIMITS.maxTimeUs / 1e6;

/** Texts that are no finite number, though some look like one (1e400 parses as Infinity). */
const notFinite = fc.constantFrom('1e400', '-1e400', '1E999', 'NaN', 'nan', 'Infinity', '-Infinity', 'inf');
/** A negative number, written as JavaScript prints it (`-0.5`, `-1e-7`, `-3e+21`). */
const negative = fc.double({ min: 1e-6, max: 1e30, noNaN: true }).map((v) => `-${v}`);
/** A number above `bound`, plain or with an exponent. */
const above = (bound: number) =>
  fc.oneof(
    fc.integer({ min: Math.floor(bound) + 1, max: Number.MAX_SAFE_INTEGER }).map(String),
    fc.double({ min: bound * 1.01, max: 1e300, noNaN: true }).map(String),
    fc.integer({ min: Math.ceil(Math.log10(bound)) + 1, max: 308 }).map((e) => `1e${e}`),
  );
/** Any malformed value of a quantity bounded by `bound` (in the cell's unit). */
const malformed = (bound: number) => fc.oneof(notFinite, negative, above(bound));

/** n valid rows (1..6), the index of the bad one, and the bad column among `columns`. */
const placement = (columns: number) =>
  fc
    .integer({ min: 1, max: 6 })
    .chain((n) => fc.record({ n: fc.constant(n), row: fc.nat(n - 1), col: fc.nat(columns - 1) }));

/** Asserts the typed row error, exit code 3, naming `file` and `line` first. */
async function refusesAt(read: Promise<unknown>, file: string, line: number, bad: string): Promise<void> {
  const err = await read.then(
    () => assert.fail(`read a file holding '${bad}' at ${file}:${line}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof FaasloadError, `'${bad}': expected a FaasloadError, got ${String(err)}`);
  assert.equal(err.code, 'E_TRACE_ROW', `'${bad}': ${err.message}`);
  assert.equal(EXIT_CODES[err.code], 3);
  assert.ok(err.message.startsWith(`${file}:${line}: `), `'${bad}' at line ${line}: ${err.message}`);
}

/** The rows of a CSV where row `row`, column `col` (of those listed in `numeric`) reads `bad`. */
function withBadCell(rows: string[][], row: number, numeric: readonly number[], col: number, bad: string) {
  const out = rows.map((r) => [...r]);
  out[row]![numeric[col]!] = bad;
  return out.map((r) => r.join(',')).join('\n');
}

const AZ19_INVOCATIONS = 'HashOwner,HashApp,HashFunction,Trigger,1,2,3';
const AZ19_DURATIONS =
  'HashOwner,HashApp,HashFunction,Average,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100';
const AZ19_MEMORY =
  'HashOwner,HashApp,HashFunction,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100';

const invocationRows = (n: number) =>
  Array.from({ length: n }, (_, i) => ['o', 'a', `f${i}`, 'http', String(i), '2', '0']);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('every reader refuses a malformed number with file:line (property)', () => {
  it('azure2019 invocations: minute counts', async () => {
    await fc.assert(
      fc.asyncProperty(placement(3), malformed(60e6), async ({ n, row, col }, bad) => {
        const text = `${AZ19_INVOCATIONS}\n${withBadCell(invocationRows(n), row, [4, 5, 6], col, bad)}\n`;
        const dir = await tmpTrace({ 'invocations.csv': text });
        await refusesAt(readTrace(dir), join(dir, 'invocations.csv'), row + 2, bad);
      }),
      RUNS,
    );
  });

  it('azure2019 durations: every percentile, ms', async () => {
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => ['o', 'a', `f${i}`, '5', '1', '1', '2', '5', '7', '9', '10']);
    await fc.assert(
      fc.asyncProperty(placement(8), malformed(TRACE_LIMITS.maxDurationMs), async ({ n, row, col }, bad) => {
        const dir = await tmpTrace({
          'invocations.csv': `${AZ19_INVOCATIONS}\n${invocationRows(n)
            .map((r) => r.join(','))
            .join('\n')}\n`,
          'durations.csv': `${AZ19_DURATIONS}\n${withBadCell(rows(n), row, range(3, 11), col, bad)}\n`,
        });
        await refusesAt(readTrace(dir), join(dir, 'durations.csv'), row + 2, bad);
      }),
      RUNS,
    );
  });

  it('azure2019 memory: every percentile, MB', async () => {
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => [
        'o',
        'a',
        `f${i}`,
        '100',
        '90',
        '90',
        '95',
        '100',
        '105',
        '110',
        '120',
        '130',
      ]);
    await fc.assert(
      fc.asyncProperty(placement(9), malformed(TRACE_LIMITS.maxMemoryMb), async ({ n, row, col }, bad) => {
        const dir = await tmpTrace({
          'invocations.csv': `${AZ19_INVOCATIONS}\n${invocationRows(n)
            .map((r) => r.join(','))
            .join('\n')}\n`,
          'memory.csv': `${AZ19_MEMORY}\n${withBadCell(rows(n), row, range(3, 12), col, bad)}\n`,
        });
        await refusesAt(readTrace(dir), join(dir, 'memory.csv'), row + 2, bad);
      }),
      RUNS,
    );
  });

  it('azure2021: end_timestamp and duration, s', async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ['a', 'f', String(10 + i), '0.5']);
    // Column 0 is end_timestamp (a time), 1 the duration: their bounds differ.
    const bad = fc.oneof(
      fc.record({ col: fc.constant(0), text: malformed(MAX_TIME_S) }),
      fc.record({ col: fc.constant(1), text: malformed(TRACE_LIMITS.maxDurationMs / 1e3) }),
    );
    await fc.assert(
      fc.asyncProperty(placement(1), bad, async ({ n, row }, { col, text }) => {
        const dir = await tmpTrace({
          'a.csv': `app,func,end_timestamp,duration\n${withBadCell(rows(n), row, [2, 3], col, text)}\n`,
        });
        await refusesAt(readTrace(join(dir, 'a.csv')), join(dir, 'a.csv'), row + 2, text);
      }),
      RUNS,
    );
  });

  it('huawei2023: day, time (s since the release start) and per-minute counts', async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ['0', String(60 * i), '3', '']);
    const bad = fc.oneof(
      fc.record({ col: fc.constant(0), text: malformed(MAX_TIME_S / DAY_S) }),
      fc.record({ col: fc.constant(1), text: malformed(MAX_TIME_S) }),
      fc.record({ col: fc.constant(2), text: malformed(60e6) }),
    );
    await fc.assert(
      fc.asyncProperty(placement(1), bad, async ({ n, row }, { col, text }) => {
        const dir = await tmpTrace({
          'day_00.csv': `day,time,a,b\n${withBadCell(rows(n), row, [0, 1, 2], col, text)}\n`,
        });
        await refusesAt(readTrace(join(dir, 'day_00.csv')), join(dir, 'day_00.csv'), row + 2, text);
      }),
      RUNS,
    );
  });

  it('faasload workload: WAIT, s (the running sum bounded like any trace time)', async () => {
    await fc.assert(
      fc.asyncProperty(placement(1), malformed(MAX_TIME_S), async ({ n, row }, bad) => {
        const lines = Array.from({ length: n }, (_, i) => `${i === row ? bad : '0.5'}\tin${i}`);
        const name = 'user1-act-128-1-1';
        const dir = await tmpTrace({ [name]: `${lines.join('\n')}\n` });
        await refusesAt(readTrace(dir, { format: 'faasload' }), join(dir, name), row + 1, bad);
      }),
      RUNS,
    );
  });

  it('csv: time (spread past the bound), duration (ms) and memory (MB)', async () => {
    // A first valid row: a time is absurd only against the times read before it.
    const rows = (n: number) => Array.from({ length: n + 1 }, (_, i) => [String(100 + i), 'f', '5', '128']);
    const bad = fc.oneof(
      // Times may be negative or epoch-based (time 0 is the earliest): absurd is a spread past the bound.
      fc.record({
        col: fc.constant(0),
        text: fc.oneof(
          notFinite,
          above(MAX_TIME_S + 200),
          above(MAX_TIME_S).map((t) => `-${t}`),
        ),
      }),
      fc.record({ col: fc.constant(2), text: malformed(TRACE_LIMITS.maxDurationMs) }),
      fc.record({ col: fc.constant(3), text: malformed(TRACE_LIMITS.maxMemoryMb) }),
    );
    const options: ReadTraceOptions = {
      format: 'csv',
      csv: { functionColumn: 'fn', durationColumn: 'd', memoryColumn: 'm' },
    };
    await fc.assert(
      fc.asyncProperty(placement(1), bad, async ({ n, row }, { col, text }) => {
        const dir = await tmpTrace({
          't.csv': `time,fn,d,m\n${withBadCell(rows(n), row + 1, [col], 0, text)}\n`,
        });
        await refusesAt(readTrace(join(dir, 't.csv'), options), join(dir, 't.csv'), row + 3, text);
      }),
      RUNS,
    );
  });
});

describe('the CLI on a malformed number', () => {
  it('exits 3 with one file:line message and no stack, in trace inspect, schedule and replay', async () => {
    const dir = await tmpTrace({
      'a.csv': 'app,func,end_timestamp,duration\na,f,1.0,0.5\na,f,1e12,0.5\n',
      'b.csv': 'app,func,end_timestamp,duration\na,f,1.0,0.5\na,f,2.0,1e400\n',
    });
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const runs: [string[], RegExp][] = [
      [
        ['trace', 'inspect', a],
        /^faasload: .*a\.csv:3: end_timestamp 1e12 is .* days after the trace's time 0/,
      ],
      [['trace', 'inspect', b], /^faasload: .*b\.csv:3: duration is not a finite number: '1e400'/],
      [['schedule', a, '--out', join(dir, 'plan.parquet')], /^faasload: .*a\.csv:3: end_timestamp 1e12/],
      [['replay', b, '--out', join(dir, 'run')], /^faasload: .*b\.csv:3: duration is not a finite number/],
    ];
    for (const [args, message] of runs) {
      const r = await runCli(args, 60_000);
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
