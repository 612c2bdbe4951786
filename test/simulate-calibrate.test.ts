import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { replay } from '../src/run/replay.js';
import { simulate } from '../src/simulate/run.js';
import { need } from './helpers/cannot-run.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2021_FILE, REPO_ROOT } from './helpers/paths.js';

const PYTHON = process.env.FAASLOAD_PYTHON ?? join(REPO_ROOT, '.venv', 'bin', 'python');

/**
 * A small real replay on the embedded platform, light enough not to saturate a shared 2-core
 * machine, yet one that exercises the capacity rules: 10 minutes of the Azure 2021 sample
 * (31 functions, 93 invocations), 10x faster (~60 s), durations warped and capped at 50 ms, a 5 s
 * keep-alive (50 s of trace time) and at most 6 instances, so that idle instances are evicted
 * for room, least recently used first, and cold starts queue for start slots and room.
 */
async function smallRun(dir: string, runtime: 'process' | 'docker'): Promise<void> {
  await replay({
    trace: AZURE2021_FILE,
    toUs: 10 * 60e6,
    speed: 10,
    warpDurations: true,
    maxDurationMs: 50,
    keepAliveMs: 5000,
    maxInstances: 6,
    runtime,
    out: dir,
  });
}

/** The calibration's bar: cold starts within 5% in total, the same count for 90% of functions. */
async function assertReproduced(run: string, out: string): Promise<void> {
  const outcomes = rowsOf(await readParquetTable(join(run, 'invocations.parquet'))).map((r) => r.outcome);
  assert.ok(
    outcomes.every((o) => o === 'ok'),
    `the run must not be saturated: outcomes ${JSON.stringify(outcomes.filter((o) => o !== 'ok'))}`,
  );
  const events = rowsOf(await readParquetTable(join(run, 'instance_events.parquet')));
  assert.ok(
    events.some((e) => e.event === 'evicted_for_room'),
    'the run evicted idle instances for room (the rule under test)',
  );
  const r = await simulate({ calibrate: run, invocations: false, figures: false, out });
  const c = r.calibration!;
  assert.equal(r.manifest.config.platformModel, 'local', 'a run on the embedded platform is modelled as one');
  process.stderr.write(`calibration (shared machine): ${JSON.stringify(c)}\n`);
  assert.ok(
    Math.abs(c.simulatedColdStarts - c.measuredColdStarts) <= 0.05 * c.measuredColdStarts,
    `cold starts: simulated ${c.simulatedColdStarts}, measured ${c.measuredColdStarts}`,
  );
  assert.ok(
    c.sameCountShare >= 0.9,
    `the same count for ${c.functionsSameCount} of ${c.functionsCompared} functions`,
  );
}

