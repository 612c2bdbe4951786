import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { FakeClock } from '../src/dispatch/clock.js';
import { dispatch, type InvocationRecord } from '../src/dispatch/dispatcher.js';
import { LiveStats } from '../src/dispatch/live.js';
import { choosePacing, createClock } from '../src/dispatch/pacing.js';
import { WakeThread } from '../src/dispatch/wake-thread.js';
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
    assert.equal(records.filter((r) => r.result.failure === 'dropped').length, 3, 'the failure kind too');
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
    assert.deepEqual(
      records.map((r) => r.result.failure),
      [undefined, undefined, 'cancelled', 'cancelled'],
    );
  });

  it('records arrivals later than maxLatenessUs as dropped, not sent, with how late they were', async () => {
    const clock = new FakeClock(1_000_000 + 3_000);
    const records: InvocationRecord[] = [];
    const sent: number[] = [];
    const run = dispatch(
      arrivalsAt(0, 1_000, 2_500, 10_000),
      async (a) => {
        sent.push(a.seq);
        return { outcome: 'ok', sentAtUs: clock.nowUs(), endedAtUs: clock.nowUs() };
      },
      { clock, onRecord: (r) => records.push(r), startUs: 1_000_000, maxLatenessUs: 1_000 },
    );
    await drive(clock, run);
    const stats = await run;
    assert.deepEqual(sent.sort(), [2, 3]);
    assert.equal(stats.droppedLate, 2);
    const late = records.filter((r) => r.result.outcome === 'dropped');
    assert.deepEqual(
      late.map((r) => r.result.error),
      ['3.0 ms late, past --max-lateness', '2.0 ms late, past --max-lateness'],
    );
  });

  it('gives the event loop a turn after maxBurst overdue invocations', async () => {
    const clock = new FakeClock(10_000_000);
    // Counts turns of the event loop: one immediate per turn, re-queued until the run is over.
    let turns = 0;
    let over = false;
    const turn = () => {
      turns++;
      if (!over) setImmediate(turn);
    };
    setImmediate(turn);
    const firedBetweenTurns: number[] = [];
    let lastTurn = 0;
    let run = 0;
    await dispatch(
      arrivalsAt(...new Array(40).fill(0)),
      async () => {
        if (turns !== lastTurn) {
          firedBetweenTurns.push(run);
          run = 0;
          lastTurn = turns;
        }
        run++;
        return { outcome: 'ok', sentAtUs: clock.nowUs(), endedAtUs: clock.nowUs() };
      },
      { clock, onRecord: () => {}, startUs: 0, maxBurst: 8 },
    );
    over = true;
    firedBetweenTurns.push(run);
    assert.ok(firedBetweenTurns.length >= 4, `bursts ${firedBetweenTurns}`);
    assert.ok(Math.max(...firedBetweenTurns) <= 8, `bursts ${firedBetweenTurns}`);
  });

  it('marks arrivals before warmupUs as the warm-up phase', async () => {
    const clock = new FakeClock(0);
    const records: InvocationRecord[] = [];
    const run = dispatch(
      arrivalsAt(0, 999_999, 1_000_000, 2_000_000),
      async () => ({ outcome: 'ok', sentAtUs: clock.nowUs(), endedAtUs: clock.nowUs() }),
      { clock, onRecord: (r) => records.push(r), startUs: 0, warmupUs: 1_000_000 },
    );
    await drive(clock, run);
    await run;
    assert.deepEqual(
      records.sort((a, b) => a.arrival.seq - b.arrival.seq).map((r) => r.phase),
      ['warmup', 'warmup', 'measure', 'measure'],
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

for (const pacing of ['precise', 'timer'] as const) {
  const make = () => createClock(pacing);
  describe(`the ${pacing} clock`, () => {
    it('never wakes before the deadline', async () => {
      const clock = make();
      for (const aheadUs of [0, 300, 3_000, 12_000]) {
        const target = clock.nowUs() + aheadUs;
        await clock.sleepUntil(target);
        assert.ok(clock.nowUs() >= target, `woke ${target - clock.nowUs()} us early`);
      }
    });

    it('returns promptly when aborted', async () => {
      const clock = make();
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 10);
      const before = clock.nowUs();
      await clock.sleepUntil(before + 60e6, ac.signal);
      assert.ok(clock.nowUs() - before < 5e6);
    });

    it('serves the event loop while it waits', async () => {
      const clock = make();
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 2);
      await clock.sleepUntil(clock.nowUs() + 60_000);
      clearInterval(ticker);
      assert.ok(ticks >= 5, `${ticks} timer ticks in a 60 ms wait`);
    });
  });
}

describe('the precise clock', () => {
  it('sleeps while it waits instead of polling (its thread spends almost no CPU)', async () => {
    const clock = createClock('precise');
    await clock.sleepUntil(clock.nowUs() + 1_000); // the wake thread is up
    // 100 waits of 2 ms: a poller would spend about 200 ms of CPU.
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 100; i++) await clock.sleepUntil(clock.nowUs() + 2_000);
    const cpu = process.cpuUsage(cpu0);
    await clock.close();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    assert.ok(cpuMs < 60, `${cpuMs.toFixed(1)} ms of CPU for 200 ms of waits`);
  });

  it('a newer wait and close() cancel a pending one', async () => {
    const wake = new WakeThread();
    const first = wake.wait(60e6);
    const second = wake.wait(1_000);
    assert.equal(await first, false);
    assert.equal(await second, true);
    const third = wake.wait(60e6);
    await wake.close();
    assert.equal(await third, false);
    assert.equal(await wake.wait(10), false, 'closed');
  });

  it('a signal cancels the wait that gave it, not a later wait with another signal', async () => {
    const wake = new WakeThread();
    const one = new AbortController();
    const two = new AbortController();
    const a = wake.wait(60e6, one.signal);
    const b = wake.wait(30_000, two.signal);
    assert.equal(await a, false, 'replaced by a newer wait');
    one.abort();
    assert.equal(await b, true, 'another signal was aborted: it goes on to its deadline');
    const c = wake.wait(60e6, two.signal);
    two.abort();
    assert.equal(await c, false, 'cancelled by its own signal');
    assert.equal(await wake.wait(60e6, one.signal), false, 'a signal aborted before the wait');
    await wake.close();
  });

  it('does not hold the process open once it is idle', () => {
    const url = new URL('../src/dispatch/pacing.js', import.meta.url).href;
    const script = `const { createClock } = await import(${JSON.stringify(url)});
      const c = createClock('precise'); await c.sleepUntil(c.nowUs() + 5000); console.log('slept');`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(out.trim(), 'slept');
  });
});

