import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HYBRID_DEFAULTS, hybridPolicy, IdleHistograms } from '../src/simulate/hybrid.js';
import {
  BatchResults,
  MODEL_DEFAULTS,
  type ModelOptions,
  Simulator,
  simulationUnits,
} from '../src/simulate/model.js';
import { fixedKeepAlive, type KeepAlivePolicy, noUnload, type Windows } from '../src/simulate/policy.js';
import { parsePolicy } from '../src/simulate/registry.js';

const S = 1e6;
const MIN = 60e6;
const MEM = 128;

/** One function, arrivals at `times` (µs) with `durationMs` each; returns the simulator and results. */
function simulateOne(
  policy: KeepAlivePolicy,
  times: number[],
  model: Partial<ModelOptions> & { horizonUs: number },
  durationMs = 0,
  fnOf?: number[],
) {
  const functions = [
    { id: 'f', app: 'a' },
    { id: 'g', app: 'a' },
  ];
  const units = simulationUnits(functions, 'function');
  const sim = new Simulator(policy, units, { ...MODEL_DEFAULTS, ...model });
  const n = times.length;
  const out = new BatchResults();
  sim.run(
    Uint32Array.from(fnOf ?? times.map(() => 0)),
    Float64Array.from(times),
    new Float64Array(n).fill(durationMs),
    new Float64Array(n).fill(MEM),
    n,
    out,
  );
  const cold = [...out.cold.subarray(0, n)];
  const waitUs = [...out.waitUs.subarray(0, n)];
  const instance = [...out.instance.subarray(0, n)];
  sim.finish();
  return { sim, cold, waitUs, instance };
}