describe('simulate --calibrate on a small real replay (process runtime)', () => {
  let tmp: string;
  let run: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'faasload-sim-cal-'));
    run = join(tmp, 'run');
    await smallRun(run, 'process');
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reproduces the run\u2019s cold starts: within 5% in total, the same count for 90% of functions', async () => {
    await assertReproduced(run, join(tmp, 'sim'));
  });

  it('takes the costs from the run, re-plans its trace and compares cold starts per function', async () => {
    const r = await simulate({
      calibrate: run,
      calibrateTiming: 'plan',
      invocations: false,
      figures: false,
      out: join(tmp, 'sim-plan'),
    });
    // The costs, computed independently with pyarrow from the run's dataset.
    const py = `
import json, sys, statistics, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1] + '/invocations.parquet').to_pylist()
ans = [r for r in t if r['cold_start'] is not None]
cold = [r for r in ans if r['cold_start']]
inits = sorted(r['init_ms'] for r in cold if r['init_ms'] is not None)
over = sorted(r['exec_ms'] - r['requested_duration_ms'] for r in t if r['exec_ms'] is not None and r['requested_duration_ms'] is not None)
rank = lambda v, q: v[min(len(v) - 1, max(0, int(-(-len(v) * q // 1)) - 1))]
print(json.dumps({'answered': len(ans), 'cold': len(cold), 'init_p50': rank(inits, 0.5), 'over_p50': rank(over, 0.5)}))`;
    const m = JSON.parse(execFileSync(PYTHON, ['-c', py, run], { encoding: 'utf8' }));
    const c = r.calibration!;
    assert.equal(c.policy, 'fixed:5s', 'the run\u2019s keep-alive is the default policy');
    assert.equal(c.measuredInvocations, m.answered);
    assert.equal(c.measuredColdStarts, m.cold);
    assert.ok(Math.abs(c.coldStartMs - m.init_p50) < 1e-9);
    assert.ok(Math.abs(c.execOverheadMs - Math.max(0, m.over_p50)) < 1e-9);
    assert.equal(c.simulatedInvocations, m.answered, 'the same plan: the run\u2019s trace, speed and seed');
    const config = r.manifest.config as Record<string, unknown>;
    assert.deepEqual(
      [config.calibrateTiming, (config.model as Record<string, unknown>).maxInstances],
      ['plan', 6],
      'the run\u2019s capacity rules, and the plan\u2019s timing',
    );
    const rows = rowsOf(await readParquetTable(join(r.dir, 'calibration.parquet')));
    assert.equal(rows.length, r.functions);
    assert.equal(
      rows.reduce((a, x) => a + Number(x.measured_cold_starts), 0),
      c.measuredColdStarts,
    );
    assert.equal(
      rows.reduce((a, x) => a + Number(x.simulated_cold_starts), 0),
      c.simulatedColdStarts,
    );
    for (const x of rows) {
      if (Number(x.measured_invocations) > 0)
        assert.ok(Number(x.measured_cold_starts) >= 1, String(x.function));
      if (Number(x.simulated_invocations) > 0)
        assert.ok(Number(x.simulated_cold_starts) >= 1, String(x.function));
    }
  });

  it('prints the comparison from the CLI, and refuses a folder that is not a run', async () => {
    const ok = await runCli(['simulate', '--calibrate', run, '--no-invocations', '--out', join(tmp, 'cli')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /calibrated on .*: cold start [\d.]+ ms, execution overhead [\d.]+ ms/);
    assert.match(ok.stdout, /cold starts \(fixed:5s\): measured \d+\/\d+ \([\d.]+%\), simulated \d+\/\d+/);
    assert.match(ok.stdout, /same cold-start count for \d+ of \d+ functions \([\d.]+%\); total [+-][\d.]+%/);
    const bad = await runCli(['simulate', '--calibrate', join(tmp, 'nothing-here')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--calibrate .*nothing-here: cannot read .*manifest\.json/);
  });
});

const noDocker = await need('docker', 'SIMULATE --CALIBRATE ON DOCKER');

describe('simulate --calibrate on a small real replay (docker runtime)', { skip: noDocker ?? false }, () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'faasload-sim-cal-docker-'));
    await smallRun(join(tmp, 'run'), 'docker');
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reproduces the run\u2019s cold starts: within 5% in total, the same count for 90% of functions', async () => {
    await assertReproduced(join(tmp, 'run'), join(tmp, 'sim'));
  });
});

describe('simulate: the CLI refuses bad input with a clear message', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'faasload-sim-cli-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  for (const [args, message] of [
    [['--policy', 'lru'], /unknown policy kind 'lru'/],
    [['--policy', 'fixed'], /needs a keep-alive, e.g. fixed:10m/],
    [['--policy', 'hybrid:margin=2'], /margin must be in \[0, 1\)/],
    [['--cold-start', 'soon'], /--cold-start: 'soon' is not a duration/],
    [['--concurrency', '0'], /--concurrency must be an integer >= 1 or inf/],
    [['--policy', 'fixed:10m', '--policy', 'fixed:10m'], /fixed:10m is given twice/],
    [['--platform-model', 'local', '--unit', 'app'], /--platform-model local has instances per function/],
    [['--platform-model', 'local', '--memory-classes', '256,128'], /128 does not come after 256/],
    [['--pool-memory', '0'], /--pool-memory: expected a positive integer, got 0/],
  ] as const) {
    it(`${args.join(' ')}: exit 2`, async () => {
      const r = await runCli(['simulate', AZURE2021_FILE, ...args, '--out', join(tmp, 'x')]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('no trace and no run: exit 2', async () => {
    const r = await runCli(['simulate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /name a trace, or a run with --calibrate/);
  });

  it('a policy plugin from --policy-module', async () => {
    const module = join(tmp, 'never.mjs');
    await writeFile(
      module,
      `export const policies = {
  'keep-none': () => ({ name: 'keep-none', start: () => ({ onInvocation(g, t, idle, w) { w.prewarmUs = 0; w.keepAliveUs = 0; } }) }),
};\n`,
    );
    const r = await runCli([
      'simulate',
      AZURE2021_FILE,
      '--policy-module',
      module,
      '--policy',
      'keep-none',
      '--json',
      '--no-invocations',
      '--out',
      join(tmp, 'plugin'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.policies[0].policy, 'keep-none');
    assert.equal(out.policies[0].coldStarts, 199, 'no keep-alive: every invocation is cold');
  });
});
