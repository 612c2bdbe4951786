/**
 * Latency broken into what the platform reports: waiting for an instance (wait_ms), its init
 * (init_ms, cold starts only), execution (exec_ms), and the rest (latency minus the three, never
 * below 0: the transport, the platform's own handling, the harness). Counted over sent
 * invocations whose execution time is reported; a missing wait or init counts 0. A row whose
 * parts add up past its latency (clocks of different processes) counts its parts and no rest.
 * The shares are of the sum of the rows' totals, so they add up to 1.
 */
export const LATENCY_PARTS = ['wait', 'init', 'exec', 'other'] as const;
export type LatencyPart = (typeof LATENCY_PARTS)[number];

export interface LatencyShares {
  /** Invocations counted (with a reported execution time). */
  invocations: number;
  /** Share of the total per part; they add up to 1. */
  shares: Record<LatencyPart, number>;
  /** Mean per invocation, ms, per part. */
  meanMs: Record<LatencyPart, number>;
}

/** Sums of the parts over the rows added. O(1) memory. */
export class BreakdownSum {
  private n = 0;
  private readonly sumMs: Record<LatencyPart, number> = { wait: 0, init: 0, exec: 0, other: 0 };

  /** One sent invocation: latency in µs, the parts in ms (NaN: not reported). Skipped without execMs. */
  add(latencyUs: number, waitMs: number, initMs: number, execMs: number): void {
    if (Number.isNaN(execMs) || Number.isNaN(latencyUs)) return;
    const wait = Number.isNaN(waitMs) ? 0 : Math.max(0, waitMs);
    const init = Number.isNaN(initMs) ? 0 : Math.max(0, initMs);
    const exec = Math.max(0, execMs);
    this.n++;
    this.sumMs.wait += wait;
    this.sumMs.init += init;
    this.sumMs.exec += exec;
    this.sumMs.other += Math.max(0, latencyUs / 1000 - wait - init - exec);
  }

  get count(): number {
    return this.n;
  }

  /** Null when no row had a breakdown (or all were 0 ms). */
  shares(): LatencyShares | null {
    const s = this.sumMs;
    const total = s.wait + s.init + s.exec + s.other;
    if (this.n === 0 || !(total > 0)) return null;
    const of = (f: (p: LatencyPart) => number) =>
      Object.fromEntries(LATENCY_PARTS.map((p) => [p, f(p)])) as Record<LatencyPart, number>;
    return {
      invocations: this.n,
      shares: of((p) => s[p] / total),
      meanMs: of((p) => s[p] / this.n),
    };
  }
}

/** Breakdown sums per time bin (seconds from t0), for the figure over time. Bounded by the bins. */
export class BreakdownBins {
  private readonly sums: (BreakdownSum | undefined)[];
  constructor(
    private readonly t0: number,
    readonly binS: number,
    bins: number,
  ) {
    this.sums = new Array(bins);
  }

  add(atUs: number, latencyUs: number, waitMs: number, initMs: number, execMs: number): void {
    if (Number.isNaN(atUs)) return;
    const b = Math.floor((atUs - this.t0) / 1e6 / this.binS);
    if (b < 0 || b >= this.sums.length) return;
    let sum = this.sums[b];
    if (!sum) {
      sum = new BreakdownSum();
      this.sums[b] = sum;
    }
    sum.add(latencyUs, waitMs, initMs, execMs);
  }

  /** [bin start (s), its shares], bins with a breakdown only, ascending. */
  points(): [number, LatencyShares][] {
    const out: [number, LatencyShares][] = [];
    this.sums.forEach((sum, b) => {
      const s = sum?.shares();
      if (s) out.push([b * this.binS, s]);
    });
    return out;
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `latency: 3.1% waiting, 61.0% init, 34.2% execution, 1.7% other (mean 12.0 / ... ms; 600 invocations)`. */
export function formatShares(s: LatencyShares): string {
  const { shares: x, meanMs: m } = s;
  return `latency: ${pct(x.wait)} waiting, ${pct(x.init)} init, ${pct(x.exec)} execution, ${pct(x.other)} other (mean ${m.wait.toFixed(1)} / ${m.init.toFixed(1)} / ${m.exec.toFixed(1)} / ${m.other.toFixed(1)} ms, over ${s.invocations} invocations the platform timed)`;
}
