/**
 * The embedded platform's capacity rules, on small real runs with process instances: time limits
 * that cover the trace's durations, cold starts in parallel up to maxStarting, no head-of-line
 * blocking across functions, a pool budgeted by memory with least-recently-used eviction (each
 * recorded as a lifecycle event), and what each invocation waited for (waitReason).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BroadcastChannel } from 'node:worker_threads';
import { LocalPlatform, type LocalPlatformOptions } from '../src/embedded/local/index.js';
import { LIFECYCLE_CHANNEL, type LifecycleAnnouncement } from '../src/embedded/local/instance-channel.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';

const never = new AbortController().signal;
const F1: FunctionSpec = { id: 'app/f1', name: 'f1', memoryMb: 128 };
const fn = (name: string, memoryMb = 128): FunctionSpec => ({ id: `app/${name}`, name, memoryMb });
let seq = 0;
const arrival = (durationMs: number, memoryMb?: number): Arrival => ({
  seq: seq++,
  fn: 0,
  atUs: 0,
  durationMs,
  memoryMb,
});

const platforms: LocalPlatform[] = [];
async function platform(fns: FunctionSpec[], options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const p = new LocalPlatform({ processMemoryLimit: 'watchdog', ...options });
  platforms.push(p);
  await p.deploy(fns, never);
  return p;
}

describe('time limits from the trace', { timeout: 60_000 }, () => {
  afterEach(async () => {
    await Promise.all(platforms.splice(0).map((p) => p.teardown()));
  });

  test('a function that runs as long as its trace says is not cut by the default limit', async () => {
    const p = await platform([F1], { invokeTimeoutMs: 400 });
    assert.equal((await p.invoke(F1, arrival(0), never)).outcome, 'ok'); // cold start out of the way
    const r = await p.invoke(F1, arrival(1_200), never);
    assert.equal(r.outcome, 'ok', r.error);
    assert.ok(r.execMs! >= 1_200);
  });

  test("the platform's cap still holds", async () => {
    const p = await platform([F1], { invokeTimeoutMs: 400, maxTimeLimitMs: 700 });
    assert.equal((await p.invoke(F1, arrival(0), never)).outcome, 'ok');
    const r = await p.invoke(F1, arrival(1_200), never);
    assert.equal(r.outcome, 'timeout');
  });
});

/** Lifecycle events heard while `body` runs (and a turn after). */
async function heard<T>(body: () => Promise<T>): Promise<[T, LifecycleAnnouncement[]]> {
  const events: LifecycleAnnouncement[] = [];
  const channel = new BroadcastChannel(LIFECYCLE_CHANNEL);
  channel.onmessage = (e: object) => {
    if ('data' in e) events.push(e.data as LifecycleAnnouncement);
  };
  try {
    const result = await body();
    await sleep(50);
    return [result, events];
  } finally {
    channel.close();
  }
}

