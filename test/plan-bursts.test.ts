import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadPlan } from '../src/run/load-plan.js';
import type { Schedule } from '../src/schedule/types.js';
import { sampleMinuteMatrix } from './helpers/expected.js';
import { AZURE2019_DIR } from './helpers/paths.js';

const MINUTE_US = 60e6;
const HOUR_US = 3600e6;

/** Arrivals of the first hour summed by second of the minute (0..59). */
function bySecondOfMinute(s: Schedule): number[] {
  const sums = new Array<number>(60).fill(0);
  for (const b of s.batches()) {
    for (let i = 0; i < b.length; i++) {
      const t = b.atUs[i]!;
      if (t < HOUR_US) sums[Math.floor(t / 1e6) % 60]!++;
    }
  }
  return sums;
}

const busiestToMean = (sums: number[]) => Math.max(...sums) / (sums.reduce((a, b) => a + b, 0) / 60);

describe('no synchronized bursts at minute boundaries (real Azure 2019 sample)', () => {
  let expected: Map<string, number[]>;
  before(async () => {
    expected = await sampleMinuteMatrix();
  });

  it('default flags: over the first hour no second of the minute holds more than 1.25x the mean', async () => {
    const { plan } = await loadPlan({ trace: AZURE2019_DIR });
    const ratio = busiestToMean(bySecondOfMinute(plan));
    assert.ok(ratio <= 1.25, `busiest second of the minute: ${ratio.toFixed(3)}x the mean`);
  });

  it('the old spreading stays reachable by name, with its burst on second 0', async () => {
    const { plan } = await loadPlan({ trace: AZURE2019_DIR, iat: 'equidistant', shift: false });
    const sums = bySecondOfMinute(plan);
    assert.ok(busiestToMean(sums) > 2, `old spreading: ${busiestToMean(sums).toFixed(3)}x`);
    assert.equal(sums.indexOf(Math.max(...sums)), 0, 'second 0 is the busiest');
  });

  it("default flags: the plan keeps every function's per-minute counts exactly", async () => {
    const { plan } = await loadPlan({ trace: AZURE2019_DIR });
    const got = new Map<string, number[]>();
    for (const f of plan.functions) got.set(f.id, new Array<number>(480).fill(0));
    for (const b of plan.batches()) {
      for (let i = 0; i < b.length; i++) {
        got.get(plan.functions[b.fn[i]!]!.id)![Math.floor(b.atUs[i]! / MINUTE_US)]!++;
      }
    }
    assert.equal(got.size, expected.size);
    for (const [id, counts] of expected) assert.deepEqual(got.get(id), counts, id);
  });

  it('default flags: the same seed gives the same plan bit for bit, and samples are nested', async () => {
    const arrivals = async (functions?: number) => {
      const { plan } = await loadPlan({
        trace: AZURE2019_DIR,
        toUs: HOUR_US,
        ...(functions ? { functions } : {}),
      });
      return [...plan.arrivals()].map((a) => ({
        id: plan.functions[a.fn]!.id,
        atUs: a.atUs,
        d: a.durationMs,
      }));
    };
    const all = await arrivals();
    assert.deepEqual(await arrivals(), all);
    const some = await arrivals(10);
    const kept = new Set(some.map((a) => a.id));
    assert.equal(kept.size, 10);
    assert.deepEqual(
      some,
      all.filter((a) => kept.has(a.id)),
    );
  });
});
