import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPlanNeeds, PlanNeedsCounter } from '../src/report/plan-needs.js';
import type { ArrivalBatch } from '../src/schedule/types.js';

/** A batch of [function, atS, durationMs] arrivals (NaN: no duration). */
function batch(rows: [fn: number, atS: number, durationMs: number][]): ArrivalBatch {
  const n = rows.length;
  return {
    seq: 0,
    length: n,
    fn: Uint32Array.from(rows.map((r) => r[0])),
    atUs: Float64Array.from(rows.map((r) => r[1] * 1e6)),
    durationMs: Float64Array.from(rows.map((r) => r[2])),
    memoryMb: new Float64Array(n).fill(Number.NaN),
    source: new Int32Array(n).fill(-1),
  };
}

describe('plan needs', () => {
  it('cores per minute window, instances and memory under the keep-alive, cold starts per second', () => {
    const c = new PlanNeedsCounter({ spanUs: 120e6, limitMb: [256, 1024], keepAliveMs: 10_000 });
    // fn 0: A at 0 s (30 s), B at 10 s (30 s) while A is busy: 2 instances, 512 MB.
    // A expires at 40 s, B at 50 s; fn 1 at 70 s (90 s): 1 instance of 1024 MB.
    c.add(batch([[0, 0, 30_000]]));
    c.add(
      batch([
        [0, 10, 30_000],
        [1, 70, 90_000],
      ]),
    );
    assert.deepEqual(c.result(), {
      invocations: 3,
      spanS: 120,
      // minute 0: 60 s of work / 60 s; minute 1: 90 s / 60 s.
      peakCores: 1.5,
      peakCoresAtS: 60,
      meanCores: 150 / 120,
      withoutDuration: 0,
      peakInstances: 2,
      peakInstancesAtS: 10,
      peakMemoryMb: 1024,
      peakMemoryAtS: 70,
      coldStarts: 3,
      peakColdStartsPerS: 1,
      peakColdStartsAtS: 0,
    });
  });

  it('reuses the most recently freed idle instance, so the other ages out', () => {
    const c = new PlanNeedsCounter({ spanUs: 30e6, limitMb: [128], keepAliveMs: 10_000 });
    c.add(
      batch([
        [0, 0, 1000], // A, until 1 s
        [0, 0.5, 1000], // B (A busy), until 1.5 s
        [0, 5, 100], // B, the most recently freed
        [0, 9, 100], // B
        [0, 13, 100], // B; A idle since 1 s expired at 11 s
        [0, 20, 1000], // B, busy until 21 s
        [0, 20.1, 1000], // a third instance: A is gone
      ]),
    );
    const r = c.result();
    assert.equal(r.coldStarts, 3);
    assert.equal(r.peakInstances, 2);
    assert.equal(r.peakInstancesAtS, 0);
    assert.equal(r.peakColdStartsPerS, 2);
    assert.equal(r.peakMemoryMb, 256);
  });

  it('an instance idle exactly the keep-alive is gone; no duration counts as no work', () => {
    const c = new PlanNeedsCounter({ spanUs: 20e6, limitMb: [128], keepAliveMs: 5_000 });
    c.add(
      batch([
        [0, 0, 1000], // ends 1 s, expires 6 s
        [0, 4, 1000], // reused: ends 5 s, expires 10 s
        [0, 10, Number.NaN], // idle exactly 5 s: a cold start
      ]),
    );
    const r = c.result();
    assert.equal(r.coldStarts, 2);
    assert.equal(r.peakInstances, 1);
    assert.equal(r.withoutDuration, 1);
    // A plan shorter than the window divides by its span: 2 s of work over 20 s.
    assert.equal(r.peakCores, 0.1);
    assert.match(formatPlanNeeds(r).join('\n'), /1 invocations have no duration/);
  });

  it('an infinite keep-alive keeps every instance', () => {
    const c = new PlanNeedsCounter({
      spanUs: 10e6,
      limitMb: [128, 256],
      keepAliveMs: Number.POSITIVE_INFINITY,
    });
    c.add(
      batch([
        [0, 0, 100],
        [1, 1, 100],
        [0, 9, 100],
      ]),
    );
    const r = c.result();
    assert.equal(r.coldStarts, 2);
    assert.equal(r.peakMemoryMb, 384);
  });

  it('an empty plan needs nothing', () => {
    const r = new PlanNeedsCounter({ spanUs: 0, limitMb: [], keepAliveMs: 1000 }).result();
    assert.equal(r.invocations, 0);
    assert.equal(r.peakCores, 0);
    assert.equal(r.peakInstances, 0);
    assert.deepEqual(formatPlanNeeds(r), ['needs: no invocations']);
  });
});
