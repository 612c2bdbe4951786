import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createClock } from '../src/dispatch/pacing.js';
import type { PaceReporter } from '../src/platforms/capabilities.js';
import type { PlatformPressure } from '../src/platforms/types.js';
import { type Capacity, excesses, fitScale, roundDown2 } from '../src/report/plan-fit.js';
import type { PlanNeeds } from '../src/report/plan-needs.js';
import { replay } from '../src/run/replay.js';
import { runCli } from './helpers/cli.js';
import { FakePlatform } from './helpers/fakes.js';
import { AZURE2021_FILE } from './helpers/paths.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'faasload-fit-'));
  dirs.push(d);
  return d;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A fake platform that says its instances run here under a pool (an idle one). */
class PooledFakePlatform extends FakePlatform implements PaceReporter {
  async pressure(): Promise<PlatformPressure> {
    return {
      waiting: { start_slot: 0, memory: 0, instance_busy: 0 },
      starting: 0,
      startSlots: 1,
      usedMemoryMb: 0,
      poolMemoryMb: 1024,
      instances: 0,
      maxInstances: 4,
    };
  }
}

/** Needs proportional to the scale, as cores are. */
function needsAt(scale: number): PlanNeeds {
  return {
    invocations: Math.round(1000 * scale),
    spanS: 60,
    peakCores: 10 * scale,
    peakCoresAtS: 0,
    meanCores: 5 * scale,
    withoutDuration: 0,
    peakInstances: 3,
    peakInstancesAtS: 0,
    peakMemoryMb: 384,
    peakMemoryAtS: 0,
    coldStarts: 3,
    peakColdStartsPerS: 3,
    peakColdStartsAtS: 0,
  };
}

const capacity: Capacity = { cores: 2, memoryMb: 1024, memoryFrom: '--pool-memory', maxInstances: 4 };

describe('the scale that fits', () => {
  it('rounds down to two significant digits', () => {
    assert.equal(roundDown2(0.0347), 0.034);
    assert.equal(roundDown2(0.2), 0.2);
    assert.equal(roundDown2(1.999), 1.9);
    assert.equal(roundDown2(0), 0);
  });

  it('scales by the worst ratio of capacity to need until the plan fits', () => {
    const asked: number[] = [];
    const r = fitScale(
      (s) => {
        asked.push(s);
        return needsAt(s);
      },
      capacity,
      1,
      needsAt(1),
    );
    // 10 cores at scale 1, 2 here: 0.2 fits; bisections between 0.2 and 1 find no larger one.
    assert.deepEqual(asked, [0.2, 0.6, 0.4, 0.3, 0.25]);
    assert.equal(r.scale, 0.2);
    assert.deepEqual(excesses(r.needs!, capacity), []);
  });

  it('bisects back up when the first fit is below the largest (instances shrink less than the rate)', () => {
    // Cores fit below 0.2; instances (8 at scale 1) fit at or below 0.5 only: the first step
    // (by the worse ratio, 0.2) fits, and four bisections between 0.2 and 1 find 0.5.
    const at = (s: number) => ({ ...needsAt(s), peakCores: 2 * s, peakInstances: s <= 0.5 ? 4 : 8 });
    const r = fitScale(at, capacity, 1, { ...at(1), peakCores: 10 });
    assert.equal(r.scale, 0.5);
    assert.deepEqual(
      r.tried.map((t) => t.scale),
      [0.2, 0.6, 0.4, 0.5, 0.55],
    );
    assert.deepEqual(excesses(r.needs!, capacity), []);
  });

  it('gives up rather than propose a scale that leaves no invocation', () => {
    const r = fitScale(
      (s) => ({ ...needsAt(s), invocations: s < 0.5 ? 0 : 10, peakCores: 10 }),
      capacity,
      1,
      {
        ...needsAt(1),
        peakCores: 10,
      },
    );
    assert.equal(r.scale, undefined);
    assert.deepEqual(
      r.tried.map((t) => t.scale),
      [0.2],
    );
  });

  it('gives up when the rate does not bring the instances down', () => {
    const r = fitScale((s) => ({ ...needsAt(s), peakInstances: 10 }), capacity, 1, {
      ...needsAt(1),
      peakInstances: 10,
    });
    assert.equal(r.scale, undefined);
    assert.ok(r.tried.length > 1);
    assert.ok(r.tried.every((t) => t.exceeded.includes('instances')));
  });
});