describe('simulate: the model on hand-computed cases', () => {
  it('takes the right pending instance when an older idle one expires below it', () => {
    // A (0 s) and B (0.5 s) run 1 s each on two instances. A's instance is kept 1 s, B's is
    // pre-warmed 10 s after its end. At 5 s, C finds B's pre-warm pending above A's expired
    // instance: it cancels that pre-warm (cold) and takes B's instance.
    const windows: [prewarmUs: number, keepAliveUs: number][] = [
      [0, 1 * S],
      [10 * S, 10 * S],
      [0, 1 * S],
    ];
    let call = 0;
    const scripted: KeepAlivePolicy = {
      name: 'scripted',
      start: () => ({
        onInvocation(_g: number, _atUs: number, _idleUs: number, w: Windows) {
          [w.prewarmUs, w.keepAliveUs] = windows[call++]!;
        },
      }),
    };
    const { sim, cold, instance } = simulateOne(
      scripted,
      [0, 0.5 * S, 5 * S],
      { coldStartMs: 0, horizonUs: 60 * S },
      1000,
    );
    assert.deepEqual(cold, [1, 1, 1]);
    assert.equal(instance[2], instance[1]);
    // A's instance loaded over [1 s, 2 s), C's over [6 s, 7 s).
    assert.equal(sim.wastedMbUs[0], 2 * MEM * S);
  });

  // Gaps: 5 min, 15 min, 1 min, 39 min; zero-length executions; a 100 ms cold start; 70 min horizon.
  const times = [0, 5 * MIN, 20 * MIN, 21 * MIN, 60 * MIN];
  const model = { coldStartMs: 100, horizonUs: 70 * MIN };

  it('fixed 10 min: cold on the first arrival and after each gap longer than 10 min', () => {
    const { sim, cold, waitUs } = simulateOne(fixedKeepAlive(10 * MIN), times, model);
    assert.deepEqual(cold, [1, 0, 1, 0, 1]);
    assert.deepEqual(waitUs, [0.1 * S, 0, 0.1 * S, 0, 0.1 * S]);
    assert.equal(sim.coldStarts[0], 3);
    assert.equal(sim.invocations[0], 5);
    // Idle and loaded: 0.1s..5m, 5m..15m (expired), 20m0.1s..21m, 21m..31m, 60m0.1s..70m (horizon).
    const idleUs = 5 * MIN - 0.1 * S + 10 * MIN + (MIN - 0.1 * S) + 10 * MIN + (10 * MIN - 0.1 * S);
    assert.ok(Math.abs(sim.wastedMbUs[0]! - MEM * idleUs) < 1e-3);
    // The expired instance's record is reused: two records at most, never more than one live.
    assert.equal(sim.instancesCreated[0], 3);
    assert.equal(sim.liveInstances, 1);
  });

  it('no unloading: one cold start, idle memory for the whole horizon but the first execution', () => {
    const { sim, cold } = simulateOne(noUnload(), times, model);
    assert.deepEqual(cold, [1, 0, 0, 0, 0]);
    assert.ok(Math.abs(sim.wastedMbUs[0]! - MEM * (70 * MIN - 0.1 * S)) < 1e-3);
  });

  it('fixed 0: every invocation is cold and nothing is wasted', () => {
    const { sim, cold } = simulateOne(parsePolicy('fixed:0s'), times, model);
    assert.deepEqual(cold, [1, 1, 1, 1, 1]);
    assert.equal(sim.wastedMbUs[0], 0);
  });

  it('fixed 20 min: only the 39-minute gap is cold', () => {
    const { cold } = simulateOne(parsePolicy('fixed:20m'), times, model);
    assert.deepEqual(cold, [1, 0, 0, 0, 1]);
  });

  it('hybrid on a 30-minute timer: learns the period, pre-warms before it and wastes less than 10 min', () => {
    // No cold-start cost, so every idle time is exactly 30 min: bin 30 of the histogram. After
    // the first idle time the windows are pre-warm 30 x 0.9 = 27 min, loaded until 31 x 1.1 =
    // 34.1 min after the execution; before it the fallback keeps the instance 4 h.
    const every30 = [0, 30, 60, 90, 120, 150].map((m) => m * MIN);
    const hm = { coldStartMs: 0, horizonUs: 180 * MIN };
    const hybrid = simulateOne(hybridPolicy(), every30, hm);
    assert.deepEqual(hybrid.cold, [1, 0, 0, 0, 0, 0]);
    // Wasted: 30 min under the fallback, then 3 min (27..30) before each of the 4 later arrivals,
    // then 177..180 min (the horizon) after the last.
    assert.ok(Math.abs(hybrid.sim.wastedMbUs[0]! - MEM * (30 + 4 * 3 + 3) * MIN) < 1e-3);
    const fixed = simulateOne(fixedKeepAlive(10 * MIN), every30, hm);
    assert.deepEqual(fixed.cold, [1, 1, 1, 1, 1, 1]);
    assert.ok(Math.abs(fixed.sim.wastedMbUs[0]! - MEM * 6 * 10 * MIN) < 1e-3);
    const facts = hybrid.sim.state.facts?.();
    assert.equal(facts?.shareTooFewSamples, 1 / 6);
    assert.equal(facts?.shareHistogram, 5 / 6);
  });

  it('hybrid: an arrival inside the pre-warm gap is cold, on the instance whose pre-warm it cancels', () => {
    // Learn a 30-minute period, then arrive 10 min after the last execution (before the 27-min pre-warm).
    const t = [0, 30, 60, 70].map((m) => m * MIN);
    const { sim, cold, instance } = simulateOne(hybridPolicy(), t, { coldStartMs: 0, horizonUs: 100 * MIN });
    assert.deepEqual(cold, [1, 0, 0, 1]);
    assert.deepEqual(instance, [0, 0, 0, 0]);
    assert.equal(sim.instancesCreated[0], 1);
  });

  it('concurrency: a busy instance takes a second execution only with a free slot', () => {
    const burst = [0, 1 * S, 2 * S];
    const one = simulateOne(fixedKeepAlive(10 * MIN), burst, { horizonUs: MIN }, 10_000);
    assert.deepEqual(one.cold, [1, 1, 1]);
    assert.deepEqual(one.instance, [0, 1, 2]);
    const two = simulateOne(fixedKeepAlive(10 * MIN), burst, { concurrency: 2, horizonUs: MIN }, 10_000);
    assert.deepEqual(two.cold, [1, 0, 1]);
    assert.deepEqual(two.instance, [0, 0, 1]);
    const all = simulateOne(
      fixedKeepAlive(10 * MIN),
      burst,
      { concurrency: Infinity, horizonUs: MIN },
      10_000,
    );
    assert.deepEqual(all.cold, [1, 0, 0]);
    // One instance: cold 0..0.1 s, executions end at 10.1, 11 and 12 s; idle (loaded) until the
    // 1-minute horizon.
    assert.ok(Math.abs(all.sim.wastedMbUs[0]! - MEM * (MIN - 12 * S)) < 1e-3);
  });

  it('max instances: past the cap an arrival queues for the earliest free instance (FIFO)', () => {
    const { sim, cold, waitUs } = simulateOne(
      fixedKeepAlive(10 * MIN),
      [0, 1 * S, 2 * S],
      { maxInstances: 1, horizonUs: MIN },
      10_000,
    );
    assert.deepEqual(cold, [1, 0, 0]);
    // First: cold, runs 0.1..10.1 s; second waits until 10.1 s (9.1 s), runs to 20.1 s; third waits 18.1 s.
    assert.deepEqual(waitUs, [0.1 * S, 9.1 * S, 18.1 * S]);
    assert.equal(sim.queuedUs[0], 27.2 * S);
  });

  it('units: functions of one app share instances with --unit app, not by default', () => {
    const t = [0, 1 * MIN];
    const byFunction = simulateOne(fixedKeepAlive(10 * MIN), t, { horizonUs: 2 * MIN }, 0, [0, 1]);
    assert.deepEqual(byFunction.cold, [1, 1]);
    const functions = [{ id: 'f', app: 'a' }, { id: 'g', app: 'a' }, { id: 'h' }];
    const units = simulationUnits(functions, 'app');
    assert.equal(units.units, 2);
    assert.deepEqual(units.groupNames, ['a', 'h']);
    const sim = new Simulator(fixedKeepAlive(10 * MIN), units, { ...MODEL_DEFAULTS, horizonUs: 2 * MIN });
    const out = new BatchResults();
    sim.run(
      Uint32Array.from([0, 1]),
      Float64Array.from(t),
      new Float64Array(2),
      new Float64Array(2).fill(MEM),
      2,
      out,
    );
    assert.deepEqual([...out.cold.subarray(0, 2)], [1, 0]);
  });
});

