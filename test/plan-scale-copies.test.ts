import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { COPY_SPREAD_US } from '../src/schedule/copies.js';
import { type PlanOptions, plan } from '../src/schedule/plan.js';
import { shardPlan } from '../src/schedule/shard.js';
import type { TraceFunction } from '../src/trace/types.js';
import { fakeTrace } from './helpers/fakes.js';

/*
 * --scale above 1 on per-invocation traces: the copies of one trace arrival are spread after it
 * (src/schedule/copies.ts), never stacked on its microsecond; counts, determinism, the
 * independence of functions and the shard split hold as for binned traces.
 */

const MIN = 60e6;

/** A per-invocation trace: per function, its arrival times in µs (ascending). */
function timesTrace(times: number[][], spanUs: number) {
  return fakeTrace(
    times.map((atUs, f) => {
      const fn: TraceFunction = { id: `fn-${f}`, trigger: f % 2 ? 'http' : 'timer' };
      return {
        fn,
        src: {
          kind: 'times',
          atUs: Float64Array.from(atUs),
          durationMs: Float64Array.from(atUs, (_, i) => 10 + i),
        },
      };
    }),
    spanUs,
    'azure2021',
  );
}

/** Arrivals ties, gaps of 1 µs to hours, arrivals astride generation chunks, one at the very end. */
const FIXED = [
  [0, 0, 5, 10, 1e6, MIN - 1, MIN - 1, MIN + 3, 3 * MIN, 10 * MIN],
  [0, 500, MIN - 200_000, 2 * MIN + 1, 2 * MIN + 2, 7 * MIN],
  [MIN - 1, 9 * MIN + 0.4],
];
const FIXED_SPAN = 10 * MIN;

interface Planned {
  fn: number;
  source: number;
  atUs: number;
  seq: number;
}

function plannedRows(p: ReturnType<typeof plan>): Planned[] {
  const rows: Planned[] = [];
  for (const b of p.batches()) {
    for (let i = 0; i < b.length; i++)
      rows.push({ fn: p.traceIndex[b.fn[i]!]!, source: b.source[i]!, atUs: b.atUs[i]!, seq: b.seq + i });
  }
  return rows;
}

/** Checks the copies of every trace arrival against the contract of copies.ts. */
function checkCopies(times: number[][], rows: Planned[], scale: number, fromUs = 0) {
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const k = `${r.fn}:${r.source}`;
    const g = groups.get(k);
    if (g) g.push(r.atUs);
    else groups.set(k, [r.atUs]);
  }
  for (const [k, at] of groups) {
    const [fn, source] = k.split(':').map(Number) as [number, number];
    const fnTimes = times[fn]!;
    const t = Math.floor(fnTimes[source]!) - fromUs;
    assert.ok(at.length === Math.floor(scale) || at.length === Math.ceil(scale), `${k}: ${at.length} copies`);
    assert.equal(new Set(at).size, at.length, `${k}: copies share a microsecond: ${at}`);
    assert.equal(Math.min(...at), t, `${k}: the trace arrival keeps its time`);
    const later = fnTimes.find((x) => Math.floor(x) > Math.floor(fnTimes[source]!));
    const windowUs = Math.max(
      at.length,
      Math.min(COPY_SPREAD_US, later === undefined ? COPY_SPREAD_US : Math.floor(later) - t - fromUs),
    );
    for (const x of at) assert.ok(x < t + windowUs, `${k}: copy at ${x} beyond ${t} + ${windowUs}`);
  }
  return groups;
}

function checkOrder(rows: Planned[]) {
  rows.forEach((r, i) => {
    assert.equal(r.seq, i);
    if (i > 0) assert.ok(r.atUs >= rows[i - 1]!.atUs, `seq ${i} at ${r.atUs} before ${rows[i - 1]!.atUs}`);
  });
}