describe('choosePacing', () => {
  it('keeps an explicit choice whatever the plan and the host', () => {
    assert.equal(choosePacing('timer', { peakPerS: 10, freeCores: 64, cpus: 64 }).pacing, 'timer');
    assert.equal(choosePacing('precise', { peakPerS: 50_000, freeCores: 0, cpus: 1 }).pacing, 'precise');
    assert.equal(choosePacing('precise', { peakPerS: 1, freeCores: 0, cpus: 1 }).reason, '--pacing precise');
  });

  it('resolves auto from the plan peak rate and the free cores, the dispatcher thread included', () => {
    const auto = (peakPerS: number, freeCores: number, cpus = 2) =>
      choosePacing('auto', { peakPerS, freeCores, cpus }).pacing;
    // precise costs the dispatcher's thread 150 us an arrival (send + wake): 0.30 core at
    // 2,000/s, plus one spare half.
    assert.equal(auto(2000, 1.9), 'precise');
    assert.equal(auto(2000, 0.85), 'precise');
    assert.equal(auto(2000, 0.75), 'timer');
    assert.equal(auto(5000, 1.3), 'precise');
    assert.equal(auto(5000, 1.2), 'timer');
    // A sparse plan costs almost nothing: precise on a busy host too.
    assert.equal(auto(10, 0.6), 'precise');
    assert.equal(auto(10, 0.3), 'timer');
    // A whole core at most, when it spins from one arrival to the next.
    assert.equal(auto(20_000, 1.55), 'precise');
    assert.equal(auto(20_000, 1.45), 'timer');
  });

  it('says why auto chose, with the peak rate and the free cores', () => {
    const { pacing, reason } = choosePacing('auto', { peakPerS: 2000, freeCores: 0.7, cpus: 2 });
    assert.equal(pacing, 'timer');
    assert.match(
      reason,
      /^auto: plan peak 2000\/s: precise needs 0\.30 core .*0\.7 of 2 cores free, too few$/,
    );
    assert.match(
      choosePacing('auto', { peakPerS: 40, freeCores: 1.5, cpus: 2 }).reason,
      /plan peak 40\/s.*1\.5 of 2 cores free$/,
    );
  });
});

describe('live accounting', () => {
  const S = 1e6;
  it('counts per second and alerts once when the sent rate falls below the plan', () => {
    const live = new LiveStats({
      startUs: 0,
      requestedPerSecond: [100, 100, 100, 100, 100, 100, 100],
      windowS: 5,
      lagShare: 0.05,
    });
    // 100/s sent for 5 s: no alert; then only 50 in the 6th second.
    for (let s = 0; s < 5; s++)
      for (let i = 0; i < 100; i++) live.fired(s * S + i * 10_000, s * S + i * 10_000 + 50);
    assert.deepEqual(live.check(5 * S), []);
    for (let i = 0; i < 50; i++) live.fired(5 * S + i * 10_000, 5 * S + i * 10_000 + 50);
    const alerts = live.check(6 * S);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.kind, 'rate');
    assert.match(alerts[0]!.message, /sent 90\/s over the last 5 s, 10\.0% below the planned 100\/s/);
    assert.deepEqual(live.check(6 * S), [], 'raised once');
    const timeline = live.timeline();
    assert.deepEqual(
      timeline.map((r) => r.sent),
      [100, 100, 100, 100, 100, 50, 0],
    );
    assert.equal(timeline[0]!.lateness_p99_us, 50);
  });

  it('alerts on lateness p99 past the bound, and not during the warm-up', () => {
    const live = new LiveStats({
      startUs: 0,
      requestedPerSecond: new Array(20).fill(10),
      windowS: 2,
      latenessBoundUs: 1000,
      warmupUs: 5 * S,
    });
    for (let s = 0; s < 10; s++)
      for (let i = 0; i < 10; i++)
        live.fired(s * S + i * 100_000, s * S + i * 100_000 + (s < 5 ? 5000 : s >= 8 ? 3000 : 10));
    assert.deepEqual(live.check(5 * S), [], 'warm-up seconds are not judged');
    assert.deepEqual(live.check(8 * S), []);
    const alerts = live.check(10 * S);
    assert.deepEqual(
      alerts.map((a) => a.kind),
      ['lateness'],
    );
    assert.match(alerts[0]!.message, /lateness p99 3\.0 ms over the last 2 s, past 1\.0 ms/);
  });
});