describe('cold starts and waiting', { timeout: 60_000 }, () => {
  afterEach(async () => {
    await Promise.all(platforms.splice(0).map((p) => p.teardown()));
  });

  test('cold starts of different functions run in parallel up to maxStarting', async () => {
    const fns = ['a', 'b', 'c'].map((n) => fn(n));
    const p = await platform(fns, { maxStarting: 3 });
    const rs = await Promise.all(fns.map((f) => p.invoke(f, arrival(0), never)));
    for (const r of rs) {
      assert.equal(r.outcome, 'ok', r.error);
      assert.equal(r.coldStart, true);
      assert.equal(r.waitMs, 0);
      assert.equal(r.waitReason, 'none');
    }
  });

  test('past maxStarting, a cold start waits for a start slot (waitReason start_slot)', async () => {
    const fns = ['a', 'b', 'c'].map((n) => fn(n));
    const p = await platform(fns, { maxStarting: 1 });
    const rs = await Promise.all(fns.map((f) => p.invoke(f, arrival(0), never)));
    assert.deepEqual(
      rs.map((r) => r.waitReason),
      ['none', 'start_slot', 'start_slot'],
    );
    assert.ok(rs[1]!.waitMs! > 0 && rs[2]!.waitMs! > rs[1]!.waitMs!, 'in arrival order');
  });

  test("a warm invocation never waits behind another function's cold start", async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => fn(n));
    const p = await platform([a!, b!, c!], { maxStarting: 1 });
    assert.equal((await p.invoke(a!, arrival(0), never)).outcome, 'ok'); // a is warm now
    // b takes the only start slot, c waits for it; a's next invocation is served at once.
    const starts = [p.invoke(b!, arrival(0), never), p.invoke(c!, arrival(0), never)];
    const warm = await p.invoke(a!, arrival(0), never);
    assert.equal(warm.coldStart, false);
    assert.equal(warm.waitMs, 0);
    assert.equal(warm.waitReason, 'none');
    const [rb, rc] = await Promise.all(starts);
    assert.equal(rb!.waitReason, 'none');
    assert.equal(rc!.waitReason, 'start_slot');
  });

  test('an invocation whose cold start is under way takes an instance of its function that frees first', async () => {
    // Each instance's /init sleeps INIT_MS (the action's top level), so a start outlasts a call.
    const INIT_MS = 1_500;
    const slowInit: FunctionSpec = {
      ...fn('slow'),
      action: {
        main: 'main',
        code: `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${INIT_MS});
function main(p) { return new Promise((ok) => setTimeout(() => ok({}), p.durationMs)); }`,
      },
    };
    const p = await platform([slowInit]);
    assert.equal((await p.invoke(slowInit, arrival(0), never)).coldStart, true); // one warm instance
    const busy = p.invoke(slowInit, arrival(300), never); // holds it for 300 ms
    const queued = await p.invoke(slowInit, arrival(0), never); // finds it busy: a start begins
    assert.equal(queued.outcome, 'ok', queued.error);
    assert.equal(queued.coldStart, false, 'it took the instance that came free');
    assert.equal(queued.waitReason, 'instance_busy');
    assert.ok(queued.waitMs! < INIT_MS, `waited ${queued.waitMs} ms, less than a start`);
    assert.equal((await busy).outcome, 'ok');
    // The start it no longer needs still completes, into the idle pool.
    for (let t = 0; t < 100 && p.stats().idle < 2; t++) await sleep(50);
    assert.deepEqual([p.stats().started, p.stats().idle], [2, 2]);
  });
});

describe('a pool budgeted by memory', { timeout: 60_000 }, () => {
  afterEach(async () => {
    await Promise.all(platforms.splice(0).map((p) => p.teardown()));
  });

  test('idle instances are evicted least recently used first to make room, and recorded', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => fn(n, 100)); // class 128 MB each
    const p = await platform([a!, b!, c!], { poolMemoryMb: 256 });
    const [, events] = await heard(async () => {
      const ra = await p.invoke(a!, arrival(0), never);
      await p.invoke(b!, arrival(0), never);
      assert.equal(p.stats().usedMemoryMb, 256);
      await p.invoke(a!, arrival(0), never); // a is now used more recently than b
      const rc = await p.invoke(c!, arrival(0), never); // room for c: b goes
      assert.equal(rc.outcome, 'ok', rc.error);
      assert.equal(rc.waitReason, 'none');
      const again = await p.invoke(a!, arrival(0), never);
      assert.equal(again.coldStart, false, 'a stayed');
      assert.equal(again.instanceId, ra.instanceId);
      assert.equal((await p.invoke(b!, arrival(0), never)).coldStart, true, 'b was evicted');
      assert.equal(p.stats().evictedForRoom, 2); // b for c, then c (least recent) for b
      await p.teardown();
    });
    const evictions = events.filter((e) => e.event === 'evicted_for_room');
    assert.deepEqual(
      evictions.map((e) => [e.functionName, e.reason, e.memoryLimitMb]),
      [
        ['b', 'room for 128 MB', 128],
        ['c', 'room for 128 MB', 128],
      ],
    );
    assert.equal(events.filter((e) => e.event === 'started').length, 4);
    assert.deepEqual(
      events
        .filter((e) => e.event === 'teardown')
        .map((e) => e.functionName)
        .sort(),
      ['a', 'b'],
    );
  });

  test('with every instance busy and the pool full, a cold start waits for memory', async () => {
    const [a, b] = ['a', 'b'].map((n) => fn(n, 100));
    const p = await platform([a!, b!], { poolMemoryMb: 128 });
    const long = p.invoke(a!, arrival(600), never);
    await sleep(100);
    const r = await p.invoke(b!, arrival(0), never);
    assert.equal(r.outcome, 'ok', r.error);
    assert.equal(r.waitReason, 'memory');
    assert.ok(r.waitMs! >= 300, `waited ${r.waitMs} ms`);
    assert.equal((await long).outcome, 'ok');
  });

  test('a function bigger than the pool is an error at once', async () => {
    const big = fn('big', 3000);
    const p = await platform([big], { poolMemoryMb: 1024 });
    const r = await p.invoke(big, arrival(0), never);
    assert.equal(r.outcome, 'error');
    assert.match(r.error!, /4096 MB does not fit in the pool's 1024 MB/);
  });
});