describe('replay --fit', () => {
  // Durations warped with the speed: the cores fit, the instances of 31 functions do not.
  const base = {
    trace: AZURE2021_FILE,
    speed: 1000,
    warpDurations: true,
    maxInstances: 4,
    poolMemoryMb: 1024,
  } as const;

  it('says the plan does not fit, and the --scale that would, without applying it', async () => {
    const clock = createClock('precise');
    const lines: string[] = [];
    const r = await replay({
      ...base,
      out: join(await tmp(), 'run'),
      clock,
      platformAdapter: new PooledFakePlatform(clock),
      log: (l) => lines.push(l),
    });
    const needs = r.manifest.needs!;
    assert.ok(needs.exceeded.length > 0, 'the whole sample keeps more than 4 instances alive');
    assert.ok(needs.fittingScale! > 0 && needs.fittingScale! < 1);
    assert.equal(needs.fit, undefined);
    assert.equal(r.manifest.counts.planned, needs.needs.invocations);
    assert.ok(lines.some((l) => l.startsWith('needs: instances under the keep-alive: peak')));
    const warning = `--scale ${needs.fittingScale} would fit (--fit applies it)`;
    assert.ok(lines.some((l) => l.startsWith('warning: the plan does not fit') && l.includes(warning)));
    assert.ok(r.manifest.warnings.some((w) => w.includes(warning)));
  });

  it('replays at the scale that fits and records it with the needs before and after', async () => {
    const clock = createClock('precise');
    const lines: string[] = [];
    const r = await replay({
      ...base,
      fit: true,
      out: join(await tmp(), 'run'),
      clock,
      platformAdapter: new PooledFakePlatform(clock),
      log: (l) => lines.push(l),
    });
    const needs = r.manifest.needs!;
    const fit = needs.fit!;
    assert.equal(fit.scaleFrom, 1);
    assert.ok(fit.scale > 0 && fit.scale < 1);
    assert.deepEqual(excesses(fit.needs, needs.capacity!), []);
    assert.ok(excesses(needs.needs, needs.capacity!).length > 0);
    const plan = (r.manifest.config as { plan: { scale: number } }).plan;
    assert.equal(plan.scale, fit.scale);
    assert.equal(r.manifest.counts.planned, fit.needs.invocations);
    assert.ok(fit.needs.invocations > 0 && fit.needs.invocations < needs.needs.invocations);
    const warned = lines.findIndex((l) => l.includes(`--fit applied --scale ${fit.scale} (was 1)`));
    const after = lines.findIndex((l) =>
      l.startsWith(`needs at --scale ${fit.scale}: instances under the keep-alive`),
    );
    assert.ok(warned >= 0 && after > warned, lines.join('\n'));
  });

  it('is refused for a platform that does not run its instances here', async () => {
    const r = await runCli([
      'replay',
      AZURE2021_FILE,
      '--platform',
      'http',
      '--url',
      'http://127.0.0.1:9/{function}',
      '--fit',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--fit only applies to --platform local/);
  });
});

describe('schedule --capacity', () => {
  it('prints the needs and, in JSON, the same numbers', async () => {
    const unwarped = await runCli(['schedule', AZURE2021_FILE, '--capacity', '--speed', '100']);
    assert.match(unwarped.stdout, /No --scale fits \(one leaving any invocation\): shorten the durations/);
    const args = [
      'schedule',
      AZURE2021_FILE,
      '--capacity',
      '--speed',
      '100',
      '--warp-durations',
      '--max-instances',
      '2',
    ];
    const text = await runCli(args);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /needs: cores of function work: peak [\d.]+ \(the minute from 0 s\)/);
    assert.match(
      text.stdout,
      /warning: the plan does not fit: .*--max-instances is 2\. --scale [\d.]+ would fit/,
    );
    const json = await runCli([...args, '--json']);
    const r = JSON.parse(json.stdout) as { rows: number; needs: { needs: PlanNeeds; fittingScale: number } };
    assert.equal(r.needs.needs.invocations, r.rows);
    assert.ok(r.needs.needs.peakInstances > 2);
    assert.ok(r.needs.fittingScale > 0 && r.needs.fittingScale < 1);
  });
});
