/**
 * The distribution of one column of a report (lateness, latency), in bounded memory: the values
 * themselves up to EXACT_VALUES of them, then a log-linear histogram with HdrHistogram's layout at
 * 3 significant digits (buckets one unit wide below 2,048, then 1/1024 of their value wide), at
 * most a few hundred KB however many values are added. (Not hdr-histogram-js: its recordValue
 * costs about 1 µs here, 10 s for a 10 M-row run; this one a few ns.)
 *
 * Contract, what the report and its tests rely on:
 * - count, min and max are exact;
 * - cdf(): points (value, fraction) where fraction is exactly the share of values <= value.
 *   Exact mode: every distinct value. Histogram mode: the top of each non-empty bucket (capped
 *   at the max), so each value is at most 1/1024 above a value of the data (exact below 2,048);
 * - quantile(q): the nearest-rank quantile (the ceil(q n)-th smallest value); in histogram mode
 *   the top of its bucket, so never below the exact one and at most 1/1024 (0.098%) above it.
 *
 * Values are integers >= 0 (µs): others are rounded, negatives counted as 0 (`belowZero` says how many).
 */
export const EXACT_VALUES = 65_536;

function toHistogram(values: Float64Array): LogLinearCounts {
  const h = new LogLinearCounts();
  for (const v of values) h.add(v);
  return h;
}

export class ValueSketch {
  /** The values themselves (the first n of `exact`), or past EXACT_VALUES their histogram: one or the other. */
  private store: { exact: Float64Array; hist?: undefined } | { exact?: undefined; hist: LogLinearCounts } = {
    exact: new Float64Array(1024),
  };
  private n = 0;
  private minV = Number.POSITIVE_INFINITY;
  private maxV = Number.NEGATIVE_INFINITY;
  /** Values below 0, recorded as 0. */
  belowZero = 0;

  get count(): number {
    return this.n;
  }
  get min(): number {
    return this.minV;
  }
  get max(): number {
    return this.maxV;
  }
  /** True once past EXACT_VALUES: cdf() and quantile() then carry the histogram's error. */
  get approximate(): boolean {
    return this.store.hist !== undefined;
  }

  add(value: number): void {
    let v = Math.round(value);
    if (v < 0) {
      this.belowZero++;
      v = 0;
    }
    if (v < this.minV) this.minV = v;
    if (v > this.maxV) this.maxV = v;
    const i = this.n++;
    const { exact } = this.store;
    if (exact === undefined) {
      this.store.hist.add(v);
      return;
    }
    let buf = exact;
    if (i === buf.length) {
      if (i >= EXACT_VALUES) {
        const hist = toHistogram(buf);
        hist.add(v);
        this.store = { hist };
        return;
      }
      buf = new Float64Array(Math.min(EXACT_VALUES, 2 * buf.length));
      buf.set(exact);
      this.store = { exact: buf };
    }
    buf[i] = v;
  }

  /**
   * Cumulative points [value, values <= value] in ascending value, one per distinct value (exact)
   * or per non-empty bucket (histogram).
   */
  private points(): [value: number, cumulative: number][] {
    const out: [number, number][] = [];
    if (this.n === 0) return out;
    const { exact, hist } = this.store;
    if (exact !== undefined) {
      const sorted = exact.slice(0, this.n).sort();
      for (let i = 0; i < sorted.length; i++)
        if (i + 1 === sorted.length || sorted[i + 1] !== sorted[i]) out.push([sorted[i]!, i + 1]);
      return out;
    }
    const counts = hist.counts;
    let cumulative = 0;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      cumulative += counts[i]!;
      out.push([Math.min(bucketTop(i), this.maxV), cumulative]);
    }
    return out;
  }

  /** The empirical CDF: [value, fraction of values <= value], ascending; [] when empty. */
  cdf(): [value: number, fraction: number][] {
    return this.points().map(([v, c]) => [v, c / this.n]);
  }

  /** Nearest-rank quantiles for each q in [0, 1] (see the class comment); null when empty. */
  quantiles(qs: readonly number[]): number[] | null {
    if (this.n === 0) return null;
    const pts = this.points();
    return qs.map((q) => {
      const rank = Math.min(this.n, Math.max(1, Math.ceil(q * this.n)));
      let lo = 0;
      let hi = pts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (pts[mid]![1] >= rank) hi = mid;
        else lo = mid + 1;
      }
      return pts[lo]![0];
    });
  }
}

const UNIT_BUCKETS = 2048;
const HALF = 1024;
const TWO32 = 2 ** 32;
/** 2^-e and 2^e for e = 0..63. */
const INV_POW2 = Float64Array.from({ length: 64 }, (_, e) => 2 ** -e);
const POW2 = Float64Array.from({ length: 64 }, (_, e) => 2 ** e);

/** The bucket of an integer value >= 0 (HdrHistogram's index for 2,048 sub-buckets). */
function bucketOf(v: number): number {
  if (v < UNIT_BUCKETS) return v;
  const bits = v < TWO32 ? 32 - Math.clz32(v) : 64 - Math.clz32(Math.floor(v / TWO32));
  const e = bits - 11;
  const sub = Math.floor(v * INV_POW2[e]!);
  return UNIT_BUCKETS + (e - 1) * HALF + (sub - HALF);
}

/** The largest value of bucket i. */
function bucketTop(i: number): number {
  if (i < UNIT_BUCKETS) return i;
  const e = Math.floor((i - UNIT_BUCKETS) / HALF) + 1;
  const sub = ((i - UNIT_BUCKETS) % HALF) + HALF;
  return (sub + 1) * POW2[e]! - 1;
}

/** Counts per log-linear bucket, grown as larger values come. */
class LogLinearCounts {
  counts = new Float64Array(UNIT_BUCKETS + 8 * HALF);
  add(v: number): void {
    const i = bucketOf(v);
    if (i >= this.counts.length) {
      const grown = new Float64Array(Math.max(i + 1, this.counts.length + 8 * HALF));
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[i]!++;
  }
}
