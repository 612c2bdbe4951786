import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaasloadError } from '../src/errors.js';
import { samplePercentiles } from '../src/schedule/percentiles.js';
import { plan } from '../src/schedule/plan.js';
import type { Arrival } from '../src/schedule/types.js';
import { fakeTrace } from './helpers/fakes.js';

const MIN = 60e6;
const durations = {
  average: 50,
  points: [
    [0, 10],
    [50, 50],
    [100, 90],
  ] as [number, number][],
};

function countsTrace() {
  return fakeTrace(
    [
      {
        fn: { id: 'a', durationMs: durations },
        src: { kind: 'counts', startUs: 0, binUs: MIN, counts: Uint32Array.from([3, 0, 2]) },
      },
      {
        fn: { id: 'b' },
        src: { kind: 'counts', startUs: 0, binUs: MIN, counts: Uint32Array.from([1, 4, 0]) },
      },
    ],
    3 * MIN,
  );
}

describe('plan', () => {
  it('spreads each minute equidistantly with iat equidistant, no shift, and merges functions in time order', () => {
    const s = plan(countsTrace(), { seed: 1, iat: 'equidistant', shift: false });
    const arrivals = [...s.arrivals()];
    assert.equal(s.count(), 10);
    assert.equal(arrivals.length, 10);
    assert.deepEqual(
      arrivals.map((a) => [a.fn, a.atUs]),
      [
        [0, 0],
        [1, 0],
        [0, 20e6],
        [0, 40e6],
        [1, 60e6],
        [1, 75e6],
        [1, 90e6],
        [1, 105e6],
        [0, 120e6],
        [0, 150e6],
      ],
    );
    assert.deepEqual(
      arrivals.map((a) => a.seq),
      arrivals.map((_, i) => i),
    );
  });

  it('keeps exactly the arrivals inside the window and shifts time to the window start', () => {
    const s = plan(countsTrace(), { seed: 1, fromUs: 30e6, toUs: 2 * MIN, iat: 'equidistant', shift: false });
    const arrivals = [...s.arrivals()];
    assert.equal(s.count(), arrivals.length);
    assert.deepEqual(
      arrivals.map((a) => [a.fn, a.atUs]),
      [
        [0, 10e6],
        [1, 30e6],
        [1, 45e6],
        [1, 60e6],
        [1, 75e6],
      ],
    );
  });

  it('divides trace time by the speed, and durations only with warpDurations, then caps them', () => {
    const trace = fakeTrace(
      [
        {
          fn: { id: 'x' },
          src: {
            kind: 'times',
            atUs: Float64Array.from([0, 10e6, 20e6]),
            durationMs: Float64Array.from([1000, 50, 400]),
          },
        },
      ],
      30e6,
      'azure2021',
    );
    const plain = [...plan(trace, { seed: 1, speed: 10 }).arrivals()];
    assert.deepEqual(
      plain.map((a) => [a.atUs, a.durationMs]),
      [
        [0, 1000],
        [1e6, 50],
        [2e6, 400],
      ],
    );
    const warped = [
      ...plan(trace, { seed: 1, speed: 10, warpDurations: true, maxDurationMs: 30 }).arrivals(),
    ];
    assert.deepEqual(
      warped.map((a) => a.durationMs),
      [30, 5, 30],
    );
  });

  it('draws durations from the percentiles, reproducibly for a seed and differently for another', () => {
    const draw = (seed: number) =>
      [...plan(countsTrace(), { seed }).arrivals()].filter((a) => a.fn === 0).map((a) => a.durationMs!);
    const one = draw(7);
    assert.deepEqual(draw(7), one);
    assert.notDeepEqual(draw(8), one);
    for (const d of one) assert.ok(d >= 10 && d <= 90, `duration ${d} outside the percentiles' range`);
  });

  it('yields the same arrivals on every call', () => {
    const s = plan(countsTrace(), { seed: 3 });
    const first: Arrival[] = [...s.arrivals()];
    assert.deepEqual([...s.arrivals()], first);
  });

  it('rejects an empty window and a bad speed', () => {
    assert.throws(() => plan(countsTrace(), { seed: 1, fromUs: 5 * MIN }), /window .* is empty/);
    assert.throws(() => plan(countsTrace(), { seed: 1, speed: 0 }), /speed must be a positive/);
  });

  it('spreads with exponential gaps by default, and refuses shift with any spreading but equidistant', () => {
    assert.equal(plan(countsTrace(), { seed: 1 }).options.iat, 'exponential');
    for (const iat of ['uniform', 'exponential', 'poisson'] as const) {
      assert.throws(
        () => plan(countsTrace(), { seed: 1, iat, shift: true }),
        (err: unknown) =>
          err instanceof FaasloadError &&
          err.code === 'E_USAGE' &&
          /--iat equidistant --shift/.test(err.message),
      );
    }
    assert.equal(plan(countsTrace(), { seed: 1, shift: true, iat: 'equidistant' }).count(), 10);
  });
});

describe('plan over long traces', () => {
  it('keeps every bin across many generation spans, sparse and dense, within a shifted window', () => {
    const minutes = 400;
    const dense = Uint32Array.from({ length: minutes }, (_, m) => (m * 7) % 5);
    const sparseBins = Uint32Array.from({ length: 130 }, (_, k) => k * 3);
    const trace = fakeTrace(
      [
        { fn: { id: 'dense' }, src: { kind: 'counts', startUs: 0, binUs: MIN, counts: dense } },
        {
          fn: { id: 'sparse' },
          src: {
            kind: 'counts',
            startUs: 0,
            binUs: MIN,
            bins: sparseBins,
            counts: Uint32Array.from(sparseBins, () => 2),
          },
        },
      ],
      minutes * MIN,
    );
    const fromMin = 100;
    const toMin = 350;
    const s = plan(trace, { seed: 5, fromUs: fromMin * MIN, toUs: toMin * MIN, iat: 'uniform' });
    const got = [new Map<number, number>(), new Map<number, number>()];
    let last = -1;
    for (const a of s.arrivals()) {
      assert.ok(a.atUs >= last, 'ascending');
      last = a.atUs;
      const minute = fromMin + Math.floor(a.atUs / MIN);
      got[a.fn]!.set(minute, (got[a.fn]!.get(minute) ?? 0) + 1);
    }
    for (let m = fromMin; m < toMin; m++) {
      assert.equal(got[0]!.get(m) ?? 0, dense[m], `dense minute ${m}`);
      assert.equal(got[1]!.get(m) ?? 0, m % 3 === 0 && m / 3 < 130 ? 2 : 0, `sparse minute ${m}`);
    }
  });
});

describe('samplePercentiles', () => {
  it('interpolates between percentile points and clamps at the ends', () => {
    assert.equal(samplePercentiles(durations, 0), 10);
    assert.equal(samplePercentiles(durations, 0.25), 30);
    assert.equal(samplePercentiles(durations, 0.75), 70);
    assert.equal(samplePercentiles({ points: [[1, 5]] }, 0.5), 5);
    assert.equal(samplePercentiles({ average: 42, points: [] }, 0.5), 42);
  });
});
