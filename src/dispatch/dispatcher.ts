import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { InvocationResult } from '../platforms/types.js';
import type { Arrival } from '../schedule/types.js';
import type { Clock } from './clock.js';

/** Sends one invocation; never rejects for platform failures (they are the result's outcome). */
export type Invoker = (arrival: Arrival, signal: AbortSignal) => Promise<InvocationResult>;

/** Everything known about one planned invocation once it is settled. Times are epoch µs. */
export interface InvocationRecord {
  arrival: Arrival;
  scheduledAtUs: number;
  result: InvocationResult;
}

export interface DispatchOptions {
  clock: Clock;
  /** Called exactly once per planned invocation, in completion order. Must not block. */
  onRecord(record: InvocationRecord): void;
  /** The run's start (epoch µs) that every fire time is computed from; default: now. */
  startUs?: number;
  /** In-flight invocations at most; past it an invocation is recorded as dropped, never queued. */
  maxInFlight?: number;
  /** Stops firing: every invocation not yet sent is recorded as cancelled. */
  signal?: AbortSignal;
  /** Passed to the invoker: aborts invocations already in flight. */
  invokeSignal?: AbortSignal;
}

export interface DispatchStats {
  planned: number;
  fired: number;
  dropped: number;
  cancelled: number;
  startUs: number;
  /** When the last invocation settled. */
  endUs: number;
}

/** Overdue invocations fired back to back before the dispatcher lets the event loop breathe. */
const BURST = 64;

/**
 * Fires `arrivals` open-loop: arrival a goes at startUs + a.atUs, computed from the run's start,
 * never as a sleep relative to the previous send, and never early. When behind, overdue
 * invocations go at once; lateness is result.sentAtUs - scheduledAtUs. Resolves when every invocation has settled and been recorded.
 */
export async function dispatch(
  arrivals: Iterable<Arrival>,
  invoke: Invoker,
  options: DispatchOptions,
): Promise<DispatchStats> {
  const { clock, onRecord, signal } = options;
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  const invokeSignal = options.invokeSignal ?? new AbortController().signal;
  const startUs = options.startUs ?? clock.nowUs();
  const stats: DispatchStats = { planned: 0, fired: 0, dropped: 0, cancelled: 0, startUs, endUs: startUs };

  let inFlight = 0;
  let allSettled: (() => void) | undefined;
  const notSent = (arrival: Arrival, scheduledAtUs: number, outcome: 'dropped' | 'cancelled') => {
    const now = clock.nowUs();
    onRecord({ arrival, scheduledAtUs, result: { outcome, sentAtUs: now, endedAtUs: now } });
  };

  let burst = 0;
  for (const arrival of arrivals) {
    stats.planned++;
    const scheduledAtUs = startUs + arrival.atUs;
    if (!signal?.aborted && clock.nowUs() < scheduledAtUs) {
      await clock.sleepUntil(scheduledAtUs, signal);
      burst = 0;
    } else if (++burst >= BURST) {
      await yieldToLoop();
      burst = 0;
    }
    if (signal?.aborted) {
      stats.cancelled++;
      notSent(arrival, scheduledAtUs, 'cancelled');
      continue;
    }
    if (inFlight >= maxInFlight) {
      stats.dropped++;
      notSent(arrival, scheduledAtUs, 'dropped');
      continue;
    }
    stats.fired++;
    inFlight++;
    const firedAtUs = clock.nowUs();
    invoke(arrival, invokeSignal)
      .catch(
        (err: unknown): InvocationResult => ({
          outcome: 'error',
          sentAtUs: firedAtUs,
          endedAtUs: clock.nowUs(),
          error: `adapter failed: ${err instanceof Error ? err.message : String(err)}`,
        }),
      )
      .then((result) => {
        try {
          onRecord({ arrival, scheduledAtUs, result });
        } finally {
          if (--inFlight === 0) allSettled?.();
        }
      });
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (allSettled = resolve));
  stats.endUs = clock.nowUs();
  return stats;
}
