import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { epochUs } from '../util/time.js';
import type { Clock } from './clock.js';

/**
 * How the dispatcher waits for the next fire time (`--pacing`):
 * - timer: a timer to the millisecond at or after the deadline. Low CPU; fires 0 to about 1 ms
 *   late (timers have millisecond resolution), more on a busy event loop.
 * - precise: a timer until 2 ms before the deadline, then polling the clock between turns of the
 *   event loop (setImmediate), so network I/O is served between polls, and spinning through the
 *   last 50 µs. Typically within tens of microseconds on a free core, at the cost of that core
 *   while it polls (all the time when arrivals are less than 2 ms apart).
 * - auto: precise when the host has a core to spare for polling, timer otherwise (see choosePacing).
 * Both never fire early.
 */
export type Pacing = 'timer' | 'precise';
export const PACING_CHOICES = ['auto', 'timer', 'precise'] as const;
export type PacingChoice = (typeof PACING_CHOICES)[number];

/** Below this much time left, the precise clock stops using timers and polls. */
const POLL_US = 2_000;
/** Below this much, it spins without yielding (shorter than a turn of a busy event loop). */
const SPIN_US = 50;

/**
 * The real clock, paced as `pacing` says: a timer to the deadline's millisecond (timer) or to
 * POLL_US before it (precise), then polling between turns of the event loop until it has come.
 */
export class PacedClock implements Clock {
  constructor(readonly pacing: Pacing) {}

  nowUs(): number {
    return epochUs();
  }

  async sleepUntil(atUs: number, signal?: AbortSignal): Promise<void> {
    const leftUs = atUs - epochUs();
    const timerMs =
      this.pacing === 'timer' ? Math.ceil(leftUs / 1000) : Math.floor((leftUs - POLL_US) / 1000);
    if (timerMs > 0) {
      try {
        await sleep(timerMs, undefined, signal ? { signal } : {});
      } catch {
        return; // aborted
      }
    }
    for (;;) {
      const left = atUs - epochUs();
      if (left <= 0 || signal?.aborted) return;
      // The last few tens of µs are spun through: a turn of the event loop costs about as much,
      // and I/O waits no longer than that.
      if (left <= SPIN_US) {
        while (atUs > epochUs());
        return;
      }
      await yieldToLoop();
    }
  }
}

export interface HostLoad {
  cpus: number;
  /** 1-minute load average. */
  load1: number;
}

/**
 * Resolves `--pacing auto`: precise when, beside the load already on the host, a core and a half
 * are idle (one for the dispatcher to poll with, the rest for its I/O); timer otherwise. Polling
 * costs nothing extra when arrivals are dense (the event loop is busy anyway) and little when
 * they are sparse, so the planned rate does not change the choice; a core to spare does.
 */
export function choosePacing(
  choice: PacingChoice,
  host: HostLoad = { cpus: availableParallelism(), load1: loadavg()[0] ?? 0 },
): { pacing: Pacing; reason: string } {
  if (choice !== 'auto') return { pacing: choice, reason: `--pacing ${choice}` };
  const idle = host.cpus - host.load1;
  return idle >= 1.5
    ? { pacing: 'precise', reason: `auto: ${idle.toFixed(1)} of ${host.cpus} cores idle` }
    : {
        pacing: 'timer',
        reason: `auto: ${Math.max(0, idle).toFixed(1)} of ${host.cpus} cores idle, none to spare for polling`,
      };
}

export function createClock(pacing: Pacing): PacedClock {
  return new PacedClock(pacing);
}
