import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { FakeClock, RealClock } from '../src/dispatch/clock.js';
import { dispatch, type InvocationRecord } from '../src/dispatch/dispatcher.js';
import type { InvocationResult } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';

const arrivalsAt = (...atUs: number[]): Arrival[] => atUs.map((at, seq) => ({ seq, fn: 0, atUs: at }));

/** Drives a FakeClock: whenever the dispatcher sleeps, jump to its wake-up time plus `lagUs`. */
async function drive(clock: FakeClock, done: Promise<unknown>, lagUs = 0): Promise<void> {
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    await tick();
    const wake = clock.nextWakeUs();
    if (wake !== undefined) clock.set(wake + lagUs);
  }
}

describe('dispatch', () => {
  it('fires each arrival at start + atUs, never early, computed from the start', async () => {
    const clock = new FakeClock(1_000_000);
    const fired: number[] = [];
    const records: InvocationRecord[] = [];
    const run = dispatch(
      arrivalsAt(0, 1000, 1000, 250_000),
      async (): Promise<InvocationResult> => {
        fired.push(clock.nowUs());
        return { outcome: 'ok', sentAtUs: clock.nowUs(), endedAtUs: clock.nowUs() };
      },
      { clock, onRecord: (r) => records.push(r), startUs: 2_000_000 },
    );
    await drive(clock, run);
    const stats = await run;
    assert.deepEqual(fired, [2_000_000, 2_001_000, 2_001_000, 2_250_000]);
    assert.deepEqual(
      records.map((r) => r.scheduledAtUs),
      [2_000_000, 2_001_000, 2_001_000, 2_250_000],
    );
    assert.equal(stats.planned, 4);
    assert.equal(stats.fired, 4);
  });

  it('does not accumulate drift when each wake-up is late: fire times stay on the plan', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    const run = dispatch(
      arrivalsAt(...Array.from({ length: 20 }, (_, i) => i * 10_000)),
      async () => {
        fired.push(clock.nowUs());
        return { outcome: 'ok', sentAtUs: clock.nowUs(), endedAtUs: clock.nowUs() };
      },
      { clock, onRecord: () => {}, startUs: 0 },
    );
    await drive(clock, run, 700); // every sleep overshoots by 0.7 ms
    await run;
    // Relative sleeps would drift by 0.7 ms per step (13.3 ms at the end); absolute ones do not.
    fired.forEach((at, i) => {
      assert.ok(at - i * 10_000 <= 700, `arrival ${i} fired ${at - i * 10_000} us late`);
    });
  });

  it('fires overdue arrivals at once when behind, and records them as late', async () => {
    const clock = new FakeClock(5_000_000);
    const records: InvocationRecord[] = [];
    await dispatch(
      arrivalsAt(0, 100, 200),
      async () => ({ outcome: 'ok', sentAtUs: clock.nowUs(), endedAtUs: clock.nowUs() }),
      { clock, onRecord: (r) => records.push(r), startUs: 1_000_000 },
    );
    assert.deepEqual(
      records.map((r) => r.result.sentAtUs - r.scheduledAtUs),
      [4_000_000, 3_999_900, 3_999_800],
    );
  });

  it('records invocations past the in-flight cap as dropped, never queued', async () => {
    const clock = new FakeClock(0);
    const pending: (() => void)[] = [];
    const records: InvocationRecord[] = [];
    const run = dispatch(
      arrivalsAt(0, 0, 0, 0, 0),
      () =>
        new Promise<InvocationResult>((resolve) =>
          pending.push(() => resolve({ outcome: 'ok', sentAtUs: 0, endedAtUs: 1 })),
        ),
      { clock, onRecord: (r) => records.push(r), startUs: 0, maxInFlight: 2 },
    );
    while (pending.length < 2) await tick();
    for (let i = 0; i < 5; i++) await tick();
    for (const p of pending) p();
    const stats = await run;
    assert.equal(stats.fired, 2);
    assert.equal(stats.dropped, 3);
    assert.equal(records.length, 5);
    assert.deepEqual(records.map((r) => r.arrival.seq).sort(), [0, 1, 2, 3, 4]);
    assert.equal(records.filter((r) => r.result.outcome === 'dropped').length, 3);
  });

  it('records every arrival not yet sent as cancelled when stopped, and waits for those in flight', async () => {
    const clock = new FakeClock(0);
    const stop = new AbortController();
    const records: InvocationRecord[] = [];
    const run = dispatch(
      arrivalsAt(0, 10, 1_000_000, 2_000_000),
      async (a) => {
        if (a.seq === 1) stop.abort();
        return { outcome: 'ok', sentAtUs: clock.nowUs(), endedAtUs: clock.nowUs() };
      },
      { clock, onRecord: (r) => records.push(r), startUs: 0, signal: stop.signal },
    );
    await drive(clock, run);
    const stats = await run;
    assert.equal(stats.cancelled, 2);
    assert.deepEqual(
      records.sort((a, b) => a.arrival.seq - b.arrival.seq).map((r) => r.result.outcome),
      ['ok', 'ok', 'cancelled', 'cancelled'],
    );
  });

  it('turns an adapter that rejects into an error outcome', async () => {
    const clock = new FakeClock(0);
    const records: InvocationRecord[] = [];
    await dispatch(
      arrivalsAt(0),
      async () => {
        throw new Error('boom');
      },
      { clock, onRecord: (r) => records.push(r), startUs: 0 },
    );
    assert.equal(records[0]?.result.outcome, 'error');
    assert.match(records[0]?.result.error ?? '', /boom/);
  });
});

describe('RealClock', () => {
  it('never wakes before the deadline', async () => {
    const clock = new RealClock();
    for (const aheadUs of [0, 300, 3_000, 12_000]) {
      const target = clock.nowUs() + aheadUs;
      await clock.sleepUntil(target);
      assert.ok(clock.nowUs() >= target, `woke ${target - clock.nowUs()} us early`);
    }
  });

  it('returns promptly when aborted', async () => {
    const clock = new RealClock();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    const before = clock.nowUs();
    await clock.sleepUntil(before + 60e6, ac.signal);
    assert.ok(clock.nowUs() - before < 5e6);
  });
});
