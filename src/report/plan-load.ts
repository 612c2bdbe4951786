import type { ArrivalBatch, Schedule } from '../schedule/types.js';

/**
 * A plan's load per second of run time: what the platform under test will be asked for, seen
 * before it is fired. A spreading that synchronizes functions shows as a high peak-to-mean.
 */
export interface PlanLoad {
  invocations: number;
  /** The plan's run time, seconds (after --speed). */
  spanS: number;
  /** invocations / spanS. */
  meanPerS: number;
  /** The most arrivals in one second [k, k + 1) of run time, and k (the first such second). */
  peakPerS: number;
  peakAtS: number;
  /** peakPerS / meanPerS: near 1 for an even load; NaN for an empty plan. */
  peakToMean: number;
}

/** Counts a plan's arrivals per second of run time, batch by batch (memory: 4 bytes a second). */
export class PlanLoadCounter {
  private readonly perS: Uint32Array;
  private invocations = 0;

  constructor(private readonly spanUs: number) {
    this.perS = new Uint32Array(Math.max(1, Math.ceil(spanUs / 1e6)));
  }

  add(b: ArrivalBatch): void {
    const { perS } = this;
    const last = perS.length - 1;
    for (let i = 0; i < b.length; i++) perS[Math.min(last, Math.floor(b.atUs[i]! / 1e6))]!++;
    this.invocations += b.length;
  }

  result(): PlanLoad {
    let peakAtS = 0;
    for (let s = 1; s < this.perS.length; s++) if (this.perS[s]! > this.perS[peakAtS]!) peakAtS = s;
    const peakPerS = this.perS[peakAtS]!;
    const spanS = this.spanUs / 1e6;
    const meanPerS = spanS > 0 ? this.invocations / spanS : Number.NaN;
    return {
      invocations: this.invocations,
      spanS,
      meanPerS,
      peakPerS,
      peakAtS,
      peakToMean: this.invocations > 0 ? peakPerS / meanPerS : Number.NaN,
    };
  }
}

/** Generates the plan once (times only: durations are not drawn) and measures its load. */
export function planLoad(s: Schedule): PlanLoad {
  const counter = new PlanLoadCounter(s.spanUs);
  for (const b of s.batches({ reuse: true })) counter.add(b);
  return counter.result();
}

/** One line: `mean 10.5/s, peak 26/s at 1234 s (2.48x the mean)`. */
export function formatPlanLoad(l: PlanLoad): string {
  if (l.invocations === 0) return 'no invocations';
  return `mean ${l.meanPerS.toFixed(1)}/s, peak ${l.peakPerS}/s at ${l.peakAtS} s (${l.peakToMean.toFixed(2)}x the mean)`;
}
