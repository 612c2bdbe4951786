export interface Distribution {
  count: number;
  min: number;
  p1: number;
  p25: number;
  p50: number;
  p75: number;
  p99: number;
  max: number;
}

/** Nearest-rank quantiles of `values` (sorted in place). */
export function distribution(values: Float64Array): Distribution | null {
  const n = values.length;
  if (n === 0) return null;
  values.sort();
  const at = (q: number) => values[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return {
    count: n,
    min: values[0]!,
    p1: at(0.01),
    p25: at(0.25),
    p50: at(0.5),
    p75: at(0.75),
    p99: at(0.99),
    max: values[n - 1]!,
  };
}
