import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { InvocationResult } from '../platforms/types.js';
import type { Arrival } from '../schedule/types.js';
import type { Clock } from './clock.js';

/** Sends one invocation; never rejects for platform failures (they are the result's outcome). */
export type Invoker = (arrival: Arrival, signal: AbortSignal) => Promise<InvocationResult>;

/** warmup: the plan's prefix that warms connections and the JIT (DispatchOptions.warmupUs). */
export type Phase = 'warmup' | 'measure';

/** Everything known about one planned invocation once it is settled. Times are epoch µs. */
export interface InvocationRecord {
  arrival: Arrival;
  scheduledAtUs: number;
  /** When the dispatcher handed it to the adapter (or decided not to send it). */
  firedAtUs: number;
  phase: Phase;
  result: InvocationResult;
}

export interface DispatchOptions {
  clock: Clock;
  /** Called exactly once per planned invocation, in completion order. Must not block. */
  onRecord(record: InvocationRecord): void;
  /** Called as each invocation is handed to the adapter, for live accounting. Must not block. */
  onFire?(scheduledAtUs: number, firedAtUs: number): void;
  /** The run's start (epoch µs) that every fire time is computed from; default: now. */
  startUs?: number;
  /** In-flight invocations at most; past it an invocation is recorded as dropped, never queued. */
  maxInFlight?: number;
  /** An invocation already later than this when its turn comes is dropped, not sent (default: none). */
  maxLatenessUs?: number;
  /** Overdue invocations fired back to back before the event loop gets a turn (default 256). */
  maxBurst?: number;
  /** Arrivals planned before this offset (µs from the start) are the warm-up phase. */
  warmupUs?: number;
  /** Stops firing: every invocation not yet sent is recorded as cancelled. */
  signal?: AbortSignal;
  /** Passed to the invoker: aborts invocations already in flight. */
  invokeSignal?: AbortSignal;
}

export interface DispatchStats {
  planned: number;
  fired: number;
  /** Not sent: the in-flight cap was reached, or (droppedLate) past maxLatenessUs. */
  dropped: number;
  droppedLate: number;
  cancelled: number;
  startUs: number;
  /** When the last invocation settled. */
  endUs: number;
}

export const DISPATCH_DEFAULTS = { maxBurst: 256 } as const;

/**
 * Fires `arrivals` open-loop, in the manner of k6's arrival-rate executors: arrival a goes at
 * startUs + a.atUs, computed from the run's start, never as a sleep relative to the previous send,
 * and never early. When behind, overdue invocations go at once, back to back, up to maxBurst
 * before the event loop gets a turn (so responses keep being read while catching up); their
 * lateness is the adapter's sentAtUs - scheduledAtUs. Work that is not sent is counted, never
 * silently skipped: past maxInFlight or maxLatenessUs it is recorded as dropped, after `signal`
 * as cancelled. Resolves when every invocation has settled and been recorded.
 */
export async function dispatch(
  arrivals: Iterable<Arrival>,
  invoke: Invoker,
  options: DispatchOptions,
): Promise<DispatchStats> {
  const { clock, onRecord, onFire, signal } = options;
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  const maxLatenessUs = options.maxLatenessUs ?? Number.POSITIVE_INFINITY;
  const maxBurst = options.maxBurst ?? DISPATCH_DEFAULTS.maxBurst;
  const warmupUs = options.warmupUs ?? 0;
  const invokeSignal = options.invokeSignal ?? new AbortController().signal;
  const startUs = options.startUs ?? clock.nowUs();
  const stats: DispatchStats = {
    planned: 0,
    fired: 0,
    dropped: 0,
    droppedLate: 0,
    cancelled: 0,
    startUs,
    endUs: startUs,
  };

  let inFlight = 0;
  let allSettled: (() => void) | undefined;
  const notSent = (
    arrival: Arrival,
    scheduledAtUs: number,
    phase: Phase,
    outcome: 'dropped' | 'cancelled',
    error?: string,
  ) => {
    const now = clock.nowUs();
    const result: InvocationResult = { outcome, sentAtUs: now, endedAtUs: now, failure: outcome };
    if (error !== undefined) result.error = error;
    onRecord({ arrival, scheduledAtUs, firedAtUs: now, phase, result });
  };

  let burst = 0;
  for (const arrival of arrivals) {
    stats.planned++;
    const scheduledAtUs = startUs + arrival.atUs;
    const phase: Phase = arrival.atUs < warmupUs ? 'warmup' : 'measure';
    if (!signal?.aborted && clock.nowUs() < scheduledAtUs) {
      await clock.sleepUntil(scheduledAtUs, signal);
      burst = 0;
    } else if (++burst >= maxBurst) {
      await yieldToLoop();
      burst = 0;
    }
    if (signal?.aborted) {
      stats.cancelled++;
      notSent(arrival, scheduledAtUs, phase, 'cancelled', 'the run was stopped before its time');
      continue;
    }
    if (inFlight >= maxInFlight) {
      stats.dropped++;
      notSent(
        arrival,
        scheduledAtUs,
        phase,
        'dropped',
        `${maxInFlight} invocations in flight (--max-in-flight)`,
      );
      continue;
    }
    const firedAtUs = clock.nowUs();
    if (firedAtUs - scheduledAtUs > maxLatenessUs) {
      stats.dropped++;
      stats.droppedLate++;
      notSent(
        arrival,
        scheduledAtUs,
        phase,
        'dropped',
        `${((firedAtUs - scheduledAtUs) / 1000).toFixed(1)} ms late, past --max-lateness`,
      );
      continue;
    }
    stats.fired++;
    inFlight++;
    onFire?.(scheduledAtUs, firedAtUs);
    const settle = (result: InvocationResult) => {
      try {
        onRecord({ arrival, scheduledAtUs, firedAtUs, phase, result });
      } finally {
        if (--inFlight === 0) allSettled?.();
      }
    };
    // One then() with both callbacks: one promise per invocation instead of two.
    invoke(arrival, invokeSignal).then(settle, (err: unknown) =>
      settle({
        outcome: 'error',
        sentAtUs: firedAtUs,
        endedAtUs: clock.nowUs(),
        // An adapter must not reject (platform failures are outcomes): one that does is a fault of faasload's.
        failure: 'client',
        error: `adapter failed: ${err instanceof Error ? err.message : String(err)}`,
      }),
    );
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (allSettled = resolve));
  stats.endUs = clock.nowUs();
  return stats;
}
