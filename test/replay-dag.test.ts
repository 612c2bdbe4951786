/**
 * Workflow (DAG) workloads: shapes (--dag-shape, --dag in In-Vitro's CSV format, seeded draws
 * from the published distribution), and replays of the Azure 2019 sample's first seconds with a
 * DAG shape and --invoke-via auto on an OpenWhisk (the embedded server) on both runtimes: every
 * planned workflow and every planned step has its row, joined by workflow_id, and the
 * trigger-fired share of workflows is the trace's share of timer/queue/event invocations.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/dispatch/clock.js';
import { startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import {
  AZURE2021_DAG,
  buildWorkflow,
  drawShape,
  parseDagShape,
  planWorkflows,
  readDagFile,
  StepRecorder,
  withWorkflows,
} from '../src/workflow/index.js';
import { need } from './helpers/cannot-run.js';
import { runCli } from './helpers/cli.js';
import { FakePlatform } from './helpers/fakes.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR } from './helpers/paths.js';

const noDocker = await need('docker', 'A DAG REPLAY ON THE DOCKER RUNTIME');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-dag-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DAG shapes', () => {
  it('parses --dag-shape and refuses what it cannot read', () => {
    const fixed = parseDagShape('width=2,depth=3');
    assert.deepEqual(drawShape(fixed, 1, 'f'), { width: 2, depth: 3 });
    assert.deepEqual(parseDagShape('depth=2').width, AZURE2021_DAG.width);
    assert.equal(parseDagShape('azure2021'), AZURE2021_DAG);
    assert.throws(() => parseDagShape('width=0,depth=2'), /width must be an integer in 1\.\.50, got '0'/);
    assert.throws(() => parseDagShape('breadth=2'), /expected 'width=W,depth=D'/);
  });

  it('draws from the published distribution, the same shape for the same seed and function', () => {
    const n = 20_000;
    const widths = new Map<number, number>();
    const depths = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const { width, depth } = drawShape({ ...AZURE2021_DAG, width: AZURE2021_DAG.width }, 3, `fn-${i}`);
      depths.set(depth, (depths.get(depth) ?? 0) + 1);
      if (depth > 1) widths.set(width, (widths.get(width) ?? 0) + 1);
    }
    // Depth: 12.51, 55.45, 18.88, 13.16 % (differences of In-Vitro's cumulative percentages).
    const share = (m: Map<number, number>, k: number, of: number) => (m.get(k) ?? 0) / of;
    for (const [d, p] of [
      [1, 0.1251],
      [2, 0.5545],
      [3, 0.1888],
      [4, 0.1316],
    ] as const) {
      assert.ok(Math.abs(share(depths, d, n) - p) < 0.015, `depth ${d}: ${share(depths, d, n)}`);
    }
    const wide = n - (depths.get(1) ?? 0);
    assert.ok(Math.abs(share(widths, 1, wide) - 0.7866) < 0.015, `width 1: ${share(widths, 1, wide)}`);
    assert.deepEqual(drawShape(AZURE2021_DAG, 3, 'fn-7'), drawShape(AZURE2021_DAG, 3, 'fn-7'));
  });

  it("reads In-Vitro's dag_structure.csv format and names the file and line of a bad row", () => {
    const good = join(dir, 'dag.csv');
    writeFileSync(
      good,
      'Width,Width - Percentile,Depth,Depth - Percentile,Total Nodes,Total Nodes\n1,0.00%,1,0.00%,2,0.00%\n2,50.00%,3,100.00%,4,100.00%\n3,100.00%,,,,\n',
    );
    const spec = readDagFile(good);
    assert.deepEqual(spec.depth, { kind: 'cdf', values: [1, 3], cumulative: [0, 1] });
    assert.deepEqual(spec.width, { kind: 'cdf', values: [1, 2, 3], cumulative: [0, 0.5, 1] });
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'Width,Width - Percentile,Depth,Depth - Percentile\n1,50%,2,100%\nx,100%,,\n');
    assert.throws(
      () => readDagFile(bad),
      new RegExp(`${bad.replaceAll('/', '\\/')}:3: width 'x' is not an integer`),
    );
  });

  it('builds the widest workflow of a shape: an entry, then width branches of depth - 1 steps', () => {
    const wf = buildWorkflow({ id: 'f', name: 'fn-0' }, { width: 3, depth: 3 });
    assert.equal(wf.steps.length, (3 - 1) * 3 + 1);
    assert.deepEqual(
      wf.stages.map((s) => [s.name, s.sequence, s.steps.length]),
      [
        ['fn-0-s0', false, 1],
        ['fn-0-b0', true, 2],
        ['fn-0-b1', true, 2],
        ['fn-0-b2', true, 2],
      ],
    );
    const chain = buildWorkflow({ id: 'f', name: 'fn-1' }, { width: 1, depth: 3 });
    assert.deepEqual(
      chain.stages.map((s) => [s.name, s.sequence, s.steps.length]),
      [['fn-1-wf', true, 3]],
    );
  });
});

describe('workflows on a platform without sequences', () => {
  it('the harness runs the entry, then each branch step after step, and records every step', async () => {
    const fake = new FakePlatform(new FakeClock(0));
    const fn = { id: 'trace-f', name: 'fn-0' };
    const workflows = planWorkflows([fn], parseDagShape('width=2,depth=3'), 1);
    const recorder = new StepRecorder();
    const adapter = withWorkflows(fake, workflows, new Set(), recorder);
    await adapter.deploy([fn], new AbortController().signal);
    assert.deepEqual(
      fake.deployed.map((f) => f.name),
      ['fn-0-s0', 'fn-0-s1', 'fn-0-s2', 'fn-0-s3', 'fn-0-s4'],
    );
    const r = await adapter.invoke(
      fn,
      { seq: 7, fn: 0, atUs: 0, durationMs: 30 },
      new AbortController().signal,
    );
    assert.equal(r.outcome, 'ok');
    assert.equal(r.coldStart, true);
    const order = fake.invoked.map((i) => i.fn);
    assert.equal(order[0], 'fn-0-s0', 'the entry first');
    assert.ok(order.indexOf('fn-0-s1') < order.indexOf('fn-0-s2'), 'branch 0 in order');
    assert.ok(order.indexOf('fn-0-s3') < order.indexOf('fn-0-s4'), 'branch 1 in order');
    // Each step runs its share of the duration: 30 ms over a depth of 3.
    assert.ok(fake.invoked.every((i) => i.arrival.params?.stepMs === '10'));
    const steps = recorder.take(7);
    assert.equal(steps.filter((x) => x?.outcome === 'ok').length, 5);
    assert.deepEqual(recorder.take(7), [], 'taken once');
  });

  it('a failed step stops its branch: the workflow is an error, the steps after it did not run', async () => {
    let calls = 0;
    const fake = new FakePlatform(new FakeClock(0), () =>
      ++calls === 2 ? { outcome: 'error', error: 'boom', failure: 'application' } : {},
    );
    const fn = { id: 'trace-g', name: 'fn-1' };
    const workflows = planWorkflows([fn], parseDagShape('width=1,depth=3'), 1);
    const recorder = new StepRecorder();
    const adapter = withWorkflows(fake, workflows, new Set(), recorder);
    await adapter.deploy([fn], new AbortController().signal);
    const r = await adapter.invoke(
      fn,
      { seq: 0, fn: 0, atUs: 0, durationMs: 3 },
      new AbortController().signal,
    );
    assert.equal(r.outcome, 'error');
    assert.equal(r.failure, 'application');
    assert.equal(r.error, 'boom');
    const steps = recorder.take(0);
    assert.deepEqual(
      [0, 1, 2].map((i) => steps[i]?.outcome),
      ['ok', 'error', undefined],
    );
  });
});

/** Invocations of each function hash in the trace's first minute, and their triggers. */
function traceMinute(): Map<string, { trigger: string; n: number }> {
  const lines = readFileSync(join(AZURE2019_DIR, 'invocations.csv'), 'utf8').trim().split('\n');
  return new Map(
    lines.slice(1).map((line) => {
      const c = line.split(',');
      return [c[2]!, { trigger: c[3]!, n: Number(c[4]) }];
    }),
  );
}

