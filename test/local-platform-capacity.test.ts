/**
 * The embedded platform's capacity rules, on small real runs with process instances: time limits
 * that cover the trace's durations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { LocalPlatform, type LocalPlatformOptions } from '../src/platforms/local/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';

const never = new AbortController().signal;
const F1: FunctionSpec = { id: 'app/f1', name: 'f1', memoryMb: 128 };
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
