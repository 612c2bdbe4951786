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
