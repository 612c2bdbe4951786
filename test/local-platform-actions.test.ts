/**
 * Action behaviour on the embedded platform, the same tests on both runtimes (child processes and
 * Docker containers): activation logs cut per activation, per-action concurrency, and actions that
 * throw or return a non-object. The docker half fails under CI when no engine answers, and says
 * so loudly elsewhere.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type LocalFunctionSpec, LocalPlatform } from '../src/embedded/local/index.js';
import { dockerEngine } from './helpers/cannot-run.js';

const { engine } = await dockerEngine('LOCAL PLATFORM ACTION TESTS ON DOCKER');

const never = new AbortController().signal;

const LOGGER = `function main(p) {
  console.log('hello ' + p.n);
  console.error('warn ' + p.n);
  return { n: p.n };
}`;
const OVERLAP = `let running = 0;
async function main(p) {
  running++;
  const seen = running;
  await new Promise((r) => setTimeout(r, 300));
  running--;
  return { n: p.n, seen };
}`;
const THROWS = `function main() { console.log('about to fail'); throw new Error('boom'); }`;
const NUMBER = 'function main() { return 42; }';

function action(name: string, code: string, extra: Partial<LocalFunctionSpec> = {}): LocalFunctionSpec {
  return { id: `app/${name}`, name, memoryMb: 64, action: { code, main: 'main' }, ...extra };
}

for (const runtime of ['process', 'docker'] as const) {
  const platforms: LocalPlatform[] = [];
  async function platform(fns: LocalFunctionSpec[]): Promise<LocalPlatform> {
    const p = new LocalPlatform({ runtime, startTimeoutMs: 30_000 });
    platforms.push(p);
    await p.deploy(fns, never);
    return p;
  }

  describe(`actions on the ${runtime} runtime`, {
    skip: runtime === 'docker' && !engine.available ? 'no Docker engine (see above)' : false,
    timeout: 120_000,
  }, () => {
    afterEach(async () => {
      await Promise.all(platforms.splice(0).map((p) => p.teardown()));
    });

    test('each activation gets its own stdout and stderr lines, stamped, in OpenWhisk form', async () => {
      const fn = action('logger', LOGGER);
      const p = await platform([fn]);
      const first = await p.run(fn, { n: 1 }, never);
      const second = await p.run(fn, { n: 2 }, never);
      assert.equal(first.outcome, 'ok', first.error);
      assert.equal(second.instanceId, first.instanceId, 'the same (warm) instance');
      const strip = (lines: string[] | undefined) => (lines ?? []).map((l) => l.replace(/^\S+ /, ''));
      assert.deepEqual(strip(first.logs).sort(), ['stderr: warn 1', 'stdout: hello 1']);
      assert.deepEqual(strip(second.logs).sort(), ['stderr: warn 2', 'stdout: hello 2']);
      for (const line of first.logs!) {
        const at = Date.parse(line.split(' ')[0]!);
        assert.ok(at >= first.sentAtUs / 1000 - 1 && at <= first.endedAtUs / 1000 + 1000, line);
      }
    });

    test('an action that throws is an error with its message and its log; the instance stays warm', async () => {
      const fn = action('thrower', THROWS);
      const p = await platform([fn]);
      const r = await p.run(fn, {}, never);
      assert.equal(r.outcome, 'error');
      assert.equal(r.httpStatus, 502);
      assert.match(r.error!, /boom/);
      assert.deepEqual(
        r.logs?.map((l) => l.replace(/^\S+ /, '')),
        ['stdout: about to fail'],
      );
      const again = await p.run(fn, {}, never);
      assert.equal(again.coldStart, false);
      assert.equal(again.instanceId, r.instanceId);
    });

    test('an action that returns a non-object is an error', async () => {
      const fn = action('number', NUMBER);
      const p = await platform([fn]);
      const r = await p.run(fn, {}, never);
      assert.equal(r.outcome, 'error');
      assert.equal(r.httpStatus, 502);
      assert.match(r.error!, /did not return a dictionary/);
    });

    test('concurrency 3: three overlapping activations share one instance', async () => {
      const fn = action('shared', OVERLAP, { concurrency: 3 });
      const p = await platform([fn]);
      const runs = await Promise.all([1, 2, 3].map((n) => p.run(fn, { n }, never)));
      for (const r of runs) assert.equal(r.outcome, 'ok', r.error);
      assert.equal(new Set(runs.map((r) => r.instanceId)).size, 1, 'one instance');
      assert.equal(Math.max(...runs.map((r) => r.result?.seen as number)), 3, 'they overlapped');
      assert.equal(p.stats().started, 1);
      assert.equal(runs[0]!.logs, undefined, 'no per-activation logs when activations interleave');
    });

    test('concurrency 2: four at once need two instances, and later ones reuse them', async () => {
      const fn = action('pairs', OVERLAP, { concurrency: 2 });
      const p = await platform([fn]);
      const runs = await Promise.all([1, 2, 3, 4].map((n) => p.run(fn, { n }, never)));
      for (const r of runs) assert.equal(r.outcome, 'ok', r.error);
      assert.equal(new Set(runs.map((r) => r.instanceId)).size, 2);
      assert.ok(runs.every((r) => (r.result?.seen as number) <= 2));
      const later = await Promise.all([5, 6].map((n) => p.run(fn, { n }, never)));
      assert.ok(later.every((r) => r.coldStart === false));
      assert.equal(p.stats().started, 2);
      assert.equal(p.stats().idle, 2);
    });
  });
}