const EVENT = ['timer', 'queue', 'event'];
/** A row as text (its int64 columns are bigints). */
const show = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? Number(v) : v));

/** Short, and patient with a loaded machine: no invocation may time out. */
const BOUNDS = ['--speed', '5', '--max-duration', '20ms', '--seed', '3', '--timeout', '4m'];

async function dagReplay(runtime: 'process' | 'docker', flags: string[]) {
  // Containers start slowly on a loaded machine: a minute, not the default 10 s.
  const server = await startOpenWhiskServer({
    port: 0,
    runtime,
    keepAliveMs: 60_000,
    startTimeoutMs: 60_000,
  });
  try {
    const out = join(dir, `run-${runtime}`);
    const r = await runCli([
      'replay',
      AZURE2019_DIR,
      ...flags,
      ...[
        '--invoke-via',
        'auto',
        '--platform',
        'openwhisk',
        '--apihost',
        server.apiHost,
        '--auth',
        server.auth,
      ],
      ...['--out', out, '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const workflows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    const steps = rowsOf(await readParquetTable(join(out, 'workflow_steps.parquet')));
    return { workflows, steps };
  } finally {
    await server.close();
  }
}

/** Every workflow ok with its planned steps, each step ok; the trigger share is the trace's. */
function checkRun(
  workflows: Record<string, unknown>[],
  steps: Record<string, unknown>[],
  expectedShape?: { width: number; depth: number },
) {
  const trace = traceMinute();
  const triggerOf = (fn: unknown) => [...trace].find(([h]) => String(fn).endsWith(h))?.[1].trigger;
  assert.ok(workflows.length > 0);
  const bad = workflows.find((w) => w.outcome !== 'ok');
  assert.equal(bad, undefined, show(bad));
  const bySeq = new Map<number, Record<string, unknown>[]>();
  for (const s of steps) {
    const seq = Number(s.workflow_id);
    bySeq.set(seq, [...(bySeq.get(seq) ?? []), s]);
  }
  let planned = 0;
  for (const w of workflows) {
    const mine = bySeq.get(Number(w.seq)) ?? [];
    assert.ok(mine.length > 0, `workflow ${w.seq} has no steps`);
    const { width, depth } = { width: Number(mine[0]!.width), depth: Number(mine[0]!.depth) };
    if (expectedShape) assert.deepEqual({ width, depth }, expectedShape);
    assert.equal(mine.length, depth === 1 ? 1 : (depth - 1) * width + 1, `steps of workflow ${w.seq}`);
    planned += mine.length;
    assert.deepEqual(
      mine.map((s) => Number(s.step)).sort((a, b) => a - b),
      mine.map((_, i) => i),
    );
    for (const s of mine) {
      assert.equal(s.outcome, 'ok', show(s));
      assert.equal(s.function, w.function);
      assert.match(String(s.activation_id), /^[0-9a-f]{32}$/);
    }
    const event = EVENT.includes(triggerOf(w.function) ?? '');
    assert.equal(w.invoked_via, event ? 'trigger' : 'direct', `${w.function}`);
  }
  assert.equal(steps.length, planned, 'no step row without its workflow');
  const fired = workflows.filter((w) => w.invoked_via === 'trigger').length;
  const expectedFired = workflows.filter((w) => EVENT.includes(triggerOf(w.function) ?? '')).length;
  assert.equal(fired, expectedFired);
  return { fired, total: workflows.length };
}

describe('DAG replay with --invoke-via auto', { timeout: 300_000 }, () => {
  it('process runtime: a fixed shape, every workflow and step has its row', async () => {
    // Each step is a function of its own: 8 functions are 40 actions, their cold starts included.
    const window = [...BOUNDS, '--to', '30s', '--functions', '8'];
    const { workflows, steps } = await dagReplay('process', [...window, '--dag-shape', 'width=2,depth=3']);
    const { fired, total } = checkRun(workflows, steps, { width: 2, depth: 3 });
    assert.equal(steps.length, total * 5);
    assert.ok(fired > 0 && fired < total, `${fired} of ${total} fired through triggers`);
  });

  it('docker runtime: the published shape distribution', { skip: noDocker ?? false }, async () => {
    const window = [...BOUNDS, '--to', '20s', '--functions', '6'];
    const { workflows, steps } = await dagReplay('docker', [...window, '--dag-shape', 'azure2021']);
    checkRun(workflows, steps);
  });
});
