import { type Histogram, microsHistogram, quantilesOf } from '../util/histogram.js';
import type { InvocationRecord } from './dispatcher.js';

/**
 * Live accounting of a run, second by second: requested (planned to fire in that second), sent
 * (fired by the dispatcher), completed and errors (settled in it), dropped (not sent, by their
 * planned second). Seconds count from the run's start. The live figures are the dispatcher's:
 * sent and lateness are taken when an invocation is handed to the adapter (an HTTP adapter's
 * socket write, in the dataset, can only be later), so a slow platform does not look like lag.
 */
export interface LiveOptions {
  startUs: number;
  /** Planned invocations per second of the run (from the plan, before it is fired). */
  requestedPerSecond: ArrayLike<number>;
  /** The seconds that lag checks look back over. Default 5. */
  windowS?: number;
  /** Alert when fewer than (1 - lagShare) x requested were sent over the window. Default 0.05. */
  lagShare?: number;
  /** Alert when the window's lateness p99 passes this. Default 10 ms. */
  latenessBoundUs?: number;
  /** No alerts during the warm-up. */
  warmupUs?: number;
}

export const LIVE_DEFAULTS = { windowS: 5, lagShare: 0.05, latenessBoundUs: 10_000 } as const;

export interface LagAlert {
  /** Run second when it was raised. */
  second: number;
  kind: 'rate' | 'lateness';
  message: string;
}

export interface LiveSnapshot {
  elapsedS: number;
  requested: number;
  sent: number;
  completed: number;
  inFlight: number;
  errors: number;
  dropped: number;
  /** Over the last window; null before anything was sent in it. */
  latenessP99Us: number | null;
  achievedPerS: number;
  requestedPerS: number;
}

export type TimelineRow = {
  second: number;
  requested: number;
  sent: number;
  completed: number;
  errors: number;
  dropped: number;
  lateness_p99_us: number | null;
};

/** Counts per run second, growing as seconds are touched. */
class PerSecond {
  readonly counts: number[] = [];
  add(second: number, n = 1): void {
    while (this.counts.length <= second) this.counts.push(0);
    this.counts[second] = this.at(second) + n;
  }
  at(second: number): number {
    return this.counts[second] ?? 0;
  }
  sum(from: number, to: number): number {
    let s = 0;
    for (let i = Math.max(0, from); i < to; i++) s += this.at(i);
    return s;
  }
}

export class LiveStats {
  private readonly o: Required<LiveOptions>;
  private readonly sent = new PerSecond();
  private readonly completed = new PerSecond();
  private readonly errors = new PerSecond();
  private readonly dropped = new PerSecond();
  /**
   * Dispatcher lateness (fire time) of the seconds still in a window, as histograms (1%
   * precision); seconds that left every window keep only their p99, so memory stays flat.
   */
  private readonly lateness = new Map<number, Histogram>();
  private readonly latenessP99: (number | null)[] = [];
  private totals = { sent: 0, completed: 0, errors: 0, dropped: 0 };
  private readonly alerted = new Set<LagAlert['kind']>();

  constructor(options: LiveOptions) {
    this.o = { ...LIVE_DEFAULTS, warmupUs: 0, ...options };
  }

  private secondOf(atUs: number): number {
    return Math.max(0, Math.floor((atUs - this.o.startUs) / 1e6));
  }

  /** DispatchOptions.onFire. */
  fired(scheduledAtUs: number, firedAtUs: number): void {
    const s = this.secondOf(firedAtUs);
    this.sent.add(s);
    this.totals.sent++;
    let h = this.lateness.get(s);
    if (h === undefined) {
      h = microsHistogram(2);
      this.lateness.set(s, h);
      this.retire(s - this.o.windowS - 1);
    }
    h.recordValue(Math.max(0, firedAtUs - scheduledAtUs));
  }

  /** Keeps only the p99 of the seconds before `before`. */
  private retire(before: number): void {
    for (const [s, h] of this.lateness) {
      if (s >= before) continue;
      while (this.latenessP99.length <= s) this.latenessP99.push(null);
      this.latenessP99[s] = quantilesOf(h)?.p99 ?? null;
      this.lateness.delete(s);
    }
  }

