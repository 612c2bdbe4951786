import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan } from '../src/schedule/plan.js';
import { type IatMode, Offsets, spreadBin } from '../src/schedule/spread.js';
import { fakeTrace } from './helpers/fakes.js';

const BIN = 60e6;

/** One-sample Kolmogorov-Smirnov statistic of `xs` against the CDF `cdf`. */
function ks(xs: number[], cdf: (x: number) => number): number {
  const s = [...xs].sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs((i + 1) / s.length - f), Math.abs(f - i / s.length));
  });
  return d;
}
/** The KS critical value at significance 0.001: a correct sampler fails once in a thousand seeds. */
const critical = (n: number) => 1.95 / Math.sqrt(n);

function offsets(mode: IatMode, count: number, bin: number, seed = 42, stream = 7): number[] {
  const out = new Offsets();
  const n = spreadBin(mode, count, BIN, seed, stream, bin, 0, out);
  return [...out.values.subarray(0, n)];
}

function gaps(sorted: number[]): number[] {
  return sorted.slice(1).map((t, i) => t - sorted[i]!);
}

describe('spread inside a bin', () => {
  it('equidistant: exactly count arrivals, evenly spaced from the bin start', () => {
    const xs = offsets('equidistant', 1000, 0);
    assert.equal(xs.length, 1000);
    assert.equal(xs[0], 0);
    for (const g of gaps(xs)) assert.ok(Math.abs(g - BIN / 1000) <= 1, `gap ${g}`);
  });

  it('uniform: exactly count arrivals, uniform over the bin (KS)', () => {
    const xs = offsets('uniform', 5000, 3);
    assert.equal(xs.length, 5000);
    assert.ok(xs.every((x) => x >= 0 && x < BIN));
    const d = ks(xs, (x) => x / BIN);
    assert.ok(d < critical(xs.length), `KS D = ${d}`);
  });

  it('exponential: exactly count arrivals with exponential gaps (KS)', () => {
    const count = 5000;
    const xs = offsets('exponential', count, 5);
    assert.equal(xs.length, count);
    assert.ok(xs.every((x, i) => x >= 0 && x < BIN && (i === 0 || x >= xs[i - 1]!)));
    const g = gaps(xs);
    const rate = (count + 1) / BIN;
    const d = ks(g, (x) => 1 - Math.exp(-rate * x));
    assert.ok(d < critical(g.length), `KS D = ${d}`);
    // Not equidistant: the gaps vary as an exponential's do (coefficient of variation near 1).
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
    assert.ok(sd / mean > 0.9 && sd / mean < 1.1, `CV ${sd / mean}`);
  });

  it('poisson: a free count whose mean is the bin count, with exponential gaps (KS)', () => {
    const count = 50;
    const bins = 600;
    const counts: number[] = [];
    const allGaps: number[] = [];
    for (let b = 0; b < bins; b++) {
      const xs = offsets('poisson', count, b);
      counts.push(xs.length);
      allGaps.push(...gaps(xs));
    }
    const mean = counts.reduce((a, b) => a + b, 0) / bins;
    const variance = counts.reduce((a, b) => a + (b - mean) ** 2, 0) / bins;
    assert.ok(Math.abs(mean - count) < 4 * Math.sqrt(count / bins), `mean count ${mean}`);
    assert.ok(variance > count * 0.7 && variance < count * 1.3, `variance ${variance} (Poisson: ${count})`);
    assert.ok(new Set(counts).size > 5, 'the count varies from bin to bin');
    const d = ks(allGaps, (x) => 1 - Math.exp(-(count / BIN) * x));
    assert.ok(d < critical(allGaps.length), `KS D = ${d}`);
  });

  it('draws from the seed, the stream and the bin only', () => {
    assert.deepEqual(offsets('uniform', 20, 4), offsets('uniform', 20, 4));
    assert.notDeepEqual(offsets('uniform', 20, 4), offsets('uniform', 20, 5));
    assert.notDeepEqual(offsets('uniform', 20, 4, 42, 7), offsets('uniform', 20, 4, 43, 7));
    assert.notDeepEqual(offsets('uniform', 20, 4, 42, 7), offsets('uniform', 20, 4, 42, 8));
  });
});

describe('--shift', () => {
  it('gives each function its own phase, keeping its spacing and its arrivals inside each bin', () => {
    const trace = fakeTrace(
      Array.from({ length: 8 }, (_, f) => ({
        fn: { id: `f${f}` },
        src: { kind: 'counts' as const, startUs: 0, binUs: BIN, counts: Uint32Array.from([4, 4]) },
      })),
      2 * BIN,
    );
    const firsts = new Set<number>();
    const p = plan(trace, { seed: 9, iat: 'equidistant', shift: true });
    for (let f = 0; f < 8; f++) {
      const at = [...p.arrivals()].filter((a) => a.fn === f).map((a) => a.atUs);
      assert.equal(at.length, 8);
      assert.ok(at[0]! >= 0 && at[0]! < BIN / 4);
      for (let k = 1; k < 8; k++) assert.ok(Math.abs(at[k]! - at[k - 1]! - BIN / 4) <= 1);
      firsts.add(at[0]!);
    }
    assert.equal(firsts.size, 8, 'every function has its own phase');
    const unshifted = [...plan(trace, { seed: 9, iat: 'equidistant', shift: false }).arrivals()];
    assert.ok(
      unshifted.filter((a) => a.atUs === 0).length === 8,
      'without --shift all start at the bin start',
    );
  });
});
