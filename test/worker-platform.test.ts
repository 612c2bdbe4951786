import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WorkerPlatform } from '../src/embedded/worker/host.js';
import { FaasloadError } from '../src/errors.js';
import { createPlatform, PLATFORM_KINDS } from '../src/platforms/registry.js';
import type { PlatformAdapter } from '../src/platforms/types.js';
import { epochUs } from '../src/util/time.js';

const never = new AbortController().signal;
const F = { id: 'app/f', name: 'f' };

describe('the embedded platform in a worker thread', { timeout: 60_000 }, () => {
  const platforms: PlatformAdapter[] = [];
  after(async () => {
    for (const p of platforms) await p.teardown();
  });

  it('is what the registry makes for local, and unknown kinds are a typed error', () => {
    assert.deepEqual(PLATFORM_KINDS, ['local', 'openwhisk', 'knative', 'openfaas', 'lambda', 'http']);
    const p = createPlatform('local');
    platforms.push(p);
    assert.ok(p instanceof WorkerPlatform);
    assert.throws(
      () => createPlatform('nope'),
      (e: unknown) =>
        e instanceof FaasloadError &&
        e.code === 'E_PLATFORM_KIND' &&
        /known: local, openwhisk, knative, openfaas, lambda, http/.test(e.message),
    );
    assert.throws(
      () => createPlatform('http'),
      (e: unknown) =>
        e instanceof FaasloadError && e.code === 'E_USAGE' && /needs a URL template/.test(e.message),
    );
  });

  it('invokes cold then warm, with times taken on the calling thread', async () => {
    const p = new WorkerPlatform('local', {});
    platforms.push(p);
    await p.deploy([F], never);
    const before = epochUs();
    const cold = await p.invoke(F, { seq: 0, fn: 0, atUs: 0, durationMs: 5 }, never);
    const warm = await p.invoke(F, { seq: 1, fn: 0, atUs: 0, durationMs: 5 }, never);
    assert.equal(cold.outcome, 'ok', cold.error);
    assert.equal(warm.outcome, 'ok', warm.error);
    assert.equal(cold.coldStart, true);
    assert.equal(warm.coldStart, false);
    assert.equal(warm.instanceId, cold.instanceId);
    assert.ok(cold.sentAtUs >= before && cold.endedAtUs > cold.sentAtUs && warm.sentAtUs >= cold.endedAtUs);
    assert.ok(warm.execMs! >= 5);
    await p.teardown();
    const after = await p.invoke(F, { seq: 2, fn: 0, atUs: 0 }, never);
    assert.equal(after.outcome, 'error');
  });

  it('passes aborts through and brings deploy errors back with their code', async () => {
    const p = new WorkerPlatform('local', {});
    platforms.push(p);
    await assert.rejects(
      p.deploy(
        [
          { id: 'a', name: 'same' },
          { id: 'b', name: 'same' },
        ],
        never,
      ),
      (e: unknown) => e instanceof FaasloadError && e.code === 'E_PLATFORM',
    );
    await p.deploy([F], never);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const r = await p.invoke(F, { seq: 0, fn: 0, atUs: 0, durationMs: 10_000 }, stop.signal);
    assert.notEqual(r.outcome, 'ok');
    assert.match(r.error ?? '', /abort/);
    assert.ok(r.endedAtUs - r.sentAtUs < 5e6);
  });
});