describe('--scale on per-invocation traces', () => {
  for (const scale of [2, 3, 2.5]) {
    it(`scale ${scale}: no two copies of an arrival share a microsecond, counts as the scale says`, () => {
      const trace = timesTrace(FIXED, FIXED_SPAN);
      const rows = plannedRows(plan(trace, { seed: 4, scale }));
      checkOrder(rows);
      const groups = checkCopies(FIXED, rows, scale);
      assert.equal(groups.size, FIXED.flat().length, 'every trace arrival, the last one included');
      FIXED.forEach((atUs, fn) => {
        const n = rows.filter((r) => r.fn === fn).length;
        if (Number.isInteger(scale)) assert.equal(n, scale * atUs.length, `fn ${fn}`);
        else assert.ok(n >= Math.floor(scale) * atUs.length && n <= Math.ceil(scale) * atUs.length);
      });
    });
  }

  it('spreads rather than stacks: the busiest microsecond holds what the trace has there', () => {
    // One function, an arrival every 10 ms: at scale 3 each gap holds 3, at least 3 ms apart.
    const atUs = Array.from({ length: 200 }, (_, i) => i * 10_000);
    const rows = plannedRows(plan(timesTrace([atUs], 2e6), { seed: 1, scale: 3 }));
    assert.equal(rows.length, 600);
    const perMs = new Map<number, number>();
    for (const r of rows)
      perMs.set(Math.floor(r.atUs / 1000), (perMs.get(Math.floor(r.atUs / 1000)) ?? 0) + 1);
    assert.ok(Math.max(...perMs.values()) <= 2, `peak ${Math.max(...perMs.values())} in one ms`);
    const gaps = rows.slice(1).map((r, i) => r.atUs - rows[i]!.atUs);
    assert.ok(Math.min(...gaps) > 0, 'no two arrivals at one microsecond');
  });

  it('is the same plan, bit for bit, for the same seed, and another for another seed', () => {
    const trace = timesTrace(FIXED, FIXED_SPAN);
    const bits = (seed: number) => {
      const p = plan(trace, { seed, scale: 2.5, speed: 3 });
      return [...p.batches()].flatMap((b) => [...new Uint8Array(b.atUs.buffer), ...b.fn]);
    };
    assert.deepEqual(bits(9), bits(9));
    assert.notDeepEqual(bits(9), bits(10));
  });

  it('copies of an arrival just before --to follow it; --from shifts them with it', () => {
    const trace = timesTrace(FIXED, FIXED_SPAN);
    const full = plannedRows(plan(trace, { seed: 2, scale: 3 }));
    const windowed = plannedRows(
      plan(trace, { seed: 2, scale: 3, fromUs: MIN - 200_000, toUs: 2 * MIN + 2 }),
    );
    checkOrder(windowed);
    checkCopies(FIXED, windowed, 3, MIN - 200_000);
    const key = (r: Planned, shiftUs: number) => `${r.fn}:${r.source}:${r.atUs + shiftUs}`;
    const inWindow = (r: Planned) => {
      const t = Math.floor(FIXED[r.fn]![r.source]!);
      return t >= MIN - 200_000 && t < 2 * MIN + 2;
    };
    assert.deepEqual(
      windowed.map((r) => key(r, MIN - 200_000)).sort(),
      full
        .filter(inWindow)
        .map((r) => key(r, 0))
        .sort(),
    );
    assert.ok(
      windowed.some((r) => r.atUs + MIN - 200_000 >= 2 * MIN + 2),
      'the copies of the arrival at 2 min + 1 µs follow --to',
    );
  });
});

const timesArb = fc
  .array(
    fc
      // Times over the 3 minutes, and clusters a few µs apart (narrower than the copies).
      .array(fc.oneof(fc.integer({ min: 0, max: 3 * MIN }), fc.integer({ min: 0, max: 40 })), {
        minLength: 1,
        maxLength: 40,
      })
      .map((xs) => xs.sort((a, b) => a - b)),
    { minLength: 2, maxLength: 6 },
  )
  // Some arrivals piled on the end of a chunk and on the trace's end.
  .map((fns) =>
    fns.map((xs, f) => (f % 3 === 0 ? [...xs, MIN - 1, MIN - 1, 3 * MIN].sort((a, b) => a - b) : xs)),
  );

describe('--scale on per-invocation traces: properties', () => {
  it('ascending times, consecutive seqs, distinct copies, exact integer counts, within the span', () => {
    fc.assert(
      fc.property(timesArb, fc.constantFrom(2, 3, 1.5, 2.5, 4), fc.integer(), (times, scale, seed) => {
        const p = plan(timesTrace(times, 3 * MIN), { seed, scale });
        const rows = plannedRows(p);
        checkOrder(rows);
        const last = rows[rows.length - 1]!.atUs;
        assert.ok(last <= p.spanUs, `the last arrival at ${last} is past the plan's span ${p.spanUs}`);
        const groups = checkCopies(times, rows, scale);
        assert.equal(groups.size, times.flat().length);
        if (Number.isInteger(scale)) assert.equal(rows.length, scale * times.flat().length);
      }),
      { numRuns: 200 },
    );
  });

  it("plans a function's copies the same whatever else is planned, and shards split the plan", () => {
    fc.assert(
      fc.property(
        timesArb,
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer(),
        (times, scale, seed) => {
          const trace = timesTrace(times, 3 * MIN);
          const options: PlanOptions = { seed, scale };
          const all = plan(trace, options);
          const allRows = [...all.arrivals()];
          const p = plan(trace, { ...options, triggers: ['http'] });
          const only = [...p.arrivals()].map((a) => [p.functions[a.fn]!.id, a.atUs, a.durationMs]);
          const fromAll = allRows
            .filter((a) => trace.functions[a.fn]!.trigger === 'http')
            .map((a) => [trace.functions[a.fn]!.id, a.atUs, a.durationMs]);
          assert.deepEqual(only, fromAll);
          const shards = [0, 1, 2].flatMap((index) => [...shardPlan(all, { index, count: 3 }).arrivals()]);
          assert.deepEqual(
            shards.sort((a, b) => a.seq - b.seq),
            allRows,
          );
        },
      ),
      { numRuns: 80 },
    );
  });
});
