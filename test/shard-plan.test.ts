import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaasloadError } from '../src/errors.js';
import { loadPlan, type TracePlanOptions } from '../src/run/load-plan.js';
import { writeSchedule } from '../src/run/schedule.js';
import type { Plan } from '../src/schedule/plan.js';
import {
  assignShards,
  fullSeq,
  invocationsPerFunction,
  parseShard,
  type ShardPlan,
  shardPlan,
} from '../src/schedule/shard.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR, AZURE2021_FILE } from './helpers/paths.js';

/** One planned row, every field that a shard must keep as the full plan has it. */
type Row = [seq: number, id: string, atUs: number, durationMs: number, memoryMb: number, input: string];

function rowsFromArrivals(p: Plan): Row[] {
  return [...p.arrivals()].map((a) => [
    a.seq,
    p.functions[a.fn]!.id,
    a.atUs,
    a.durationMs ?? Number.NaN,
    a.memoryMb ?? Number.NaN,
    a.input ?? '',
  ]);
}

function rowsFromBatches(p: Plan): Row[] {
  const rows: Row[] = [];
  for (const b of p.batches({ reuse: true })) {
    for (let i = 0; i < b.length; i++)
      rows.push([fullSeq(b, i), p.functions[b.fn[i]!]!.id, b.atUs[i]!, b.durationMs[i]!, b.memoryMb[i]!, '']);
  }
  return rows;
}

/** The shards' rows merged by seq: what `dataset merge` sees. */
function union(shards: Row[][]): Row[] {
  return shards.flat().sort((a, b) => a[0] - b[0]);
}

const CASES: { name: string; options: TracePlanOptions; minRows: number }[] = [
  {
    name: 'Azure 2019, 2 h, poisson, scale 1.3',
    options: {
      trace: AZURE2019_DIR,
      toUs: 2 * 3600e6,
      iat: 'poisson',
      scale: 1.3,
      seed: 7,
    },
    minRows: 50_000,
  },
  {
    name: 'Azure 2019, 1 h, the default spreading (exponential)',
    options: { trace: AZURE2019_DIR, toUs: 3600e6, seed: 5 },
    minRows: 30_000,
  },
  {
    name: 'Azure 2019, 30 representative functions, 10x faster, warped durations, equidistant shifted',
    options: {
      trace: AZURE2019_DIR,
      fromUs: 3600e6,
      toUs: 3 * 3600e6,
      functions: 30,
      speed: 10,
      warpDurations: true,
      iat: 'equidistant',
      shift: true,
      seed: 3,
    },
    minRows: 1000,
  },
  {
    name: 'Azure 2021 (per-invocation times), scale 2.5',
    options: { trace: AZURE2021_FILE, scale: 2.5, seed: 11 },
    minRows: 400,
  },
];

describe('--shard: the union of the shard plans is the unsharded plan', () => {
  for (const c of CASES) {
    it(`${c.name}: row for row, for N = 1, 2, 3, 7`, async () => {
      const { plan: full } = await loadPlan(c.options);
      const expected = rowsFromArrivals(full);
      const expectedBatches = rowsFromBatches(full);
      assert.ok(expected.length >= c.minRows, `a plan worth splitting (${expected.length} rows)`);
      for (const count of [1, 2, 3, 7]) {
        const shards: ShardPlan[] = [];
        for (let index = 0; index < count; index++) {
          const { plan } = await loadPlan({ ...c.options, shard: { index, count } });
          assert.ok('shard' in plan, 'a shard plan');
          shards.push(plan as ShardPlan);
        }
        const byArrivals = shards.map(rowsFromArrivals);
        assert.deepEqual(union(byArrivals), expected, `N = ${count}: arrivals()`);
        assert.deepEqual(union(shards.map(rowsFromBatches)), expectedBatches, `N = ${count}: batches()`);
        // Each function on one shard only, and each shard's plan is in time order.
        const owner = new Map<string, number>();
        byArrivals.forEach((rows, s) => {
          for (const r of rows) {
            assert.equal(owner.get(r[1]) ?? s, s, `function ${r[1]} on two shards`);
            owner.set(r[1], s);
          }
          for (let i = 1; i < rows.length; i++) assert.ok(rows[i]![2] >= rows[i - 1]![2], 'ascending atUs');
          assert.equal(shards[s]!.count(), rows.length, 'count() is the shard rows');
        });
        // Every shard computed the same assignment on its own.
        for (const p of shards) assert.deepEqual(p.shard.plannedPerShard, shards[0]!.shard.plannedPerShard);
        const deployed = shards.flatMap((p) => p.shard.functions).sort((a, b) => a - b);
        assert.deepEqual(
          deployed,
          full.functions.map((_, i) => i),
          'every function deployed on exactly one shard',
        );
      }
    });
  }
});

