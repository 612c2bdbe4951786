import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DRAW_RANGE, PercentileTable } from '../src/schedule/percentiles.js';
import { type PlanOptions, plan } from '../src/schedule/plan.js';
import { radixOrder } from '../src/schedule/radix.js';
import { type SampleMethod, selectFunctions } from '../src/schedule/select.js';
import type { IatMode } from '../src/schedule/spread.js';
import type { ArrivalSource, Percentiles, TraceFunction } from '../src/trace/types.js';
import { fakeTrace } from './helpers/fakes.js';

const MIN = 60e6;

/** A binned trace from a matrix of counts (functions x minutes), sparse or dense per function. */
function binnedTrace(matrix: number[][], sparse: boolean) {
  return fakeTrace(
    matrix.map((row, f) => {
      const fn: TraceFunction = {
        id: `fn-${f}`,
        trigger: f % 2 ? 'http' : 'timer',
        durationMs: {
          average: 10 + f,
          points: [
            [0, 1],
            [50, 10 + f],
            [100, 100 + f],
          ],
        },
      };
      let src: ArrivalSource;
      if (sparse) {
        const bins = row.flatMap((c, b) => (c > 0 ? [b] : []));
        src = {
          kind: 'counts',
          startUs: 0,
          binUs: MIN,
          bins: Uint32Array.from(bins),
          counts: Uint32Array.from(bins, (b) => row[b]!),
        };
      } else src = { kind: 'counts', startUs: 0, binUs: MIN, counts: Uint32Array.from(row) };
      return { fn, src };
    }),
    (matrix[0]?.length ?? 1) * MIN,
  );
}

const matrixArb = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }))
  .chain(([f, m]) =>
    fc.array(fc.array(fc.nat(40), { minLength: m, maxLength: m }), { minLength: f, maxLength: f }),
  );
const exactIat = fc.constantFrom<IatMode>('equidistant', 'uniform', 'exponential');

/** Invocations per function per minute of a plan at speed 1 from time 0. */
function countsOf(p: ReturnType<typeof plan>, functions: number, minutes: number): number[][] {
  const m = Array.from({ length: functions }, () => new Array<number>(minutes).fill(0));
  for (const a of p.arrivals()) m[p.traceIndex[a.fn]!]![Math.floor(a.atUs / MIN)]!++;
  return m;
}

