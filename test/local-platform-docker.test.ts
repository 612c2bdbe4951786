/**
 * The local platform on the docker runtime (--runtime docker): what the process-runtime tests
 * show, with containers: cold then warm on the same container, one container per concurrent
 * invocation, keep-alive eviction, a memory limit that kills the action (an error outcome, the
 * platform keeps serving), and a teardown that leaves no container. Without an engine these tests
 * say so loudly and skip; under CI they fail instead.
 */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { IMAGE_NODE_PATH, listInstances } from '../src/embedded/docker/index.js';
import { LocalPlatform, type LocalPlatformOptions } from '../src/embedded/local/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';
import { dockerEngine } from './helpers/cannot-run.js';

const { docker, engine } = await dockerEngine('LOCAL PLATFORM DOCKER TESTS');

const F1: FunctionSpec = { id: 'app/f1', name: 'f1', memoryMb: 64 };
const never = new AbortController().signal;
let seq = 0;
const arrival = (durationMs?: number, memoryMb?: number): Arrival => ({
  seq: seq++,
  fn: 0,
  atUs: 0,
  durationMs,
  memoryMb,
});

const platforms: LocalPlatform[] = [];
async function platform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const p = new LocalPlatform({ runtime: 'docker', startTimeoutMs: 30_000, ...options });
  platforms.push(p);
  await p.deploy([F1], never);
  return p;
}
const containers = async () => (await listInstances(docker, process.pid)).length;

describe('local platform on the docker runtime', {
  skip: engine.available ? false : 'no Docker engine (see above)',
  timeout: 300_000,
}, () => {
  afterEach(async () => {
    await Promise.all(platforms.splice(0).map((p) => p.teardown()));
    assert.equal(await containers(), 0, 'a container survived teardown');
  });

  test('cold on a new container, then warm on the same one', async () => {
    const p = await platform();
    assert.equal(p.runtimeKind(), 'docker');
    const first = await p.invoke(F1, arrival(), never);
    assert.equal(first.outcome, 'ok', first.error);
    assert.equal(first.coldStart, true);
    assert.ok(first.initMs! > 0);
    const second = await p.invoke(F1, arrival(), never);
    assert.equal(second.outcome, 'ok', second.error);
    assert.equal(second.coldStart, false);
    assert.equal(second.initMs, undefined);
    assert.equal(second.instanceId, first.instanceId);
    const [info] = p.instances();
    assert.match(info!.containerId ?? '', /^[0-9a-f]{64}$/);
    assert.equal(await containers(), 1);
  });

  test("containers map the host's node read-only, so that its pages are cached once for all", async () => {
    const p = await platform();
    assert.equal((await p.invoke(F1, arrival(), never)).outcome, 'ok');
    const [info] = p.instances();
    const inspected = (await docker.getContainer(info!.containerId!).inspect()) as {
      Mounts?: { Source?: string; Destination?: string; RW?: boolean }[];
    };
    const node = inspected.Mounts?.find((m) => m.Destination === IMAGE_NODE_PATH);
    assert.ok(node, 'no mount over the image node');
    assert.equal(node.Source, realpathSync(process.execPath));
    assert.equal(node.RW, false);
  });

  test('concurrent invocations of one function run in two containers', async () => {
    const p = await platform();
    const [a, b] = await Promise.all([p.invoke(F1, arrival(300), never), p.invoke(F1, arrival(300), never)]);
    assert.equal(a.outcome, 'ok', a.error);
    assert.equal(b.outcome, 'ok', b.error);
    // Two containers start; a call whose own start is slower than the other call takes the
    // other's container once it is free, never while it runs.
    if (a.instanceId === b.instanceId) {
      const [first, then] = a.endedAtUs <= b.endedAtUs ? [a, b] : [b, a];
      assert.ok(then.endedAtUs - then.execMs! * 1000 >= first.endedAtUs - 1000, 'one at a time');
    }
    for (let t = 0; t < 100 && p.stats().alive < 2; t++) await sleep(100);
    assert.equal(await containers(), 2);
  });

  test('an idle container is removed after the keep-alive', async () => {
    const p = await platform({ keepAliveMs: 300 });
    const r = await p.invoke(F1, arrival(), never);
    assert.equal(r.outcome, 'ok', r.error);
    const until = Date.now() + 10_000;
    while ((await containers()) > 0 && Date.now() < until) await sleep(100);
    assert.equal(await containers(), 0);
    assert.equal(p.stats().evicted, 1);
  });

  test('an action past its memory limit is an error, and the platform keeps serving', async () => {
    const p = await platform();
    const big = await p.invoke(F1, arrival(0, 400), never); // limit: 64 MB's size class, 128 MB
    assert.equal(big.outcome, 'error');
    assert.match(big.error ?? '', /memory/i);
    const small = await p.invoke(F1, arrival(0, 16), never);
    assert.equal(small.outcome, 'ok', small.error);
    assert.equal(small.coldStart, true, 'the killed container is not reused');
  });

  test('past maxInstances an invocation waits for the one container (waitMs), then reuses it', async () => {
    const p = await platform({ maxInstances: 1 });
    const [a, b] = await Promise.all([p.invoke(F1, arrival(300), never), p.invoke(F1, arrival(0), never)]);
    assert.equal(a.outcome, 'ok', a.error);
    assert.equal(b.outcome, 'ok', b.error);
    assert.equal(b.coldStart, false);
    assert.equal(b.instanceId, a.instanceId);
    assert.ok(b.waitMs! >= 250, `waited ${b.waitMs} ms behind a 300 ms run`);
    assert.equal(await containers(), 1);
  });

  test('an action past its time limit is a timeout, and its container is removed', async () => {
    // The cap keeps the limit from covering the 3 s the invocation asks for.
    const p = await platform({ invokeTimeoutMs: 1_000, maxTimeLimitMs: 1_000 });
    const warm = await p.invoke(F1, arrival(), never); // the cold start is not under test here
    assert.equal(warm.outcome, 'ok', warm.error);
    const slow = await p.invoke(F1, arrival(3_000), never);
    assert.equal(slow.outcome, 'timeout');
    const until = Date.now() + 10_000;
    while ((await containers()) > 0 && Date.now() < until) await sleep(100);
    assert.equal(await containers(), 0, 'the timed-out container is gone');
    const next = await p.invoke(F1, arrival(), never);
    assert.equal(next.outcome, 'ok', next.error);
    assert.equal(next.coldStart, true);
  });
});
