import { performance } from 'node:perf_hooks';
import { type Histogram, microsHistogram, type Quantiles, quantilesOf } from '../util/histogram.js';
import { epochUs } from '../util/time.js';

/**
 * A fixed-rate sampling clock: tick k is planned at start + k x interval (computed from the start,
 * never as a sleep after the previous tick, so there is no drift). A tick that starts after the
 * next one was due makes the missed ones skipped (counted), not run back to back. The tick
 * function may be async; the next tick waits for it.
 *
 * Measures how late each tick starts (a histogram, µs) and the wall time of each tick's
 * synchronous part (busy time): with reads of /proc and /sys, which never sleep, that is close
 * to the CPU time the tick costs. Limit: a timer's precision is about 1 ms, so at 10 ms the
 * lateness is a few percent of the interval.
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly late: Histogram = microsHistogram(2);
  ticks = 0;
  skipped = 0;
  busyMs = 0;

  constructor(
    private readonly intervalMs: number,
    /** Called with the tick's planned time and how late it started, both epoch µs / µs. */
    private readonly tick: (plannedUs: number, lateUs: number) => void | Promise<void>,
  ) {}

  /** The first tick runs now. */
  start(): void {
    const startMs = performance.now();
    const originUs = epochUs() - startMs * 1000;
    let k = 0;
    const run = () => {
      if (this.stopped) return;
      const nowMs = performance.now();
      const plannedMs = startMs + k * this.intervalMs;
      const lateUs = Math.max(0, Math.round((nowMs - plannedMs) * 1000));
      this.late.recordValue(Math.max(1, lateUs));
      this.ticks++;
      const t0 = performance.now();
      let result: void | Promise<void>;
      try {
        result = this.tick(Math.round(originUs + plannedMs * 1000), lateUs);
      } catch {
        result = undefined; // a tick never throws by contract; a bug must not stop sampling
      }
      this.busyMs += performance.now() - t0;
      const next = () => {
        this.running = undefined;
        if (this.stopped) return;
        const after = performance.now();
        const due = Math.floor((after - startMs) / this.intervalMs) + 1;
        this.skipped += Math.max(0, due - k - 1);
        k = Math.max(k + 1, due);
        this.timer = setTimeout(run, Math.max(0, startMs + k * this.intervalMs - performance.now()));
      };
      if (result instanceof Promise) this.running = result.catch(() => undefined).then(next);
      else next();
    };
    run();
  }

  /** Stops ticking; resolves once a tick under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  lateness(): Quantiles | null {
    return quantilesOf(this.late);
  }

  /** The ticker's part of a MonitorSummary. */
  summary(): { ticks: number; skippedTicks: number; tickLateUs: Quantiles | null; busyS: number } {
    return {
      ticks: this.ticks,
      skippedTicks: this.skipped,
      tickLateUs: this.lateness(),
      busyS: this.busyMs / 1000,
    };
  }
}
