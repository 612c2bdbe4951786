import { build, type Histogram } from 'hdr-histogram-js';

export type { Histogram };

/**
 * A histogram of microseconds (lateness, latency): HdrHistogram with 3 significant digits by
 * default, so a quantile is within 0.1% of the exact one, in bounded memory (tens of KB) however
 * many values, and histograms can be added together. Grows past its initial hour as needed.
 */
export function microsHistogram(significantDigits: 2 | 3 = 3): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: significantDigits,
    autoResize: true,
  });
}

/** Quantiles in microseconds, HdrHistogram-exact to 3 significant digits. */
export interface Quantiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** The quantiles of a histogram, or null when it holds nothing. */
export function quantilesOf(h: Histogram): Quantiles | null {
  if (h.totalCount === 0) return null;
  // A quantile is reported as the top of its bucket: never above the largest value recorded.
  const max = h.maxValue;
  const at = (p: number) => Math.min(h.getValueAtPercentile(p), max);
  return { p50: at(50), p99: at(99), p999: at(99.9), max };
}
