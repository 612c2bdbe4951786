/**
 * Time for the dispatcher. nowUs() is wall-clock epoch microseconds that never go backwards
 * within a run; sleepUntil() resolves at or after `atUs`, never before (unless aborted).
 */
export interface Clock {
  nowUs(): number;
  sleepUntil(atUs: number, signal?: AbortSignal): Promise<void>;
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
