import type { Clock } from '../dispatch/clock.js';
import { FaasloadError } from '../errors.js';

/**
 * --start-at: shards on several machines start their plans at one wall-clock instant. Each
 * shard's time 0 is that instant on its own clock, so shards agree only as well as their clocks
 * do: keeping clocks in sync (NTP, chrony, the cloud's time service) is the cluster's job;
 * faasload only records an estimate of each clock's offset (util/clock-offset.ts).
 */

/** How far past --start-at a shard may still start, by default (its first arrivals run late). */
export const DEFAULT_START_TOLERANCE_MS = 5_000;

/**
 * Parses an ISO 8601 time with an explicit zone (Z or +hh:mm): a time without one would mean a
 * different instant on machines in different zones. Returns epoch milliseconds.
 */
export function parseStartAt(text: string, flag = '--start-at'): number {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
  const ms = Date.parse(text);
  if (!iso.test(text.trim()) || Number.isNaN(ms)) {
    throw new FaasloadError(
      'E_USAGE',
      `${flag} ${text}: expected an ISO 8601 time with its zone, e.g. 2026-05-04T12:00:00Z`,
    );
  }
  return ms;
}

/**
 * Throws if `startAtMs` is more than `toleranceMs` before `nowMs`: every shard must start within
 * the tolerance of the others, and a shard that would start later should fail loudly instead of
 * firing its plan out of step.
 */
export function checkStartAt(
  startAtMs: number,
  nowMs: number,
  toleranceMs: number,
  flag = '--start-at',
): void {
  const lateMs = nowMs - startAtMs;
  if (lateMs > toleranceMs) {
    throw new FaasloadError(
      'E_USAGE',
      `${flag} ${new Date(startAtMs).toISOString()} passed ${(lateMs / 1000).toFixed(3)} s ago, more than the ${(toleranceMs / 1000).toFixed(3)} s allowed (--start-tolerance): choose a later time (deploying the functions takes time too)`,
    );
  }
}

export interface StartFacts {
  /** The run's time 0: the start-at instant, epoch microseconds on this machine's clock. */
  startUs: number;
  /** How late the dispatcher began after it, microseconds (0 if it waited). */
  lateUs: number;
  /** How long it waited, microseconds. */
  waitedUs: number;
}

/**
 * Waits on the run's clock until `startAtMs` and returns it as the run's time 0. A start up to
 * `toleranceMs` late still uses the start-at instant as time 0, so that this shard's arrivals
 * stay on the common timeline (the first ones are then late, and recorded so); later than that
 * throws (see checkStartAt). Resolves early if `signal` aborts. The clock's nowUs() is wall-clock
 * epoch time (dispatch/clock.ts), so its precision is the pacing's.
 */
export async function waitForStart(
  clock: Clock,
  startAtMs: number,
  toleranceMs: number,
  signal?: AbortSignal,
): Promise<StartFacts> {
  const startUs = startAtMs * 1000;
  const before = clock.nowUs();
  checkStartAt(startAtMs, before / 1000, toleranceMs);
  await clock.sleepUntil(startUs, signal);
  const now = clock.nowUs();
  return { startUs, lateUs: Math.max(0, before - startUs), waitedUs: Math.max(0, now - before) };
}
