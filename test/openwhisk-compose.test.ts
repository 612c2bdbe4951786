/**
 * The OpenWhisk adapter's sequences and triggers against the embedded server as the "real"
 * OpenWhisk (127.0.0.1, process runtime): a trace function deployed as a sequence, a trigger
 * fired instead of an action invoked, and teardown removing every rule, trigger and sequence.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OpenWhiskServer, startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import { OpenWhiskPlatform } from '../src/platforms/openwhisk/index.js';
import { hasSequences } from '../src/platforms/sequences.js';
import { hasTriggers } from '../src/platforms/triggers.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';

const never = new AbortController().signal;
const arrival = (seq: number, durationMs = 5): Arrival => ({ seq, fn: 0, atUs: 0, durationMs, memoryMb: 0 });

describe('OpenWhisk adapter: sequences and triggers', { timeout: 120_000 }, () => {
  let server: OpenWhiskServer;
  let platform: OpenWhiskPlatform;
  const auth = () => `Basic ${Buffer.from(server.auth).toString('base64')}`;
  const names = async (collection: string) =>
    (
      (await (
        await fetch(`${server.apiHost}/api/v1/namespaces/_/${collection}?limit=200`, {
          headers: { authorization: auth() },
        })
      ).json()) as { name: string }[]
    ).map((e) => e.name);

  before(async () => {
    server = await startOpenWhiskServer({ port: 0, runtime: 'process', keepAliveMs: 60_000 });
    platform = new OpenWhiskPlatform({ apiHost: server.apiHost, auth: server.auth, pollIntervalMs: 5 });
  });
  after(async () => {
    await platform?.teardown();
    await server?.close();
  });

  const a: FunctionSpec = { id: 'trace-a', name: 'fn-a' };
  const b: FunctionSpec = { id: 'trace-b', name: 'fn-b' };

  it('offers both capabilities', () => {
    assert.ok(hasTriggers(platform));
    assert.ok(hasSequences(platform));
  });

  it('deploys a sequence of deployed actions and reads each component run', async () => {
    await platform.deploy([a, b], never);
    await platform.deploySequence('wf-ab', ['fn-a', 'fn-b', 'fn-a'], never);
    const seq: FunctionSpec = { id: 'trace-a', name: 'wf-ab' };
    const { result, steps } = await platform.invokeSequence(seq, arrival(0, 20), never);
    assert.equal(result.outcome, 'ok', result.error);
    assert.match(result.activationId ?? '', /^[0-9a-f]{32}$/);
    assert.equal(steps.length, 3);
    for (const step of steps) {
      assert.equal(step.outcome, 'ok', step.error);
      assert.match(step.activationId ?? '', /^[0-9a-f]{32}$/);
      assert.ok(step.endedAtUs >= step.sentAtUs);
    }
    // The components ran one after the other, on the platform's clock (ms).
    assert.ok(steps[1]!.sentAtUs >= steps[0]!.endedAtUs - 1000);
    assert.ok(steps[2]!.sentAtUs >= steps[1]!.endedAtUs - 1000);
    // The first component's run was a cold start, as the function's own action would be.
    assert.equal(steps[0]!.coldStart, true);
  });

  it('fires a trigger whose rule runs the action, and reports the trigger and its delay', async () => {
    await platform.deployTriggers([a, b], never);
    assert.deepEqual((await names('triggers')).sort(), ['fn-a-trigger', 'fn-b-trigger']);
    assert.deepEqual((await names('rules')).sort(), ['fn-a-rule', 'fn-b-rule']);
    const r = await platform.fire(b, arrival(1), never);
    assert.equal(r.outcome, 'ok', r.error);
    assert.equal(r.invokedVia, 'trigger');
    assert.match(r.triggerActivationId ?? '', /^[0-9a-f]{32}$/);
    assert.match(r.activationId ?? '', /^[0-9a-f]{32}$/);
    assert.notEqual(r.activationId, r.triggerActivationId);
    assert.ok(r.triggerMs !== undefined && r.triggerMs >= 0 && r.triggerMs < 10_000);
    assert.equal(r.httpStatus, 202);
    // The action's activation is the rule's: the server ran fn-b for it.
    const res = await fetch(`${server.apiHost}/api/v1/namespaces/_/activations/${r.activationId}`, {
      headers: { authorization: auth() },
    });
    assert.equal(((await res.json()) as { name: string }).name, 'fn-b');

    // A disabled rule: the firing is an error that names the rule, not a hang.
    const off = await fetch(`${server.apiHost}/api/v1/namespaces/_/rules/fn-b-rule`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'inactive' }),
    });
    assert.equal(off.status, 200);
    const none = await platform.fire(b, arrival(2), never);
    assert.equal(none.outcome, 'error');
    assert.match(none.error ?? '', /fn-b-trigger has no active rule \(HTTP 204\)/);
  });

  it('teardown deletes rules, triggers, sequences and actions', async () => {
    await platform.teardown();
    assert.deepEqual(platform.notices, []);
    assert.deepEqual(await names('rules'), []);
    assert.deepEqual(await names('triggers'), []);
    assert.deepEqual(await names('actions'), []);
  });
});