describe('plan properties', () => {
  it('keeps every bin count exactly at scale 1, for every exact spread, sparse or dense', () => {
    fc.assert(
      fc.property(
        matrixArb,
        exactIat,
        fc.boolean(),
        fc.boolean(),
        fc.integer(),
        (matrix, iat, sparse, shift, seed) => {
          // shift phases equidistant spacing only (plan refuses it with another spreading).
          const p = plan(binnedTrace(matrix, sparse), { seed, iat, shift: shift && iat === 'equidistant' });
          assert.deepEqual(countsOf(p, matrix.length, matrix[0]!.length), matrix);
          assert.equal(
            p.count(),
            matrix.flat().reduce((a, b) => a + b, 0),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('yields ascending times and consecutive seqs, the same for the same seed', () => {
    fc.assert(
      fc.property(
        matrixArb,
        fc.constantFrom<IatMode>('equidistant', 'uniform', 'exponential', 'poisson'),
        fc.integer(),
        (matrix, iat, seed) => {
          const options: PlanOptions = { seed, iat, speed: 3, fromUs: 10e6 };
          const trace = binnedTrace(matrix, true);
          const first = [...plan(trace, options).arrivals()];
          first.forEach((a, i) => {
            assert.equal(a.seq, i);
            if (i > 0) assert.ok(a.atUs >= first[i - 1]!.atUs);
          });
          assert.deepEqual([...plan(trace, options).arrivals()], first);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('makes each bin floor or ceil of count x scale, with the exact expected total', () => {
    fc.assert(
      fc.property(
        matrixArb,
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.integer(),
        (matrix, scale, seed) => {
          const got = countsOf(
            plan(binnedTrace(matrix, false), { seed, scale }),
            matrix.length,
            matrix[0]!.length,
          );
          matrix.forEach((row, f) => {
            row.forEach((c, b) => {
              const x = c * scale;
              assert.ok(
                got[f]![b] === Math.floor(x) || got[f]![b] === Math.ceil(x),
                `${got[f]![b]} from ${c} x ${scale}`,
              );
            });
          });
        },
      ),
      { numRuns: 100 },
    );
    // Expectation: over many seeds, 7 x 0.3 per bin averages 2.1.
    const trace = binnedTrace([[7, 7, 7, 7, 7, 7, 7, 7, 7, 7]], false);
    let total = 0;
    const seeds = 400;
    for (let seed = 0; seed < seeds; seed++) total += plan(trace, { seed, scale: 0.3 }).count();
    const mean = total / seeds / 10;
    assert.ok(Math.abs(mean - 2.1) < 0.05, `mean ${mean} per bin, expected 2.1`);
  });

  it("plans a function's arrivals the same whatever else is in the plan", () => {
    fc.assert(
      fc.property(
        matrixArb,
        fc.constantFrom<IatMode>('uniform', 'poisson'),
        fc.integer(),
        (matrix, iat, seed) => {
          fc.pre(matrix.length >= 2); // odd functions are http, even ones timer
          const trace = binnedTrace(matrix, true);
          const all = [...plan(trace, { seed, iat }).arrivals()];
          const p = plan(trace, { seed, iat, triggers: ['http'] });
          const only = [...p.arrivals()].map((a) => [p.functions[a.fn]!.id, a.atUs, a.durationMs]);
          const fromAll = all
            .filter((a) => trace.functions[a.fn]!.trigger === 'http')
            .map((a) => [trace.functions[a.fn]!.id, a.atUs, a.durationMs]);
          assert.deepEqual(only, fromAll);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('nests samples: the sample of N is inside the sample of N + k, for every method', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 5, maxLength: 60 }),
        fc.constantFrom<SampleMethod>('top', 'random', 'representative'),
        fc.integer(),
        fc.integer({ min: 1, max: 10 }),
        (invocations, sample, seed, k) => {
          const functions = invocations.map((_, i) => ({ id: `f${i}` }));
          const weights = {
            invocations: Float64Array.from(invocations),
            durationMs: Float64Array.from(invocations, (_, i) => (i * 37) % 500),
          };
          const active = invocations.filter((x) => x > 0).length;
          for (let n = 1; n + k <= active; n++) {
            const small = selectFunctions(functions, weights, { seed, functions: n, sample });
            const large = new Set(selectFunctions(functions, weights, { seed, functions: n + k, sample }));
            assert.equal(small.length, n);
            for (const f of small)
              assert.ok(large.has(f), `${sample}: ${f} in the sample of ${n} but not of ${n + k}`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('function selection', () => {
  const functions = [10, 0, 500, 40, 500, 3].map((_, i) => ({
    id: `f${i}`,
    trigger: i < 3 ? 'http' : 'Timer',
  }));
  const weights = {
    invocations: Float64Array.from([10, 0, 500, 40, 500, 3]),
    durationMs: new Float64Array(6),
  };

  it('top takes the busiest functions, ties in trace order, and never an idle one', () => {
    assert.deepEqual(
      selectFunctions(functions, weights, { seed: 1, functions: 3, sample: 'top' }),
      [2, 3, 4],
    );
    assert.deepEqual(
      selectFunctions(functions, weights, { seed: 1, functions: 99, sample: 'top' }),
      [0, 2, 3, 4, 5],
    );
  });

  it('filters triggers case-insensitively and names unknown ones', () => {
    assert.deepEqual(selectFunctions(functions, weights, { seed: 1, triggers: ['TIMER'] }), [3, 4, 5]);
    assert.throws(
      () => selectFunctions(functions, weights, { seed: 1, triggers: ['queue'] }),
      /no function has trigger queue \(this trace has: http, timer\)/,
    );
  });

  it('a representative sample follows the rate distribution better than the top N', () => {
    // 200 functions with a heavy-tailed rate: the top 20 are all heavy; representative ones are not.
    const n = 200;
    const fns = Array.from({ length: n }, (_, i) => ({ id: `g${i}` }));
    const w = {
      invocations: Float64Array.from(fns, (_, i) => Math.round(10_000 / (i + 1))),
      durationMs: Float64Array.from(fns, (_, i) => (i * 13) % 300),
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const all = median([...w.invocations]);
    const rep = median(
      selectFunctions(fns, w, { seed: 3, functions: 20, sample: 'representative' }).map(
        (i) => w.invocations[i]!,
      ),
    );
    const top = median(
      selectFunctions(fns, w, { seed: 3, functions: 20, sample: 'top' }).map((i) => w.invocations[i]!),
    );
    assert.ok(
      Math.abs(Math.log(rep / all)) < Math.abs(Math.log(top / all)),
      `median rate: all ${all}, representative ${rep}, top ${top}`,
    );
    assert.ok(Math.abs(Math.log(rep / all)) < Math.log(2), `representative median ${rep} vs ${all}`);
  });
});

describe('radixOrder', () => {
  it('sorts by key and keeps the input order of equal keys', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 300 }), (values) => {
        const keys = Uint32Array.from(values);
        const order = [...radixOrder(keys, keys.length)];
        const expected = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
        assert.deepEqual(order, expected);
      }),
    );
  });
});

/** The inverse CDF by the book: linear between the points around u, flat beyond the ends. */
function naiveSample(points: Percentiles['points'], u: number): number {
  if (u <= points[0]![0] / 100) return points[0]![1];
  for (let i = 1; i < points.length; i++) {
    const [p, v] = points[i]!;
    if (u <= p / 100) {
      const [p0, v0] = points[i - 1]!;
      return p === p0 ? v : v0 + ((u - p0 / 100) / ((p - p0) / 100)) * (v - v0);
    }
  }
  return points[points.length - 1]![1];
}

describe('PercentileTable', () => {
  const distArb = fc
    .uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 12 })
    .chain((ps) =>
      fc
        .array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: ps.length, maxLength: ps.length })
        .map((vs) => {
          const sorted = [...vs].sort((a, b) => a - b);
          return { points: [...ps].sort((a, b) => a - b).map((p, i) => [p, sorted[i]!] as const) };
        }),
    );

  it('draws what the inverse CDF gives, for functions of different grids side by side', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(distArb, { nil: undefined }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: DRAW_RANGE - 1 }), { minLength: 1, maxLength: 20 }),
        (dists, draws) => {
          const table = new PercentileTable(dists);
          dists.forEach((d, fn) => {
            assert.equal(table.has(fn), d !== undefined);
            for (const draw of draws) {
              const got = table.sample(fn, draw);
              if (d === undefined) {
                assert.ok(Number.isNaN(got));
                continue;
              }
              const want = naiveSample(d.points, draw / DRAW_RANGE);
              assert.ok(
                Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)),
                `fn ${fn} draw ${draw}: ${got} vs ${want}`,
              );
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
