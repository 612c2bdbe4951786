import type { Random } from '../util/random.js';

/** Small seeded sampling helpers for the synthetic traces. Deterministic for a given Random. */

/** A 64-hex-character id, like the SHA-256 hashes of the Azure traces (not a real hash). */
export function hexId(rng: Random): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += rng.nextU32().toString(16).padStart(8, '0');
  return id;
}

/** A standard normal deviate (Box-Muller). */
export function normal(rng: Random): number {
  const u1 = 1 - rng.next(); // (0, 1]: log stays finite
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A lognormal deviate with the given median and log-space sigma. */
export function lognormal(rng: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

/** An integer in [0, n). */
export function below(rng: Random, n: number): number {
  return Math.floor(rng.next() * n);
}

/** Shuffles `items` in place (Fisher-Yates) and returns it. */
export function shuffle<T>(rng: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = below(rng, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Splits `total` into `n` integer shares, each at least `min`, with Zipf-like popularity: the share
 * of rank r (1-based) is proportional to 1/r^exponent. Ranks are shuffled across the n slots, so
 * slot order says nothing about popularity. Largest-remainder rounding: the shares sum to `total`.
 * Requires total >= n × min.
 */
export function zipfShares(rng: Random, total: number, n: number, exponent: number, min = 1): number[] {
  const ranks = shuffle(
    rng,
    Array.from({ length: n }, (_, i) => i + 1),
  );
  const weights = ranks.map((r) => 1 / r ** exponent);
  const sum = weights.reduce((a, b) => a + b, 0);
  const spare = total - n * min;
  const exact = weights.map((w) => (spare * w) / sum);
  const shares = exact.map((x) => min + Math.floor(x));
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    shares[i]! += 1;
  }
  return shares;
}

/** Nearest-rank percentile p in [0, 100] of an ascending array. */
export function percentileOf(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/**
 * A Poisson deviate: Knuth's product method below a mean of 30 (one uniform per call for the
 * small means that dominate), a rounded normal above (its error is irrelevant at those rates).
 */
export function poisson(rng: Random, mean: number): number {
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rng.next();
    while (p > limit) {
      k++;
      p *= rng.next();
    }
    return k;
  }
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
}

/**
 * The standard normal quantile Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation, relative
 * error below 1.2e-9, enough for stratified sampling. Outside (0, 1): ±Infinity.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0)) return Number.NEGATIVE_INFINITY;
  if (!(p < 1)) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