  /** DispatchOptions.onRecord. */
  settled(record: InvocationRecord): void {
    const { outcome, endedAtUs } = record.result;
    if (outcome === 'dropped' || outcome === 'cancelled') {
      if (outcome === 'dropped') {
        this.dropped.add(this.secondOf(record.scheduledAtUs));
        this.totals.dropped++;
      }
      return;
    }
    const s = this.secondOf(endedAtUs);
    this.completed.add(s);
    this.totals.completed++;
    if (outcome !== 'ok') {
      this.errors.add(s);
      this.totals.errors++;
    }
  }

  /** Requested and sent over the window ending at `second` (exclusive), and its lateness p99. */
  private window(second: number): { requested: number; sent: number; latenessP99Us: number | null } {
    const from = second - this.o.windowS;
    let requested = 0;
    for (let i = Math.max(0, from); i < second; i++) requested += this.o.requestedPerSecond[i] ?? 0;
    const merged = microsHistogram(2);
    for (const [s, h] of this.lateness) if (s >= from && s < second) merged.add(h);
    return { requested, sent: this.sent.sum(from, second), latenessP99Us: quantilesOf(merged)?.p99 ?? null };
  }

  /**
   * Checks the last complete window (call about once a second). Returns the alerts raised now:
   * each kind is raised once, when it first happens after the warm-up and a full window.
   */
  check(nowUs: number): LagAlert[] {
    const second = this.secondOf(nowUs);
    const { windowS, lagShare, latenessBoundUs, warmupUs } = this.o;
    if (second - windowS < Math.ceil(warmupUs / 1e6)) return [];
    const w = this.window(second);
    const alerts: LagAlert[] = [];
    if (w.requested > 0 && w.sent < (1 - lagShare) * w.requested && !this.alerted.has('rate')) {
      alerts.push({
        second,
        kind: 'rate',
        message: `sent ${(w.sent / windowS).toFixed(0)}/s over the last ${windowS} s, ${(100 * (1 - w.sent / w.requested)).toFixed(1)}% below the planned ${(w.requested / windowS).toFixed(0)}/s`,
      });
    }
    if (w.latenessP99Us !== null && w.latenessP99Us > latenessBoundUs && !this.alerted.has('lateness')) {
      alerts.push({
        second,
        kind: 'lateness',
        message: `lateness p99 ${(w.latenessP99Us / 1000).toFixed(1)} ms over the last ${windowS} s, past ${(latenessBoundUs / 1000).toFixed(1)} ms`,
      });
    }
    for (const a of alerts) this.alerted.add(a.kind);
    return alerts;
  }

  snapshot(nowUs: number): LiveSnapshot {
    const second = this.secondOf(nowUs);
    const w = this.window(second);
    const { windowS } = this.o;
    let requested = 0;
    for (let i = 0; i <= second && i < this.o.requestedPerSecond.length; i++)
      requested += this.o.requestedPerSecond[i] ?? 0;
    return {
      elapsedS: (nowUs - this.o.startUs) / 1e6,
      requested,
      sent: this.totals.sent,
      completed: this.totals.completed,
      inFlight: this.totals.sent - this.totals.completed,
      errors: this.totals.errors,
      dropped: this.totals.dropped,
      latenessP99Us: w.latenessP99Us,
      achievedPerS: w.sent / windowS,
      requestedPerS: w.requested / windowS,
    };
  }

  /** One row per second of the run (for the timeline table). */
  timeline(): TimelineRow[] {
    this.retire(Number.POSITIVE_INFINITY);
    const n = Math.max(
      this.o.requestedPerSecond.length,
      this.sent.counts.length,
      this.completed.counts.length,
      this.dropped.counts.length,
    );
    return Array.from({ length: n }, (_, s) => ({
      second: s,
      requested: this.o.requestedPerSecond[s] ?? 0,
      sent: this.sent.at(s),
      completed: this.completed.at(s),
      errors: this.errors.at(s),
      dropped: this.dropped.at(s),
      lateness_p99_us: this.latenessP99[s] ?? null,
    }));
  }
}
