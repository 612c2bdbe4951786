import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Manifest } from '../src/dataset/manifest.js';
import { createClock } from '../src/dispatch/pacing.js';
import { replay } from '../src/run/replay.js';
import { simulate } from '../src/simulate/run.js';
import { readAzure2019, readTrace, type Trace } from '../src/trace/index.js';
import { runCli } from './helpers/cli.js';
import { FakePlatform } from './helpers/fakes.js';
import { AZURE2019_DIR } from './helpers/paths.js';
import { re, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

/*
 * Azure 2019 rows repeating an (owner, app, function) triple: refused by default naming both
 * rows, or summed / kept first when asked (--on-duplicate), never dropped silently.
 */

const INVOCATIONS = 'HashOwner,HashApp,HashFunction,Trigger,1,2,3';
const DURATIONS =
  'HashOwner,HashApp,HashFunction,Average,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100';
const MEMORY =
  'HashOwner,HashApp,HashFunction,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100';

/** f repeats on line 4: minutes (1, 0, 3) then (2, 5, 0). */
const REPEATED = `${INVOCATIONS}\no,a,f,http,1,0,3\no,a,g,timer,0,4,0\no,a,f,http,2,5,0\n`;

const durationRow = (ids: string, v: number) => `${ids},${v},${Array(7).fill(v).join(',')}`;
const memoryRow = (ids: string, v: number) => `${ids},${v},${Array(8).fill(v).join(',')}`;

function minutes(trace: Trace, fn: number): [number[], number[]] {
  const a = trace.arrivals(fn);
  assert.equal(a.kind, 'counts');
  assert.ok(a.bins);
  return [[...a.bins], [...a.counts]];
}

describe('Azure 2019 repeated triples in the invocations', () => {
  it('refuses by default, naming the file and line of both rows', async () => {
    const dir = await tmpTrace({ 'invocations.csv': REPEATED });
    const file = join(dir, 'invocations.csv');
    await rejectsWith(
      readTrace(dir),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:4: function o/a/f repeats the row at ${re(file)}:2; --on-duplicate sum`),
    );
    await rejectsWith(
      readTrace(dir, { onDuplicate: 'refuse' }),
      'E_TRACE_ROW',
      /:4: function o\/a\/f repeats/,
    );
  });

  it('sum adds the minute counts of both rows, keeps the first row’s place, and says so', async () => {
    const dir = await tmpTrace({ 'invocations.csv': REPEATED });
    const trace = await readTrace(dir, { onDuplicate: 'sum' });
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['o/a/f', 'o/a/g'],
    );
    assert.deepEqual(minutes(trace, 0), [
      [0, 1, 2],
      [3, 5, 3],
    ]);
    assert.deepEqual(minutes(trace, 1), [[1], [4]]);
    const file = join(dir, 'invocations.csv');
    assert.ok(
      trace.warnings?.includes(
        `${file}:4: function o/a/f repeats line 2; added the minute counts of line 4 to those of line 2`,
      ),
      String(trace.warnings),
    );
  });

  it('sum adds three rows, and refuses a sum past one invocation per microsecond of the minute', async () => {
    const three = await tmpTrace({
      'invocations.csv': `${INVOCATIONS}\no,a,f,http,1,0,0\no,a,f,http,1,1,0\no,a,f,http,0,0,7\n`,
    });
    assert.deepEqual(minutes(await readTrace(three, { onDuplicate: 'sum' }), 0), [
      [0, 1, 2],
      [2, 1, 7],
    ]);
    const big = await tmpTrace({
      'invocations.csv': `${INVOCATIONS}\no,a,f,http,40000000,0,0\no,a,f,http,30000000,0,0\n`,
    });
    await rejectsWith(
      readTrace(big, { onDuplicate: 'sum' }),
      'E_TRACE_ROW',
      /invocations\.csv:3: the minute counts of this line and line 2 add up to 70000000/,
    );
  });

  it('first keeps the first row and warns naming both lines', async () => {
    const dir = await tmpTrace({ 'invocations.csv': REPEATED });
    const trace = await readTrace(dir, { onDuplicate: 'first' });
    assert.deepEqual(minutes(trace, 0), [
      [0, 2],
      [1, 3],
    ]);
    assert.ok(
      trace.warnings?.includes(
        `${join(dir, 'invocations.csv')}:4: function o/a/f repeats line 2; kept line 2, skipped line 4`,
      ),
    );
  });

  it('sum works within one raw day of several, a function on two days not being a repeat', async () => {
    const name = (d: string) => `invocations_per_function_md.anon.${d}.csv`;
    const dir = await tmpTrace({
      [name('d01')]: `${INVOCATIONS}\no,a,f,http,1,0,0\n`,
      [name('d02')]: `${INVOCATIONS}\no,a,f,http,0,2,0\no,a,f,http,0,3,4\n`,
    });
    await rejectsWith(
      readAzure2019(dir, { days: [1, 2] }),
      'E_TRACE_ROW',
      /d02\.csv:3: .*repeats the row at/,
    );
    const trace = await readAzure2019(dir, { days: [1, 2], onDuplicate: 'sum' });
    assert.deepEqual(minutes(trace, 0), [
      [0, 4, 5],
      [1, 5, 4],
    ]);
  });
});

describe('Azure 2019 repeated triples in the durations and memory', () => {
  const invocations = `${INVOCATIONS}\no,a,f,http,1,0,3\n`;

  it('refuses a repeated durations row or memory row by default, naming both lines', async () => {
    const durations = await tmpTrace({
      'invocations.csv': invocations,
      'durations.csv': `${DURATIONS}\n${durationRow('o,a,f', 10)}\n${durationRow('o,a,f', 99)}\n`,
    });
    const d = join(durations, 'durations.csv');
    await rejectsWith(
      readTrace(durations),
      'E_TRACE_ROW',
      new RegExp(`^${re(d)}:3: function o/a/f repeats the row at ${re(d)}:2`),
    );
    const memory = await tmpTrace({
      'invocations.csv': invocations,
      'memory.csv': `${MEMORY}\n${memoryRow('o,a,x', 1)}\n${memoryRow('o,a,f', 128)}\n${memoryRow('o,a,f', 256)}\n`,
    });
    const m = join(memory, 'memory.csv');
    await rejectsWith(
      readTrace(memory),
      'E_TRACE_ROW',
      new RegExp(`^${re(m)}:4: function o/a/f repeats the row at ${re(m)}:3`),
    );
  });

  it('sum and first keep the first durations and memory rows (percentiles do not add), with a warning', async () => {
    const dir = await tmpTrace({
      'invocations.csv': invocations,
      'durations.csv': `${DURATIONS}\n${durationRow('o,a,f', 10)}\n${durationRow('o,a,f', 99)}\n`,
      'memory.csv': `${MEMORY}\n${memoryRow('o,a,f', 128)}\n${memoryRow('o,a,f', 256)}\n`,
    });
    for (const onDuplicate of ['sum', 'first'] as const) {
      const trace = await readTrace(dir, { onDuplicate });
      assert.equal(trace.functions[0]!.durationMs?.average, 10);
      assert.equal(trace.functions[0]!.memoryMb?.average, 128);
      const why = onDuplicate === 'sum' ? ' (percentiles do not add)' : '';
      assert.deepEqual(trace.warnings, [
        `${join(dir, 'durations.csv')}:3: function o/a/f repeats line 2; kept line 2${why}, skipped line 3`,
        `${join(dir, 'memory.csv')}:3: function o/a/f repeats line 2; kept line 2${why}, skipped line 3`,
      ]);
    }
  });
});

describe('--on-duplicate on the command line and in the manifest', () => {
  it('trace inspect refuses with exit 3 by default; sum and first read, an unknown choice is a usage error', async () => {
    const dir = await tmpTrace({ 'invocations.csv': REPEATED });
    const refused = await runCli(['trace', 'inspect', dir]);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(
      refused.stderr,
      /^faasload: .*invocations\.csv:4: function o\/a\/f repeats the row at .*invocations\.csv:2;/,
    );
    assert.doesNotMatch(refused.stderr, /\n\s+at /);
    const total = async (choice: string) => {
      const r = await runCli(['trace', 'inspect', dir, '--on-duplicate', choice, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { invocations: number }).invocations;
    };
    assert.equal(await total('sum'), 1 + 3 + 4 + 2 + 5);
    assert.equal(await total('first'), 1 + 3 + 4);
    const bad = await runCli(['trace', 'inspect', dir, '--on-duplicate', 'last']);
    assert.equal(bad.code, 2, bad.stderr);
  });

  it('the manifest’s resolved config records the choice, the default included, and calibration reuses it', async () => {
    const run = async (trace: string, extra: { onDuplicate?: 'sum' }) => {
      const clock = createClock('precise');
      const out = join(await tmpTrace(), 'run');
      const { manifest } = await replay({
        trace,
        speed: 1000,
        out,
        clock,
        platformAdapter: new FakePlatform(clock),
        ...extra,
      });
      const written = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
      assert.deepEqual(written.config.onDuplicate, manifest.config.onDuplicate);
      return { written, out };
    };
    const dir = await tmpTrace({ 'invocations.csv': REPEATED });
    const { written: summed, out: summedOut } = await run(dir, { onDuplicate: 'sum' });
    assert.equal(summed.config.onDuplicate, 'sum');
    assert.equal(summed.counts.planned, 1 + 3 + 4 + 2 + 5);
    assert.ok(
      summed.warnings.some((w) => w.includes('added the minute counts of line 4 to those of line 2')),
    );
    // simulate --calibrate re-plans the run's trace with the run's choice.
    const sim = await simulate({
      calibrate: summedOut,
      invocations: false,
      out: join(await tmpTrace(), 'sim'),
    });
    assert.equal(sim.manifest.config.onDuplicate, 'sum');
    const plain = await tmpTrace({ 'invocations.csv': `${INVOCATIONS}\no,a,f,http,1,0,0\n` });
    assert.equal((await run(plain, {})).written.config.onDuplicate, 'refuse');
  });
});

describe('the shared 100-function Azure 2019 sample', () => {
  it('reads with the default (refuse): it has no repeated triple', async () => {
    const trace = await readTrace(AZURE2019_DIR);
    assert.equal(trace.functions.length, 100);
    assert.equal(new Set(trace.functions.map((f) => f.id)).size, 100);
    assert.ok(!trace.warnings?.some((w) => w.includes('repeats')));
  });
});
