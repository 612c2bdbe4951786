import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bool, Int64, RecordBatch, TimestampMicrosecond, Utf8, vectorFromArray } from 'apache-arrow';
import { BatchColumns } from '../src/report/batch-columns.js';
import { EXACT_VALUES, ValueSketch } from '../src/report/sketch.js';
import { Random } from '../src/util/random.js';

/** Nearest-rank quantile of sorted values. */
const nearestRank = (sorted: Float64Array, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

describe('ValueSketch', () => {
  it('is exact up to EXACT_VALUES values', () => {
    const s = new ValueSketch();
    const xs = Float64Array.from({ length: EXACT_VALUES }, (_, i) => (i * 7919) % 100_003);
    for (const x of xs) s.add(x);
    assert.equal(s.approximate, false);
    const sorted = xs.slice().sort();
    assert.deepEqual(s.quantiles([0.5, 0.99]), [nearestRank(sorted, 0.5), nearestRank(sorted, 0.99)]);
  });

  it('past them, keeps the stated error on values from 0 to 10^12 µs', () => {
    const rng = new Random(7);
    const n = 300_000;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = Math.round(Math.exp(rng.next() * 27.6)) - 1; // 0 .. ~10^12
    const s = new ValueSketch();
    for (const x of xs) s.add(x);
    s.add(-5);
    assert.equal(s.belowZero, 1);
    const sorted = Float64Array.from([...xs, 0]).sort();
    assert.equal(s.approximate, true);
    assert.equal(s.count, n + 1);
    assert.equal(s.min, 0);
    assert.equal(s.max, sorted.at(-1));
    const qs = [0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1];
    s.quantiles(qs)!.forEach((v, k) => {
      const exact = nearestRank(sorted, qs[k]!);
      assert.ok(v >= exact && v - exact <= exact / 1024, `q ${qs[k]}: ${v} against ${exact}`);
    });
    // Every CDF point: its exact fraction, and a value of the data at most 1/1024 below it.
    let j = 0;
    for (const [v, f] of s.cdf()) {
      while (j < sorted.length && sorted[j]! <= v) j++;
      assert.ok(Math.abs(f - j / sorted.length) < 1e-12, `fraction at ${v}`);
      assert.ok(v - sorted[j - 1]! <= v / 1024, `${v} is near ${sorted[j - 1]}`);
    }
  });
});

describe('BatchColumns', () => {
  it('reads numbers with nulls and texts as ids kept across batches', () => {
    const batch = (targets: (string | null)[], times: (number | null)[], cold: (boolean | null)[]) =>
      new RecordBatch({
        target: vectorFromArray(targets, new Utf8()).data[0]!,
        at: vectorFromArray(times, new TimestampMicrosecond()).data[0]!,
        delta: vectorFromArray(
          times.map((t) => (t === null ? null : BigInt(-t))),
          new Int64(),
        ).data[0]!,
        cold: vectorFromArray(cold, new Bool()).data[0]!,
      });
    const cols = new BatchColumns();
    // vectorFromArray takes timestamps in ms; the column holds µs.
    const big = 1_767_225_600_123;
    const b1 = batch(['fa', null, 'fé', 'fa'], [big, null, 3, 4], [true, null, false, true]);
    assert.deepEqual([...cols.ids(b1, 'target')!.subarray(0, 4)], [0, -1, 1, 0]);
    assert.deepEqual([...cols.num(b1, 'at')!.subarray(0, 4)], [big * 1000, Number.NaN, 3000, 4000]);
    assert.deepEqual([...cols.num(b1, 'delta')!.subarray(0, 4)], [-big, Number.NaN, -3, -4]);
    assert.deepEqual([...cols.num(b1, 'cold')!.subarray(0, 4)], [1, Number.NaN, 0, 1]);
    const b2 = batch(['fé', 'fb'], [1, 2], [false, false]);
    assert.deepEqual([...cols.ids(b2, 'target')!.subarray(0, 2)], [1, 2]);
    assert.deepEqual(cols.names('target'), ['fa', 'fé', 'fb']);
    assert.equal(cols.num(b2, 'missing'), null);
  });

  it('tells apart thousands of texts', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `fn-${i}-${(i * 2654435761) >>> 0}`);
    const b = new RecordBatch({ target: vectorFromArray([...names, ...names], new Utf8()).data[0]! });
    const cols = new BatchColumns();
    const ids = cols.ids(b, 'target')!;
    for (let i = 0; i < names.length; i++) {
      assert.equal(ids[i], i);
      assert.equal(ids[i + names.length], i);
    }
    assert.deepEqual(cols.names('target'), names);
  });
});