describe('simulate: the hybrid policy windows on known histograms', () => {
  it('head and tail percentiles of a histogram with a margin', () => {
    // 95 idle times in bin 2 (2..3 min), 5 in bin 10: the 5th percentile is bin 2, the 99th bin 10.
    const state = hybridPolicy().start(1);
    const w: Windows = { prewarmUs: -1, keepAliveUs: -1 };
    state.onInvocation(0, 0, -1, w);
    assert.deepEqual(
      w,
      { prewarmUs: 0, keepAliveUs: HYBRID_DEFAULTS.fallbackUs },
      'no idle time yet: fallback',
    );
    for (let k = 0; k < 95; k++) state.onInvocation(0, 0, 2.5 * MIN, w);
    for (let k = 0; k < 5; k++) state.onInvocation(0, 0, 10.2 * MIN, w);
    assert.ok(Math.abs(w.prewarmUs - 2 * MIN * 0.9) < 1e-6);
    assert.ok(Math.abs(w.prewarmUs + w.keepAliveUs - 11 * MIN * 1.1) < 1e-6);
  });

  it('falls back to the fixed window when most idle times are past the range, or the histogram is flat', () => {
    const oob = hybridPolicy().start(1);
    const w: Windows = { prewarmUs: -1, keepAliveUs: -1 };
    oob.onInvocation(0, 0, 5 * MIN, w);
    oob.onInvocation(0, 0, 6 * 3600e6, w);
    assert.deepEqual(w, { prewarmUs: 0, keepAliveUs: 4 * 3600e6 }, 'half out of bounds');
    // One idle time in each of the 240 bins: a flat histogram (CV 0) is not representative.
    const flat = hybridPolicy({ fallbackUs: 10 * MIN }).start(1);
    for (let b = 0; b < 240; b++) flat.onInvocation(0, 0, (b + 0.5) * MIN, w);
    assert.deepEqual(w, { prewarmUs: 0, keepAliveUs: 10 * MIN });
    assert.ok(Number(flat.facts?.().shareFlatHistogram) > 0);
    // min-samples: fewer idle times than asked keep the fallback.
    const few = parsePolicy('hybrid:min-samples=3,fallback=20m').start(1);
    few.onInvocation(0, 0, 5 * MIN, w);
    few.onInvocation(0, 0, 5 * MIN, w);
    assert.deepEqual(w, { prewarmUs: 0, keepAliveUs: 20 * MIN });
    few.onInvocation(0, 0, 5 * MIN, w);
    assert.ok(Math.abs(w.prewarmUs - 4.5 * MIN) < 1e-6);
  });

  it('the incremental percentiles and CV equal a scan of the bins, for any sequence of idle times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(1, 5, 25, 50, 99, 100),
        (bins, p) => {
          const h = new IdleHistograms(2, MIN, 24 * MIN, [p, 99]);
          const counts = new Array(24).fill(0);
          let n = 0;
          for (const b of bins) {
            h.add(1, (b + 0.25) * MIN);
            if (b >= 24) continue;
            counts[b]++;
            n++;
            let cum = 0;
            let expected = 23;
            for (let i = 0; i < 24; i++) {
              cum += counts[i];
              if (cum >= (p / 100) * n) {
                expected = i;
                break;
              }
            }
            if (h.percentileBin(1, 0) !== expected) return false;
          }
          if (n === 0) return h.inRange[1] === 0;
          const mean = n / 24;
          const sd = Math.sqrt(counts.reduce((a, c) => a + (c - mean) ** 2, 0) / 23);
          return Math.abs(h.cv(1) - sd / mean) < 1e-9 && h.inRange[0] === 0;
        },
      ),
      { seed: 12, numRuns: 300 },
    );
  });

  it('rejects bad parameters with a clear usage error', () => {
    assert.throws(() => parsePolicy('hybrid:head=99,tail=5'), /0 < head < tail <= 100/);
    assert.throws(() => parsePolicy('hybrid:speed=2'), /not a parameter/);
    assert.throws(() => parsePolicy('fixed'), /needs a keep-alive/);
    assert.throws(() => parsePolicy('fixed:soon'), /not a duration/);
    assert.throws(() => parsePolicy('lru'), /unknown policy kind 'lru' \(known: fixed, no-unload, hybrid/);
  });
});