describe('--shard: balance', () => {
  let synth: string;
  before(async () => {
    synth = await mkdtemp(join(tmpdir(), 'faasload-shard-synth-'));
    const r = await runCli(['trace', 'synth', '--functions', '2000', '--minutes', '30', '--out', synth]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await rm(synth, { recursive: true, force: true });
  });

  /** Per-shard planned invocations, the mean, and the busiest function's. */
  async function loads(options: TracePlanOptions, count: number) {
    const { plan: full } = await loadPlan(options);
    const perFunction = invocationsPerFunction(full);
    const { shard } = shardPlan(full, { index: 0, count });
    const total = perFunction.reduce((a, b) => a + b, 0);
    assert.equal(
      shard.plannedPerShard.reduce((a, b) => a + b, 0),
      total,
    );
    return {
      max: Math.max(...shard.plannedPerShard),
      mean: total / count,
      busiest: Math.max(...perFunction),
    };
  }

  it('keeps every shard within 10% of the mean with enough functions (2,000 synthetic ones)', async () => {
    for (const count of [2, 3, 7]) {
      const { max, mean } = await loads({ trace: synth, seed: 1 }, count);
      assert.ok(max <= 1.1 * mean, `N = ${count}: busiest shard ${max} vs mean ${mean.toFixed(0)}`);
    }
  });

  it('gives a dominant function a shard of its own and balances the rest (the real samples)', async () => {
    // The Azure samples are dominated by one or two functions: no split is within 10% there, and
    // LPT's bound is max <= max(busiest function, mean + busiest) -- here: the busiest alone.
    for (const trace of [AZURE2019_DIR, AZURE2021_FILE]) {
      for (const count of [2, 3, 7]) {
        const { max, mean, busiest } = await loads({ trace, seed: 1 }, count);
        assert.ok(max <= Math.max(busiest, 1.1 * mean), `${trace} N = ${count}: ${max} vs ${busiest}`);
      }
    }
  });

  it('is the same whatever the order the functions come in (ties by id)', () => {
    const counts = [5, 5, 5, 3, 3, 1, 1, 1, 0, 0];
    const ids = counts.map((_, i) => `fn-${String.fromCharCode(106 - i)}`);
    const a = assignShards(counts, ids, 3);
    const reversed = assignShards([...counts].reverse(), [...ids].reverse(), 3);
    const byId = (shardOf: Uint32Array, order: readonly string[]) =>
      Object.fromEntries(order.map((id, i) => [id, shardOf[i]]));
    assert.deepEqual(byId(reversed, [...ids].reverse()), byId(a, ids));
    // Idle functions are spread too: shard of each of the last two differ.
    assert.notEqual(a[8], a[9]);
  });
});

describe('--shard: parsing', () => {
  it('reads I/N from 0 and refuses the rest with a clear error', () => {
    assert.deepEqual(parseShard('0/3'), { index: 0, count: 3 });
    assert.deepEqual(parseShard(' 6 / 7 '), { index: 6, count: 7 });
    for (const [text, message] of [
      ['3/3', /must be below 3 \(0\/3 to 2\/3\)/],
      ['1/0', /at least 1/],
      ['a/b', /expected I\/N/],
      ['1', /expected I\/N/],
      ['-1/2', /expected I\/N/],
    ] as const) {
      assert.throws(
        () => parseShard(text),
        (err: unknown) => err instanceof FaasloadError && err.code === 'E_USAGE' && message.test(err.message),
        text,
      );
    }
  });
});

describe('faasload schedule --shard', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faasload-shard-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes 3 shard plans whose rows, read back from Parquet, are the full plan', async () => {
    const flags = [AZURE2019_DIR, '--to', '30m', '--seed', '5', '--iat', 'uniform'];
    const full = await writeSchedule({
      trace: AZURE2019_DIR,
      toUs: 30 * 60e6,
      seed: 5,
      iat: 'uniform',
      out: join(dir, 'full.parquet'),
    });
    const parts: Record<string, unknown>[][] = [];
    for (let i = 0; i < 3; i++) {
      const out = join(dir, `part${i}.parquet`);
      const r = await runCli(['schedule', ...flags, '--shard', `${i}/3`, '--out', out, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const table = await readParquetTable(out);
      assert.equal(table.schema.metadata.get('faasload.shard'), JSON.stringify({ index: i, count: 3 }));
      parts.push(rowsOf(table));
    }
    const merged = parts.flat().sort((a, b) => Number(a.seq) - Number(b.seq));
    const expected = rowsOf(await readParquetTable(full.file));
    assert.equal(merged.length, full.rows);
    assert.deepEqual(merged, expected);
    assert.ok(parts.every((p) => p.length > 0));
  });

  it('refuses a bad --shard with usage exit code 2, naming the flag', async () => {
    const r = await runCli(['schedule', AZURE2019_DIR, '--shard', '3/3', '--out', join(dir, 'x.parquet')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--shard 3\/3: the index counts from 0/);
  });

  it('says how to get a plan back that could not be written, naming its file, not a run folder', async () => {
    const out = join(dir, 'stuck', 'plan.parquet');
    // A folder where the Parquet writer wants its .partial file: the plan cannot be finished.
    await mkdir(`${out}.partial`, { recursive: true });
    const r = await runCli(['schedule', AZURE2019_DIR, '--to', '2m', '--out', out]);
    assert.equal(r.code, 5, r.stderr);
    // The plan is written as Parquet alone (no stream to recover): the error says so.
    assert.match(r.stderr, /stuck\/plan\.parquet: .*; nothing is kept/);
    assert.match(r.stderr, /run the same faasload schedule again to make .*stuck\/plan\.parquet/);
    assert.doesNotMatch(r.stderr, /dataset recover/);
    assert.ok(!existsSync(join(dir, 'stuck', 'plan.arrows')), 'no stream is left behind');
  });
});
