/**
 * simulate --dag / --dag-shape: each step of a workflow is an invocation of its own function,
 * arriving when the previous step ends in simulated time. A hand-worked case in both models, a
 * seeded case on the Azure 2019 sample where every planned step has its row, and simulate vs
 * replay on a tiny plan giving the same step rows.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simulate } from '../src/simulate/run.js';
import { parseDagShape } from '../src/workflow/index.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR } from './helpers/paths.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-sim-dag-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const num = (v: unknown) => Number(v);
/** A timestamp column (simulated time from time 0, as from the epoch), as the reader gives it: ms. */
const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Number(v));

describe('simulate: workflows', () => {
  // Two functions, width 1, depth 2 (steps s0 then s1, each half the invocation's duration), a
  // 50 ms cold start, keep-alive 10 min, one execution per instance:
  //   f at 0 ms (100 ms: 50 per step): s0 cold 0 -> 100; s1 arrives 100, cold -> 200.
  //   f at 80 ms: s0's instance busy to 100, so cold: 80 -> 180; s1 arrives 180, its instance
  //     busy (150 -> 200): cold -> 280.
  //   g at 500 ms (40 ms: 20 per step): s0 cold 500 -> 570; s1 arrives 570, cold -> 640.
  //   f at 2000 ms: s0 warm 2000 -> 2050; s1 arrives 2050, warm -> 2100.
  const HAND = [
    // function, step, arrival ms, cold, end ms
    ['f', 0, 0, true, 100],
    ['f', 1, 100, true, 200],
    ['f', 0, 80, true, 180],
    ['f', 1, 180, true, 280],
    ['g', 0, 500, true, 570],
    ['g', 1, 570, true, 640],
    ['f', 0, 2000, false, 2050],
    ['f', 1, 2050, false, 2100],
  ] as const;
  const LATENCY_MS = [200, 200, 140, 100];
  // The local model as the embedded platform: an invocation whose cold start is under way takes
  // an instance of its function that frees first. f at 80 ms: s0's first instance frees at 100,
  // so warm 100 -> 150 (waited 20); s1 arrives 150, its first instance frees at 200 before its
  // own start would: warm 200 -> 250 (waited 50). Latency 170; 4 cold steps.
  const HAND_LOCAL = [
    ...HAND.slice(0, 2),
    ['f', 0, 80, false, 150],
    ['f', 1, 150, false, 250],
    ...HAND.slice(4),
  ] as const;
  const EXPECTED = {
    ideal: { hand: HAND, latencyMs: LATENCY_MS, coldSteps: 6, waitMs: new Map<string, number>() },
    local: {
      hand: HAND_LOCAL,
      latencyMs: [200, 170, 140, 100],
      coldSteps: 4,
      waitMs: new Map([
        ['f/0/80', 20],
        ['f/1/150', 50],
      ]),
    },
  } as const;

  for (const platformModel of ['ideal', 'local'] as const) {
    it(`a hand-worked width 1 depth 2 case (${platformModel} model): step arrivals and cold starts`, async () => {
      const trace = join(dir, 'two.csv');
      writeFileSync(trace, 'time,function,duration\n0,f,100\n0.08,f,100\n0.5,g,40\n2,f,100\n');
      const out = join(dir, `hand-${platformModel}`);
      const r = await simulate({
        trace,
        format: 'csv',
        csv: { functionColumn: 'function', durationColumn: 'duration' },
        dag: parseDagShape('width=1,depth=2'),
        platformModel,
        coldStartMs: 50,
        policies: ['fixed:10m'],
        maxStarting: 8,
        poolMemoryMb: 4096,
        figures: false,
        out,
      });
      assert.equal(r.invocations, 8, 'step invocations');
      const steps = rowsOf(await readParquetTable(join(out, 'workflow_steps.parquet')));
      assert.equal(steps.length, 8);
      const got = steps
        .map((s) => [
          String(s.target)
            .replace(/-s\d+$/, '')
            .slice(-1),
          num(s.step),
          ms(s.started_at),
          s.cold_start,
          ms(s.ended_at),
        ])
        .sort((a, b) => (a[2] as number) - (b[2] as number));
      const expected = EXPECTED[platformModel];
      const want = [...expected.hand].map((h) => [...h]).sort((a, b) => (a[2] as number) - (b[2] as number));
      assert.deepEqual(got, want);
      for (const s of steps) {
        assert.equal(s.outcome, 'ok');
        assert.equal(s.init_ms, s.cold_start ? 50 : null);
        const key = `${String(s.target)
          .replace(/-s\d+$/, '')
          .slice(-1)}/${num(s.step)}/${ms(s.started_at)}`;
        assert.equal(num(s.wait_ms), expected.waitMs.get(key) ?? 0, key);
      }
      const workflows = rowsOf(await readParquetTable(join(out, 'workflows.parquet')));
      assert.deepEqual(
        workflows.map((w) => num(w.latency_us) / 1000),
        expected.latencyMs,
      );
      const summary = r.workflows![0]!;
      assert.equal(summary.workflows, 4);
      assert.equal(summary.steps, 8);
      assert.equal(summary.coldSteps, expected.coldSteps);
      assert.equal(summary.latencyUs!.max, 200_000);
      // Each step is a function of its own: f's two steps and g's two.
      assert.equal(r.manifest.counts.units, 4);
    });
  }

  it('the Azure 2019 sample with seeded azure2021 shapes: every planned step has its row, in both policies', async () => {
    const out = join(dir, 'seeded');
    const spec = parseDagShape('azure2021');
    const r = await simulate({
      trace: AZURE2019_DIR,
      toUs: 120_000_000,
      seed: 7,
      dag: spec,
      policies: ['fixed:10m', 'fixed:1m'],
      figures: false,
      out,
    });
    const steps = rowsOf(await readParquetTable(join(out, 'workflow_steps.parquet')));
    const workflows = rowsOf(await readParquetTable(join(out, 'workflows.parquet')));
    assert.equal(r.workflows!.length, 2);
    let planned = 0;
    const shapes = new Set<string>();
    for (const w of workflows) {
      const width = num(w.width);
      const depth = num(w.depth);
      shapes.add(`${width}x${depth}`);
      assert.equal(num(w.steps), depth === 1 ? 1 : (depth - 1) * width + 1);
      planned += num(w.steps);
    }
    assert.ok(shapes.size > 2, `shapes drawn: ${[...shapes]}`);
    assert.equal(steps.length, planned);
    const key = (x: Record<string, unknown>) => `${x.policy}/${num(x.workflow_id)}`;
    const perWorkflow = new Map<string, number[]>();
    for (const s of steps) perWorkflow.set(key(s), [...(perWorkflow.get(key(s)) ?? []), num(s.step)]);
    for (const w of workflows) {
      const mine = (perWorkflow.get(key(w)) ?? []).sort((a, b) => a - b);
      assert.deepEqual(
        mine,
        Array.from({ length: num(w.steps) }, (_, i) => i),
      );
    }
    for (const s of steps) assert.equal(s.outcome, 'ok');
    // The plan's workflows: 1,348 invocations in the sample's first two minutes, per policy.
    assert.equal(workflows.length, 2 * 1348);
    assert.equal(r.workflows![0]!.steps, planned / 2);
    assert.equal(r.invocations, planned);
    // A step after another arrives when it ends: never before the workflow's entry.
    for (const s of steps) assert.ok(ms(s.ended_at) >= ms(s.started_at));
  });

  it('refuses --unit app and two DAG flags with workflows, saying which flags (exit 2)', async () => {
    const trace = join(dir, 'usage.csv');
    writeFileSync(trace, 'time\n0\n');
    const app = await runCli([
      'simulate',
      trace,
      '--format',
      'csv',
      '--dag-shape',
      'width=1,depth=2',
      '--unit',
      'app',
    ]);
    assert.equal(app.code, 2, app.stderr);
    assert.match(
      app.stderr,
      /--dag\/--dag-shape simulate each step as a function of its own: use --unit function/,
    );
    assert.doesNotMatch(app.stderr, /\n\s+at /, 'no stack trace');
    const both = await runCli([
      'simulate',
      trace,
      '--format',
      'csv',
      '--dag-shape',
      'width=1,depth=2',
      '--dag',
      trace,
    ]);
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /--dag and --dag-shape: give one of them/);
  });

  it('simulate and replay of the same tiny plan give the same number of step rows', async () => {
    const trace = join(dir, 'tiny.csv');
    writeFileSync(trace, 'time,function,duration\n0,a,10\n0.2,b,10\n0.4,a,10\n0.6,c,10\n');
    const flags = [
      '--format',
      'csv',
      '--function-column',
      'function',
      '--duration-column',
      'duration',
      '--dag-shape',
      'width=2,depth=3',
      '--seed',
      '5',
    ];
    const sim = await runCli(['simulate', trace, ...flags, '--no-figures', '--out', join(dir, 'tiny-sim')]);
    assert.equal(sim.code, 0, sim.stderr);
    assert.match(sim.stdout, /^20 step invocations of 3 functions/);
    assert.match(sim.stdout, /4 workflows, 20 steps/);
    assert.match(sim.stdout, /workflow latency \(entry arrival to last step's end\): p50/);
    const rep = await runCli(['replay', trace, ...flags, '--out', join(dir, 'tiny-replay')]);
    assert.equal(rep.code, 0, rep.stderr);
    const simSteps = rowsOf(await readParquetTable(join(dir, 'tiny-sim', 'workflow_steps.parquet')));
    const repSteps = rowsOf(await readParquetTable(join(dir, 'tiny-replay', 'workflow_steps.parquet')));
    assert.equal(simSteps.length, 20);
    assert.equal(simSteps.length, repSteps.length);
    const key = (s: Record<string, unknown>) => `${num(s.workflow_id)}/${num(s.step)}/${s.target}`;
    assert.deepEqual(simSteps.map(key).sort(), repSteps.map(key).sort());
  });
});
