import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { paceLimits } from '../src/dispatch/pace.js';
import { formatProgress } from '../src/report/progress.js';
import { replay } from '../src/run/replay.js';

/*
 * The live accounting says when the platform, not the plan, sets the pace: a small real run on
 * the embedded platform (process runtime) whose 16 functions all start within the first 0.3 s
 * with one start slot (--max-starting 1), so their cold starts queue (each takes 100 ms or
 * more). Bounded: 32 invocations of 20 ms over 3 s.
 */
const FUNCTIONS = 16;
let dir: string;
let tracePath: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-pace-'));
  tracePath = join(dir, 'trace.csv');
  const rows: string[] = [];
  for (let f = 0; f < FUNCTIONS; f++) rows.push(`${(0.02 * f).toFixed(3)},f${f},20`);
  for (let f = 0; f < FUNCTIONS; f++) rows.push(`${(2.5 + 0.02 * f).toFixed(3)},f${f},20`);
  await writeFile(tracePath, `time,fn,ms\n${rows.join('\n')}\n`);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('the platform sets the pace', () => {
  it('names the limits of one sample, and nothing when the plan sets the pace', () => {
    const idle = {
      waiting: { start_slot: 0, memory: 0, instance_busy: 3 },
      starting: 1,
      startSlots: 2,
      usedMemoryMb: 512,
      poolMemoryMb: 1024,
      instances: 2,
      maxInstances: 64,
    };
    const cpu = { busyShare: 0.5, saturated: false, cores: 2 };
    assert.deepEqual(paceLimits(idle, cpu), []);
    const full = { ...idle, waiting: { start_slot: 4, memory: 2, instance_busy: 0 }, starting: 2 };
    assert.deepEqual(
      paceLimits(full, { ...cpu, busyShare: 0.99, saturated: true }).map((l) => l.kind),
      ['start_slot', 'memory', 'cpu'],
    );
    const snapshot = {
      elapsedS: 1,
      requested: 1,
      sent: 1,
      completed: 0,
      inFlight: 1,
      errors: 0,
      dropped: 0,
      latenessP99Us: null,
      achievedPerS: 1,
      requestedPerS: 1,
    };
    assert.match(formatProgress(snapshot, 2, 2, 'paced by the platform: starts queued'), /starts queued$/);
  });

  it('says so during a run whose cold starts wait for the only start slot', async () => {
    const lines: string[] = [];
    const out = join(dir, 'run');
    const r = await replay({
      trace: tracePath,
      format: 'csv',
      csv: { timeColumn: 'time', functionColumn: 'fn', durationColumn: 'ms' },
      platform: 'local',
      runtime: 'process',
      maxStarting: 1,
      invokeTimeoutMs: 60_000,
      out,
      log: (l) => lines.push(l),
    });
    const said = lines.filter((l) => l.includes('the platform sets the pace'));
    assert.ok(
      said.some((l) =>
        /the platform sets the pace: \d+ invocations wait for a start slot \(1 of 1 cold starts under way/.test(
          l,
        ),
      ),
      lines.join('\n'),
    );
    assert.ok(
      r.manifest.warnings.some((w) =>
        /the platform set the pace at \d+ s: \d+ invocations wait for a start slot/.test(w),
      ),
    );
    // Each kind once.
    assert.equal(said.filter((l) => l.includes('start slot')).length, 1);
    assert.equal(r.summary.outcomes.ok, 2 * FUNCTIONS);
    const breakdown = r.summary.latencyBreakdown!;
    assert.ok(breakdown.shares.wait > 0 && breakdown.shares.init > 0);
  });
});
