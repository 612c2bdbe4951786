/**
 * Memory as platforms do it: an instance's limit is its function's size class; the synthetic
 * function's footprint (runtime included) is the trace's memory, so a function that does what its
 * trace row says is never OOM-killed, on either runtime; one that really exceeds its class is, and
 * its error says so plainly. Process instances are held by their own memory cgroup (as root) or
 * by the RSS watchdog; both are tested.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { LocalPlatform, type LocalPlatformOptions } from '../src/embedded/local/index.js';
import { ACTIVATION_SENTINEL, withoutSentinels } from '../src/embedded/local/logs.js';
import { DEFAULT_MEMORY_CLASSES_MB, parseMemoryClasses, sizeClassMb } from '../src/embedded/local/memory.js';
import { createMemoryLimiter } from '../src/embedded/local/memory-limit.js';
import { FaasloadError } from '../src/errors.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';
import { dockerEngine } from './helpers/cannot-run.js';

const never = new AbortController().signal;
let seq = 0;
const arrival = (durationMs: number, memoryMb?: number): Arrival => ({
  seq: seq++,
  fn: 0,
  atUs: 0,
  durationMs,
  memoryMb,
});

/** Trace memory 128 MB: its class is 128 MB, exactly. */
const EXACT: FunctionSpec = { id: 'app/exact', name: 'exact', memoryMb: 128 };
/** Touches `mb` MiB on top of whatever the runtime holds, whatever its trace memory says. */
const hog = (mb: number): FunctionSpec => ({
  id: 'app/hog',
  name: 'hog',
  memoryMb: 100,
  action: {
    main: 'main',
    code: `function main() {
      const b = Buffer.alloc(${mb} * 1048576);
      for (let i = 0; i < b.length; i += 4096) b[i] = 1;
      const until = Date.now() + 500; // long enough for a watchdog to look
      while (Date.now() < until);
      return { n: b.length };
    }`,
  },
});

/** Tolerance of the footprint: 10% or 8 MB, whichever is larger. */
const near = (residentMb: unknown, memoryMb: number) =>
  typeof residentMb === 'number' && Math.abs(residentMb - memoryMb) <= Math.max(8, memoryMb * 0.1);

describe('memory size classes', () => {
  test('the limit is the smallest class at or above the memory; none gives 256 MB', () => {
    const c = DEFAULT_MEMORY_CLASSES_MB;
    assert.deepEqual(c, [128, 256, 512, 1024, 2048, 4096]);
    assert.equal(sizeClassMb(1, c), 128);
    assert.equal(sizeClassMb(128, c), 128);
    assert.equal(sizeClassMb(128.5, c), 256);
    assert.equal(sizeClassMb(300, c), 512);
    assert.equal(sizeClassMb(undefined, c), 256);
    assert.equal(sizeClassMb(0, c), 256);
    assert.equal(sizeClassMb(5000.2, c), 5001, 'above the largest class: its own memory');
    assert.equal(sizeClassMb(100, [64, 192]), 192);
  });

  test('--memory-classes is parsed and checked', () => {
    assert.deepEqual(parseMemoryClasses('128, 256,1024'), [128, 256, 1024]);
    assert.throws(
      () => parseMemoryClasses('128,abc'),
      (e: unknown) => {
        assert.ok(e instanceof FaasloadError);
        assert.equal(e.code, 'E_USAGE');
        assert.match(e.message, /--memory-classes: 'abc'/);
        return true;
      },
    );
    assert.throws(() => parseMemoryClasses('256,128'), /ascending/);
    assert.throws(() => new LocalPlatform({ memoryClassesMb: [0] }), /memoryClassesMb/);
  });

  test('a stderr tail that starts inside a sentinel, or has one glued to output, loses it', () => {
    const tail = `ACTIVATION_XXX\nreal line\nlast words${ACTIVATION_SENTINEL}\n${ACTIVATION_SENTINEL}\n`;
    const cleaned = withoutSentinels(tail);
    assert.ok(!cleaned.includes('ACTIVATION_XXX'), cleaned);
    assert.match(cleaned, /real line\nlast words/);
  });
});

const platforms: LocalPlatform[] = [];
async function platform(fns: FunctionSpec[], options: LocalPlatformOptions): Promise<LocalPlatform> {
  const p = new LocalPlatform({ startTimeoutMs: 30_000, ...options });
  platforms.push(p);
  await p.deploy(fns, never);
  return p;
}

const canMakeCgroups = (() => {
  try {
    createMemoryLimiter('cgroup').close();
    return true;
  } catch {
    return false;
  }
})();
const { engine } = await dockerEngine('LOCAL PLATFORM MEMORY TESTS (docker runtime)');

const RUNTIMES: [string, LocalPlatformOptions, string | false][] = [
  [
    'process in its memory cgroup',
    { runtime: 'process', processMemoryLimit: 'cgroup' },
    canMakeCgroups ? false : 'no memory cgroups can be made here (not root?)',
  ],
  ['process under the RSS watchdog', { runtime: 'process', processMemoryLimit: 'watchdog' }, false],
  ['docker', { runtime: 'docker' }, engine.available ? false : 'no Docker engine'],
];

for (const [name, options, skip] of RUNTIMES) {
  describe(`memory limits: ${name}`, { skip, timeout: 120_000 }, () => {
    afterEach(async () => {
      await Promise.all(platforms.splice(0).map((p) => p.teardown()));
    });

    test('a function that touches exactly its trace memory, growing, is never killed', async () => {
      const p = await platform([EXACT], options);
      assert.equal(p.memoryLimitOf(EXACT), 128);
      let instanceId: string | undefined;
      // Growing calls, up to the trace memory that is also the limit: a copy on growth would
      // hold the old and the new memory at once and pass the limit.
      for (const mb of [60, 100, 120, 128, 128]) {
        const r = await p.invoke(EXACT, arrival(0, mb), never);
        assert.equal(r.outcome, 'ok', r.error);
        instanceId ??= r.instanceId;
        assert.equal(r.instanceId, instanceId, 'the same instance throughout');
        assert.ok(near(r.result?.residentMb, mb), `${mb} MB asked, resident ${r.result?.residentMb}`);
        assert.ok((r.result?.residentMb as number) <= 128, 'within the limit');
      }
    });

    test('a function that really exceeds its class is killed, with a plain error', async () => {
      const fn = hog(300);
      const p = await platform([fn], options);
      assert.equal(p.memoryLimitOf(fn), 128);
      const r = await p.invoke(fn, arrival(0), never);
      assert.equal(r.outcome, 'error');
      assert.equal(
        r.error,
        'out of memory: the function exceeded its memory limit of 128 MB and its instance was killed',
      );
      assert.equal(r.stage, 'run');
    });
  });
}
