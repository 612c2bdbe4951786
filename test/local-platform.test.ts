/**
 * The local platform with real child processes and real HTTP on 127.0.0.1: cold and warm starts,
 * instance reuse and separation, durations, memory, keep-alive eviction, time limits, failures
 * as outcomes, aborts, and a teardown that leaves no process behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalPlatform, type LocalPlatformOptions } from '../src/embedded/local/index.js';
import { FaasloadError } from '../src/errors.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';

const TEST_TIMEOUT_MS = 20_000;
const F1: FunctionSpec = { id: 'app/f1', name: 'f1' };
const F2: FunctionSpec = { id: 'app/f2', name: 'f2' };
const never = new AbortController().signal;

let seq = 0;
function arrival(durationMs?: number, memoryMb?: number): Arrival {
  return { seq: seq++, fn: 0, atUs: 0, durationMs, memoryMb };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Resident memory of a process in MiB (Linux), or undefined where /proc is not there. */
function residentMb(pid: number): number | undefined {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return undefined;
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(file, 'utf8'))?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

// Every platform a test makes is torn down after it, and none may leave a process behind.
const platforms: LocalPlatform[] = [];
async function platform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const p = new LocalPlatform(options);
  platforms.push(p);
  await p.deploy([F1, F2], never);
  return p;
}
async function tearDownAll(): Promise<void> {
  const pids = platforms.flatMap((p) => p.instances().map((i) => i.pid!));
  await Promise.all(platforms.splice(0).map((p) => p.teardown()));
  for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} survived teardown`);
}

describe('local platform', { timeout: TEST_TIMEOUT_MS * 8 }, () => {
  afterEach(tearDownAll);

  test('the first invoke is cold, the next one warm on the same instance', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform();
    const first = await p.invoke(F1, arrival(), never);
    assert.equal(first.outcome, 'ok', first.error);
    assert.equal(first.httpStatus, 200);
    assert.equal(first.coldStart, true);
    assert.ok(first.initMs! > 0);
    assert.equal(first.waitMs, 0);
    assert.match(first.activationId!, /^[0-9a-f]{32}$/);
    assert.ok(first.sentAtUs <= first.endedAtUs);
    const second = await p.invoke(F1, arrival(), never);
    assert.equal(second.outcome, 'ok', second.error);
    assert.equal(second.coldStart, false);
    assert.equal(second.initMs, undefined);
    assert.equal(second.instanceId, first.instanceId);
    assert.notEqual(second.activationId, first.activationId);
    assert.equal(second.result?.pid, first.result?.pid);
    assert.deepEqual(p.stats(), {
      started: 1,
      failedStarts: 0,
      evicted: 0,
      evictedForRoom: 0,
      discarded: 0,
      alive: 1,
      idle: 1,
      busy: 0,
      usedMemoryMb: 256, // no memory in its spec: OpenWhisk's default 256 MB
    });
    assert.equal(first.waitReason, 'none');
  });

  test('two concurrent invokes of one function start two instances', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform();
    const [a, b] = await Promise.all([p.invoke(F1, arrival(200), never), p.invoke(F1, arrival(200), never)]);
    assert.equal(a.outcome, 'ok', a.error);
    assert.equal(b.outcome, 'ok', b.error);
    assert.equal(a.coldStart && b.coldStart, true);
    assert.notEqual(a.instanceId, b.instanceId);
    assert.notEqual(a.result?.pid, b.result?.pid);
    assert.equal(p.stats().idle, 2);
  });

  test('runs any action with the parameters given; a redeploy with new code starts afresh', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform();
    const double = { code: 'function main(p) { return { x: p.x * 2 }; }', main: 'main' };
    const spec = { ...F1, action: double };
    await p.deploy([spec], never);
    const a = await p.run(spec, { x: 21 }, never);
    assert.equal(a.outcome, 'ok', a.error);
    assert.deepEqual(a.result, { x: 42 });
    const b = await p.run(spec, { x: 1 }, never);
    assert.equal(b.coldStart, false);
    const triple = { ...F1, action: { code: 'function main(p) { return { x: p.x * 3 }; }', main: 'main' } };
    await p.deploy([triple], never);
    const c = await p.run(triple, { x: 1 }, never);
    assert.equal(c.coldStart, true, 'an instance of the old code is not reused');
    assert.deepEqual(c.result, { x: 3 });
    assert.equal(p.undeploy('f1'), true);
    const d = await p.run(triple, { x: 1 }, never);
    assert.equal(d.outcome, 'error');
    assert.match(d.error ?? '', /not deployed/);
  });

  test('prewarm starts idle instances of each function at deploy: the first calls are warm', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform({ prewarm: 2 });
    assert.equal(p.stats().idle, 4, 'two of f1, two of f2');
    const [a, b] = await Promise.all([p.invoke(F1, arrival(50), never), p.invoke(F1, arrival(50), never)]);
    assert.equal(a.coldStart, false);
    assert.equal(b.coldStart, false);
    assert.equal((await p.invoke(F2, arrival(), never)).coldStart, false);
    assert.equal(p.stats().started, 4);
  });

  test('different functions get different instances', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = await platform();
    const a = await p.invoke(F1, arrival(), never);
    const b = await p.invoke(F2, arrival(), never);
    assert.equal(b.coldStart, true, 'an idle instance of f1 does not serve f2');
    assert.notEqual(a.instanceId, b.instanceId);
    assert.match(a.instanceId!, /^f1-/);
    assert.match(b.instanceId!, /^f2-/);
  });

  test('durationMs is honoured', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = await platform();
    await p.invoke(F1, arrival(), never); // the cold start out of the way
    const r = await p.invoke(F1, arrival(300), never);
    assert.equal(r.outcome, 'ok', r.error);
    assert.ok(r.execMs! >= 300, `execMs ${r.execMs}`);
    assert.ok((r.result?.execMs as number) >= 300);
    assert.ok(r.endedAtUs - r.sentAtUs >= 300_000);
  });

  test('memoryMb is touched and held by the instance', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = await platform();
    const r = await p.invoke(F1, arrival(0, 64), never);
    assert.equal(r.outcome, 'ok', r.error);
    // The trace's memory is the instance's footprint, the runtime's own included (within 8 MB).
    assert.ok(Math.abs((r.result?.residentMb as number) - 64) <= 8, `resident ${r.result?.residentMb} MiB`);
    const [info] = p.instances();
    assert.equal(r.result?.pid, info?.pid);
    const rss = residentMb(info!.pid!);
    if (rss !== undefined) assert.ok(rss >= 56, `resident ${rss} MiB`);
  });

  test('an idle instance is evicted after keepAliveMs', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = await platform({ keepAliveMs: 150 });
    const first = await p.invoke(F1, arrival(), never);
    const pid = first.result?.pid as number;
    await waitFor('the eviction', () => p.stats().evicted === 1 && p.stats().alive === 0);
    assert.equal(isAlive(pid), false);
    const again = await p.invoke(F1, arrival(), never);
    assert.equal(again.coldStart, true);
    assert.notEqual(again.instanceId, first.instanceId);
  });

  test('teardown kills every instance, waits for them, and is idempotent', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform();
    await Promise.all([
      p.invoke(F1, arrival(50), never),
      p.invoke(F1, arrival(50), never),
      p.invoke(F2, arrival(), never),
    ]);
    const busy = p.invoke(F2, arrival(5_000), never); // the idle f2 instance, now mid-run
    await waitFor('a busy instance', () => p.stats().busy === 1);
    const pids = p.instances().map((i) => i.pid!);
    assert.equal(pids.length, 3, 'two of f1, one of f2 (busy, reused)');
    await p.teardown();
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid}`);
    assert.equal(p.stats().alive, 0);
    assert.equal((await busy).outcome, 'error');
    await p.teardown();
    const after = await p.invoke(F1, arrival(), never);
    assert.equal(after.outcome, 'error');
  });

  test('a missing proxy or node binary is an error outcome, not a rejection', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const noProxy = await platform({ proxyPath: 'no/such/proxy.js' });
    const a = await noProxy.invoke(F1, arrival(), never);
    assert.equal(a.outcome, 'error');
    assert.equal(a.coldStart, true);
    assert.match(a.error!, /exited with code 1/);
    const noNode = await platform({ nodePath: 'no/such/node' });
    const b = await noNode.invoke(F1, arrival(), never);
    assert.equal(b.outcome, 'error');
    assert.match(b.error!, /ENOENT/);
    for (const p of [noProxy, noNode]) {
      await waitFor('the failed instance to be gone', () => p.stats().alive === 0);
      assert.equal(p.stats().failedStarts, 1);
    }
  });

  test('past invokeTimeoutMs the outcome is timeout and the instance is killed', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    // The cap keeps the limit from covering the 10 s the invocation asks for.
    const p = await platform({ invokeTimeoutMs: 300, maxTimeLimitMs: 300 });
    await p.invoke(F1, arrival(), never);
    const pid = p.instances()[0]!.pid!;
    const started = Date.now();
    const r = await p.invoke(F1, arrival(10_000), never);
    assert.equal(r.outcome, 'timeout');
    assert.ok(Date.now() - started < 3_000);
    assert.ok(r.execMs! >= 300);
    await waitFor('the timed-out instance to exit', () => !isAlive(pid));
    assert.equal(p.stats().discarded, 1);
    assert.equal((await p.invoke(F1, arrival(), never)).coldStart, true);
  });

  test('an instance that dies mid-run gives an error naming the signal', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform();
    await p.invoke(F1, arrival(), never);
    const pid = p.instances()[0]!.pid!;
    const running = p.invoke(F1, arrival(5_000), never);
    await waitFor('the run to start', () => p.stats().busy === 1);
    await sleep(50);
    process.kill(pid, 'SIGKILL');
    const r = await running;
    assert.equal(r.outcome, 'error');
    assert.match(r.error!, /SIGKILL/);
    assert.equal((await p.invoke(F1, arrival(), never)).coldStart, true);
  });

  test('an action failure (502) is an error outcome and the instance stays warm', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform();
    const r = await p.invoke(F1, arrival(0, 1e12), never); // Buffer.alloc throws: no such size
    assert.equal(r.outcome, 'error');
    assert.equal(r.httpStatus, 502);
    assert.ok(r.error);
    const next = await p.invoke(F1, arrival(), never);
    assert.equal(next.outcome, 'ok', next.error);
    assert.equal(next.instanceId, r.instanceId);
  });

  test('aborts: before sending is cancelled, mid-run is an error and kills the instance', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform();
    assert.equal((await p.invoke(F1, arrival(), AbortSignal.abort())).outcome, 'cancelled');
    await p.invoke(F1, arrival(), never);
    const pid = p.instances()[0]!.pid!;
    const controller = new AbortController();
    const started = Date.now();
    const running = p.invoke(F1, arrival(10_000), controller.signal);
    setTimeout(() => controller.abort(), 100);
    const r = await running;
    assert.equal(r.outcome, 'error');
    assert.match(r.error!, /aborted/);
    assert.ok(Date.now() - started < 3_000);
    await waitFor('the aborted instance to exit', () => !isAlive(pid));
  });

  test('an undeployed function is an error outcome', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = await platform();
    const r = await p.invoke({ id: 'x', name: 'x' }, arrival(), never);
    assert.equal(r.outcome, 'error');
    assert.match(r.error!, /not deployed/);
    assert.equal(p.stats().started, 0);
  });

  test('invalid options are one usage error naming each', () => {
    assert.throws(
      () => new LocalPlatform({ keepAliveMs: -1, invokeTimeoutMs: 0 }),
      (e: unknown) =>
        e instanceof FaasloadError && e.code === 'E_USAGE' && /keepAliveMs.*invokeTimeoutMs/.test(e.message),
    );
  });

  test('past maxInstances an invocation waits for a free instance (waitMs), first come first served', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform({ maxInstances: 1 });
    const [a, b] = await Promise.all([p.invoke(F1, arrival(300), never), p.invoke(F1, arrival(0), never)]);
    assert.equal(a.outcome, 'ok', a.error);
    assert.equal(b.outcome, 'ok', b.error);
    assert.equal(a.coldStart, true);
    assert.equal(b.coldStart, false, 'the second reuses the first instance once it is free');
    assert.equal(b.instanceId, a.instanceId);
    assert.ok(b.waitMs! >= 250, `waited ${b.waitMs} ms behind a 300 ms run`);
    assert.equal(p.stats().started, 1);
  });

  test('at maxInstances an idle instance of another function is removed to make room', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform({ maxInstances: 1 });
    const first = await p.invoke(F1, arrival(), never);
    const pid = p.instances()[0]!.pid!;
    const other = await p.invoke(F2, arrival(), never);
    assert.equal(other.outcome, 'ok', other.error);
    assert.equal(other.coldStart, true);
    assert.notEqual(other.instanceId, first.instanceId);
    assert.equal(p.stats().evicted, 1);
    await waitFor('the removed instance to exit', () => !isAlive(pid));
  });

  test('cold starts beyond maxStarting wait their turn', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = await platform({ maxStarting: 1 });
    const results = await Promise.all([p.invoke(F1, arrival(), never), p.invoke(F2, arrival(), never)]);
    for (const r of results) {
      assert.equal(r.outcome, 'ok', r.error);
      assert.equal(r.coldStart, true);
    }
    const [first, second] = results.sort((x, y) => x.waitMs! - y.waitMs!);
    assert.equal(first!.waitMs, 0);
    assert.ok(second!.waitMs! >= first!.initMs! * 0.5, `the second start waited ${second!.waitMs} ms`);
  });

  test('a wait for an instance is bounded by invokeTimeoutMs and can be aborted', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const p = await platform({ maxInstances: 1, invokeTimeoutMs: 1_000, maxTimeLimitMs: 1_000 });
    // F1 holds the only instance past the limit (its own run times out a cold start later).
    const [hog, waiting] = await Promise.all([
      p.invoke(F1, arrival(5_000), never),
      p.invoke(F2, arrival(), never),
    ]);
    assert.equal(hog.outcome, 'timeout');
    assert.equal(waiting.outcome, 'timeout');
    assert.match(waiting.error!, /waited 1000 ms for room in the pool/);
    assert.equal(waiting.coldStart, undefined);

    const q = await platform({ maxInstances: 1 });
    const stop = new AbortController();
    const holder = q.invoke(F1, arrival(500), never);
    const queued = q.invoke(F2, arrival(), stop.signal);
    setTimeout(() => stop.abort(), 100);
    const r = await queued;
    assert.equal(r.outcome, 'cancelled');
    assert.match(r.error!, /aborted while waiting/);
    assert.equal((await holder).outcome, 'ok');
  });
});
