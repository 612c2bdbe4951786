import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  coldStartBlock,
  fitsAfterEvictingIdle,
  fitsInPool,
  sizeClassMb,
} from '../src/embedded/local/capacity-rules.js';
import { BatchResults, simulationUnits } from '../src/simulate/model.js';
import { type PlatformModelOptions, PlatformSimulator } from '../src/simulate/platform-model.js';
import { fixedKeepAlive } from '../src/simulate/policy.js';
import { simulate } from '../src/simulate/run.js';
import { AZURE2019_DIR } from './helpers/paths.js';

const S = 1e6;

/**
 * Functions named by letter; arrivals [function, at (s), duration (ms)] in time order, through
 * the platform model. Returns per-invocation results and the simulator.
 */
function simulateLocal(
  memoryMb: (number | undefined)[],
  arrivals: [fn: number, atS: number, durationMs: number][],
  options: Partial<PlatformModelOptions> = {},
  keepAliveUs = 60 * S,
) {
  const units = simulationUnits(
    memoryMb.map((_m, i) => ({ id: String.fromCharCode(97 + i) })),
    'function',
  );
  const sim = new PlatformSimulator(fixedKeepAlive(keepAliveUs), units, {
    functionMemoryMb: memoryMb,
    memoryClassesMb: [128, 256, 512],
    poolMemoryMb: 1_000_000,
    maxInstances: 1_000,
    maxStarting: 1_000,
    coldStartMs: 100,
    execOverheadMs: 0,
    defaultDurationMs: 0,
    horizonUs: 100 * S,
    record: true,
    waitTimeoutMs: Number.POSITIVE_INFINITY,
    ...options,
  });
  const n = arrivals.length;
  sim.run(
    Uint32Array.from(arrivals, (a) => a[0]),
    Float64Array.from(arrivals, (a) => a[1] * S),
    Float64Array.from(arrivals, (a) => a[2]),
    new Float64Array(n).fill(Number.NaN),
    n,
  );
  sim.finish();
  const out = new BatchResults();
  sim.resultsOf(0, n, out);
  return {
    sim,
    cold: [...out.cold.subarray(0, n)],
    waitMs: [...out.waitUs.subarray(0, n)].map((us) => Math.round(us / 1000)),
    instance: [...out.instance.subarray(0, n)],
  };
}

const A = 0;
const B = 1;
const C = 2;

describe('the shared capacity rules', () => {
  it('size classes, pool accounting and the order of what blocks a cold start', () => {
    assert.equal(sizeClassMb(129, [128, 256]), 256);
    assert.equal(sizeClassMb(undefined, [128, 256, 512]), 256, 'no memory in the trace: 256 MB');
    const limits = { poolMemoryMb: 1024, maxInstances: 3 };
    assert.equal(fitsInPool({ memoryMb: 768, instances: 2 }, limits, 256), true);
    assert.equal(fitsInPool({ memoryMb: 768, instances: 2 }, limits, 257), false);
    assert.equal(fitsInPool({ memoryMb: 0, instances: 3 }, limits, 1), false, 'the instance cap');
    // 1024 used, 512 of it idle: a 512 MB instance fits once the idle ones go, a 513 MB one never.
    const use = { memoryMb: 1024, instances: 3 };
    const idle = { memoryMb: 512, instances: 2 };
    assert.equal(fitsAfterEvictingIdle(use, idle, limits, 512), true);
    assert.equal(fitsAfterEvictingIdle(use, idle, limits, 513), false);
    let roomAsked = 0;
    const room = (ok: boolean) => () => {
      roomAsked++;
      return ok;
    };
    assert.equal(coldStartBlock('memory', 0, 1, room(true)), 'memory', 'earlier waiters go first');
    assert.equal(coldStartBlock(undefined, 1, 1, room(true)), 'start_slot');
    assert.equal(roomAsked, 0, 'no eviction for a start that waits anyway');
    assert.equal(coldStartBlock(undefined, 0, 1, room(false)), 'memory');
    assert.equal(coldStartBlock(undefined, 0, 1, room(true)), undefined);
  });
});

