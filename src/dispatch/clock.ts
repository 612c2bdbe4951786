import { setTimeout as sleep } from 'node:timers/promises';
import { epochUs } from '../util/time.js';

/**
 * Time for the dispatcher. nowUs() is wall-clock epoch microseconds that never go backwards
 * within a run; sleepUntil() resolves at or after `atUs`, never before (unless aborted).
 */
export interface Clock {
  nowUs(): number;
  sleepUntil(atUs: number, signal?: AbortSignal): Promise<void>;
}

/** Below this much time left, RealClock stops using timers and polls on the event loop. */
const SPIN_US = 2_000;

/**
 * The real clock: a timer until about 2 ms before the deadline (timers fire up to a few ms late
 * under load), then setImmediate polling, which keeps serving network I/O between polls.
 * Precision: typically tens of microseconds on an idle core; a busy event loop delays it.
 */
export class RealClock implements Clock {
  nowUs(): number {
    return epochUs();
  }

  async sleepUntil(atUs: number, signal?: AbortSignal): Promise<void> {
    const left = atUs - this.nowUs();
    if (left > SPIN_US) {
      try {
        await sleep(Math.floor((left - SPIN_US) / 1000), undefined, signal ? { signal } : {});
      } catch {
        return; // aborted
      }
    }
    while (atUs > this.nowUs() && !signal?.aborted) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/** A clock for tests: time moves only when advance() or set() is called. */
export class FakeClock implements Clock {
  private now: number;
  private sleepers: { atUs: number; resolve: () => void }[] = [];

  constructor(startUs = 1_700_000_000_000_000) {
    this.now = startUs;
  }

  nowUs(): number {
    return this.now;
  }

  sleepUntil(atUs: number, signal?: AbortSignal): Promise<void> {
    if (atUs <= this.now || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = { atUs, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Moves time forward by `us` and wakes every sleeper whose time has come. */
  advance(us: number): void {
    this.set(this.now + us);
  }

  set(atUs: number): void {
    this.now = Math.max(this.now, atUs);
    const due = this.sleepers.filter((s) => s.atUs <= this.now);
    this.sleepers = this.sleepers.filter((s) => s.atUs > this.now);
    for (const s of due) s.resolve();
  }

  /** The earliest time someone waits for, if any. */
  nextWakeUs(): number | undefined {
    let min: number | undefined;
    for (const s of this.sleepers) if (min === undefined || s.atUs < min) min = s.atUs;
    return min;
  }
}
