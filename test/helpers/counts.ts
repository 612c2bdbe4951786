import type { ArrivalSource } from '../../src/trace/types.js';

type Counts = Extract<ArrivalSource, { kind: 'counts' }>;

/**
 * The dense per-bin counts of a counts source over `bins` bins: sparse sources (`bins` given)
 * are expanded, dense ones copied. A bin past `bins` is an error, so a test sees a bad index.
 */
export function denseCounts(source: Counts, bins: number): Uint32Array {
  const out = new Uint32Array(bins);
  if (source.bins === undefined) {
    out.set(source.counts.subarray(0, bins));
    return out;
  }
  if (source.bins.length !== source.counts.length) {
    throw new Error(`bins (${source.bins.length}) and counts (${source.counts.length}) differ in length`);
  }
  source.bins.forEach((bin, i) => {
    if (bin >= bins) throw new Error(`bin ${bin} is past the ${bins} bins of the trace`);
    if (i > 0 && bin <= source.bins![i - 1]!) throw new Error(`bins do not ascend at index ${i}`);
    out[bin] = source.counts[i]!;
  });
  return out;
}