describe('simulate --platform-model local: the embedded platform on hand-computed cases', () => {
  it('evicts the least recently used idle instance of any function to make room', () => {
    // Two instances at most. a's second invocation at 1.5 s makes b the least recently used:
    // c's cold start at 2 s evicts b, not a; a stays warm; b comes back cold at 4 s, evicting c
    // (idle since 2.1 s) rather than a (idle since 3.0 s).
    const r = simulateLocal(
      [128, 128, 128],
      [
        [A, 0, 0],
        [B, 1, 0],
        [A, 1.5, 0],
        [C, 2, 0],
        [A, 3, 0],
        [B, 4, 0],
      ],
      { maxInstances: 2 },
    );
    assert.deepEqual(r.cold, [1, 1, 0, 1, 0, 1]);
    assert.equal(r.sim.evictedForRoom, 2);
  });

  it('counts memory by size class, and evicts nothing when evicting every idle instance would not fit', () => {
    // Pool 700 MB. a (200 MB -> class 256) and b (no memory: 256) fit; c (300 -> 512) fits only
    // once both are gone. At 0.5 s a is still running (until 1.1 s): evicting b alone would not
    // make room, so nothing is evicted and c waits until 1.1 s, then evicts both.
    const r = simulateLocal(
      [200, undefined, 300],
      [
        [A, 0, 1000],
        [B, 0, 0],
        [C, 0.5, 0],
        [B, 2, 0],
      ],
      { poolMemoryMb: 700 },
    );
    assert.deepEqual(r.cold, [1, 1, 1, 1]);
    assert.equal(r.waitMs[2], 600 + 100, 'c waited for room from 0.5 s to 1.1 s, then its start');
    assert.equal(r.sim.waited.memory, 1);
    assert.equal(r.sim.evictedForRoom, 3, 'a and b for c, then c for b');
  });

  it('queues cold starts for a start slot; a queued invocation takes its function\u2019s instance once it frees', () => {
    // One start slot, starts take 1 s. a1 starts at 0 (runs 1.0-1.2 s); b waits for the slot
    // until 1 s; a2 (0.5 s) waits behind b for a slot, and takes a1's instance when it goes
    // idle at 1.2 s: warm, after waiting 0.7 s (the ideal model would start one more).
    const r = simulateLocal(
      [128, 128],
      [
        [A, 0, 200],
        [B, 0.1, 0],
        [A, 0.5, 0],
      ],
      { maxStarting: 1, coldStartMs: 1000 },
    );
    assert.deepEqual(r.cold, [1, 1, 0]);
    assert.deepEqual(r.waitMs, [1000, 900 + 1000, 700]);
    assert.equal(r.instance[2], r.instance[0]);
    assert.equal(r.sim.waited.start_slot, 2);
  });

  it('an invocation that waits past the timeout leaves the queue without running', () => {
    // One start slot, starts take 1 s, waits end after 0.5 s: b (0.1 s) gives up at 0.6 s; c
    // (0.8 s) gets the slot at 1 s.
    const r = simulateLocal(
      [128, 128, 128],
      [
        [A, 0, 0],
        [B, 0.1, 0],
        [C, 0.8, 0],
      ],
      { maxStarting: 1, coldStartMs: 1000, waitTimeoutMs: 500 },
    );
    assert.deepEqual(r.cold, [1, 0, 1]);
    assert.deepEqual(r.instance.slice(1, 2), [-1]);
    assert.deepEqual([...r.sim.timedOut], [0, 1, 0]);
    assert.deepEqual(r.waitMs, [1000, 500, 200 + 1000]);
  });

  it('starts the keep-alive when the execution ends; an instance is busy through its start', () => {
    // Keep-alive 1 s. a1 at 0: start 0.1 s, runs until 0.6 s, idle until 1.6 s. a2 at 0.05 s
    // finds it starting: a cold start of its own. a3 at 1.55 s is warm; a4 at 3 s is cold.
    const r = simulateLocal(
      [128],
      [
        [A, 0, 500],
        [A, 0.05, 0],
        [A, 1.55, 0],
        [A, 3, 0],
      ],
      {},
      1 * S,
    );
    assert.deepEqual(r.cold, [1, 1, 0, 1]);
  });
});

describe('simulate --platform-model local on the real sample', () => {
  const plan = {
    trace: AZURE2019_DIR,
    toUs: 600 * S,
    speed: 2,
    warpDurations: true,
    coldStartMs: 100,
    invocations: false,
    figures: false,
  } as const;

  it('with capacity to spare, never more cold starts than the ideal model (a freed instance may serve first)', async () => {
    const ideal = await simulate({ ...plan, out: await tmpOut('ideal'), platformModel: 'ideal' });
    const local = await simulate({
      ...plan,
      out: await tmpOut('local-unbounded'),
      platformModel: 'local',
      poolMemoryMb: 10_000_000,
      maxInstances: 100_000,
      maxStarting: 100_000,
    });
    // The ideal model gives each cold start to its invocation; the platform lets an invocation
    // take an instance of its function that frees before its own start ends.
    assert.ok(local.policies[0]!.coldStarts <= ideal.policies[0]!.coldStarts);
    assert.ok(local.policies[0]!.coldStarts > 0.5 * ideal.policies[0]!.coldStarts);
    assert.ok(ideal.policies[0]!.coldStarts > 100);
  });

  it('with the platform\u2019s defaults (64 instances, 12 GB), evictions for room add cold starts', async () => {
    const unbounded = await simulate({
      ...plan,
      out: await tmpOut('local-unbounded2'),
      platformModel: 'local',
      poolMemoryMb: 10_000_000,
      maxInstances: 100_000,
      maxStarting: 100_000,
    });
    const local = await simulate({
      ...plan,
      out: await tmpOut('local-default'),
      platformModel: 'local',
      poolMemoryMb: 12_000,
      maxStarting: 2,
    });
    // Against the same model with capacity to spare (82 on this plan): evictions for room.
    assert.ok(
      local.policies[0]!.coldStarts > 1.3 * unbounded.policies[0]!.coldStarts,
      `${local.policies[0]!.coldStarts} vs ${unbounded.policies[0]!.coldStarts}`,
    );
  });
});

async function tmpOut(name: string): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  return join(await mkdtemp(join(tmpdir(), 'faasload-sim-local-')), name);
}
