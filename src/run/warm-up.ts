/**
 * The warm-up before a run's time zero: the first planned invocations go at time zero with the
 * code compiled, the connections open and the writer thread running, instead of paying for all
 * that in the run's first seconds. The dispatcher fires throw-away copies of the plan's first
 * arrivals through the platform's throw-away send path (PlatformAdapter.warm(), or a no-op) and
 * their records go through the row path into throw-away collectors: none of it is in the dataset,
 * the summary or the live figures. `--warmup` is something else: a measured first phase of the run.
 */
import type { Clock } from '../dispatch/clock.js';
import { dispatch, type InvocationRecord, type Invoker } from '../dispatch/dispatcher.js';
import type { Arrival } from '../schedule/types.js';

export const WARM_UP_DEFAULTS = {
  /** Throw-away invocations: enough for V8 to compile the hot functions optimized (a few hundred calls). */
  count: 500,
  /** Spread evenly over this long, so the pacing's waits run too. */
  spanUs: 100_000,
} as const;

export interface WarmUpOptions {
  /** The plan's arrivals: the first `count` are copied, re-timed over spanUs. */
  arrivals: Iterable<Arrival>;
  /** The throw-away send path; default: a no-op that answers ok at once. */
  invoke?: Invoker;
  clock: Clock;
  /** DispatchOptions.onFire and onRecord of throw-away collectors (must not record anywhere kept). */
  onFire(scheduledAtUs: number, firedAtUs: number): void;
  onRecord(record: InvocationRecord): void;
  signal: AbortSignal;
  count?: number;
  spanUs?: number;
}

/** Runs the warm-up; resolves with the throw-away invocations fired, when every one has settled. */
export async function warmUp(o: WarmUpOptions): Promise<number> {
  const count = o.count ?? WARM_UP_DEFAULTS.count;
  const spanUs = o.spanUs ?? WARM_UP_DEFAULTS.spanUs;
  const copies: Arrival[] = [];
  for (const a of o.arrivals) {
    if (copies.length >= count) break;
    copies.push({ ...a, atUs: 0 });
  }
  // A plan shorter than `count` is cycled through.
  const n = copies.length === 0 ? 0 : count;
  const arrivals = Array.from({ length: n }, (_, i) => ({
    ...copies[i % copies.length]!,
    atUs: Math.floor((i * spanUs) / n),
  }));
  const clock = o.clock;
  const noop: Invoker = () => {
    const now = clock.nowUs();
    return Promise.resolve({ outcome: 'ok', sentAtUs: now, endedAtUs: now });
  };
  const stats = await dispatch(arrivals, o.invoke ?? noop, {
    clock,
    onFire: o.onFire,
    onRecord: o.onRecord,
    signal: o.signal,
  });
  return stats.fired;
}
