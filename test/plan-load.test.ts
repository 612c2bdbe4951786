import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlanLoadCounter, planLoad } from '../src/report/plan-load.js';
import { plan } from '../src/schedule/plan.js';
import type { ArrivalBatch } from '../src/schedule/types.js';
import { fakeTrace } from './helpers/fakes.js';

/** A batch holding only times (what the counter reads). */
function batch(atUs: number[]): ArrivalBatch {
  const n = atUs.length;
  return {
    seq: 0,
    length: n,
    fn: new Uint32Array(n),
    atUs: Float64Array.from(atUs),
    durationMs: new Float64Array(n),
    memoryMb: new Float64Array(n),
    source: new Int32Array(n),
  };
}

describe('plan load per second', () => {
  it('counts arrivals per second of run time: mean over the span, first busiest second, ratio', () => {
    const c = new PlanLoadCounter(4e6);
    c.add(batch([0, 999_999, 1e6, 2.5e6, 2.6e6]));
    c.add(batch([2.9e6, 3.999e6]));
    assert.deepEqual(c.result(), {
      invocations: 7,
      spanS: 4,
      meanPerS: 7 / 4,
      peakPerS: 3,
      peakAtS: 2,
      peakToMean: 3 / (7 / 4),
    });
  });

  it('an empty plan has no ratio', () => {
    const r = new PlanLoadCounter(10e6).result();
    assert.equal(r.invocations, 0);
    assert.equal(r.peakPerS, 0);
    assert.ok(Number.isNaN(r.peakToMean));
  });

  it("measures a plan in run time: 60 functions' minutes at second 0 without a phase, spread with the default", () => {
    const trace = fakeTrace(
      Array.from({ length: 60 }, (_, f) => ({
        fn: { id: `f${f}` },
        src: { kind: 'counts' as const, startUs: 0, binUs: 60e6, counts: Uint32Array.from([6, 6]) },
      })),
      120e6,
    );
    const old = planLoad(plan(trace, { seed: 1, iat: 'equidistant', shift: false, speed: 2 }));
    // 60 functions x 6 a minute, every 10 s from second 0: 60 arrivals in each of 12 trace seconds.
    assert.deepEqual(old, {
      invocations: 720,
      spanS: 60,
      meanPerS: 12,
      peakPerS: 60,
      peakAtS: 0,
      peakToMean: 5,
    });
    const now = planLoad(plan(trace, { seed: 1, speed: 2 }));
    assert.equal(now.invocations, 720);
    assert.ok(now.peakPerS < 40, `default spreading peak ${now.peakPerS}/s`);
  });
});
