/**
 * Packages, sequences, triggers, rules and the alarms feed of the embedded platform's OpenWhisk
 * API, driven by the official `openwhisk` npm client against a real server on 127.0.0.1 (process
 * runtime); every answer checked against OpenWhisk's swagger (strict: no property it does not name).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import openwhisk from 'openwhisk';
import { type OpenWhiskServer, startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import { type Schema, validate } from './helpers/openwhisk-swagger.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers of the client, checked against the swagger
type Json = any;

const def = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const arrayOf = (name: string): Schema => ({ type: 'array', items: def(name) });

/**
 * OpenWhisk's activation records carry response.statusCode, which the swagger's ActivationResult
 * does not name (the embedded platform's single-action records have it too): not a problem.
 */
const UNDOCUMENTED = /\.response: unknown property statusCode$/;

function assertSchema(value: unknown, schema: Schema, what: string): void {
  const problems = validate(value, schema, what).filter((p) => !UNDOCUMENTED.test(p));
  assert.deepEqual(problems, [], `${what} does not follow the swagger`);
}

/** The client gives an empty body (a 204) as an empty Buffer. */
function assertNoContent(answer: unknown): void {
  assert.ok(
    Buffer.isBuffer(answer) && answer.length === 0,
    `expected no content, got ${JSON.stringify(answer)}`,
  );
}

function annotation(record: Json, key: string): unknown {
  return (record.annotations as { key: string; value?: unknown }[]).find((a) => a.key === key)?.value;
}

const ECHO = 'function main(p) { return { ...p, seen: (p.seen || 0) + 1 }; }';
const ADD = 'function main(p) { return { n: (p.n || 0) + (p.step || 1) }; }';
const FAIL = 'function main(p) { return { error: "no " + p.n }; }';
const code = (text: string) => ({ exec: { kind: 'nodejs:20', code: text } });

/** Polls `get` until it resolves (OpenWhisk stores activations asynchronously), at most 10 s. */
async function eventually<T>(get: () => Promise<T>): Promise<T> {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      return await get();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('OpenWhisk packages, sequences, triggers and rules (official client)', { timeout: 120_000 }, () => {
  let server: OpenWhiskServer;
  let ow: ReturnType<typeof openwhisk>;

  before(async () => {
    server = await startOpenWhiskServer({ port: 0, runtime: 'process', keepAliveMs: 60_000 });
    ow = openwhisk({ apihost: server.apiHost, api_key: server.auth, namespace: '_' });
  });
  after(async () => {
    await server?.close();
  });

  it('creates, gets, lists, updates and deletes a package with bound parameters', async () => {
    const created: Json = await ow.packages.create({
      name: 'tools',
      package: { parameters: [{ key: 'step', value: 5 }], annotations: [{ key: 'owner', value: 'me' }] },
    });
    assertSchema(created, def('Package'), 'PUT package');
    assert.equal(created.namespace, 'guest');
    assert.equal(created.version, '0.0.1');
    assert.deepEqual(created.parameters, [{ key: 'step', value: 5 }]);

    await assert.rejects(ow.packages.create({ name: 'tools', package: {} }), { statusCode: 409 });

    const inner: Json = await ow.actions.create({ name: 'tools/add', action: code(ADD) });
    assertSchema(inner, def('Action'), 'PUT action in a package');
    assert.equal(inner.namespace, 'guest/tools');

    const got: Json = await ow.packages.get({ name: 'tools' });
    assertSchema(got, def('Package'), 'GET package');
    assert.deepEqual(
      got.actions.map((a: Json) => a.name),
      ['add'],
    );
    const list: Json = await ow.packages.list();
    assertSchema(list, arrayOf('Package'), 'GET packages');
    assert.deepEqual(
      list.map((p: Json) => p.name),
      ['tools'],
    );

    // The package's parameter is bound below the action's and the payload's.
    const bound: Json = await ow.actions.invoke({ name: 'tools/add', blocking: true, result: true });
    assert.deepEqual(bound, { n: 5 });
    const overridden: Json = await ow.actions.invoke({
      name: 'tools/add',
      blocking: true,
      result: true,
      params: { step: 2, n: 1 },
    });
    assert.deepEqual(overridden, { n: 3 });
    const record: Json = await ow.actions.invoke({ name: '/_/tools/add', blocking: true });
    assertSchema(record, def('Activation'), 'invoke in a package');
    assert.equal(record.namespace, 'guest');
    assert.equal(annotation(record, 'path'), 'guest/tools/add');

    const listed: Json = await ow.actions.list();
    assert.ok(listed.some((a: Json) => a.namespace === 'guest/tools' && a.name === 'add'));

    const updated: Json = await ow.packages.update({
      name: 'tools',
      package: { parameters: [{ key: 'step', value: 7 }] },
    });
    assert.equal(updated.version, '0.0.2');
    assert.deepEqual(await ow.actions.invoke({ name: 'tools/add', blocking: true, result: true }), { n: 7 });

    // Not empty: 409 unless forced (then its actions go too).
    await assert.rejects(ow.packages.delete({ name: 'tools' }), (e: Json) => {
      assert.equal(e.statusCode, 409);
      assert.match(e.message, /Package not empty \(contains 1 entity\)/);
      return true;
    });
    // The client has no force flag: the API's ?force=true, as wsk sends it.
    const forced = await fetch(`${server.apiHost}/api/v1/namespaces/_/packages/tools?force=true`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(server.auth).toString('base64')}` },
    });
    assert.equal(forced.status, 200);
    assertSchema(await forced.json(), def('Package'), 'DELETE package');
    await assert.rejects(ow.packages.get({ name: 'tools' }), { statusCode: 404 });
    await assert.rejects(ow.actions.get({ name: 'tools/add' }), { statusCode: 404 });
    // An action in a package that does not exist.
    await assert.rejects(ow.actions.create({ name: 'nopkg/add', action: code(ADD) }), { statusCode: 404 });
  });

  it('runs a sequence: components in order, each output the next input, linked as OpenWhisk links them', async () => {
    await ow.packages.create({ name: 'seqpkg', package: { parameters: [{ key: 'step', value: 10 }] } });
    await ow.actions.create({ name: 'inc', action: code(ADD) });
    await ow.actions.create({ name: 'seqpkg/inc10', action: code(ADD) });
    const seq: Json = await ow.actions.create({
      name: 'chain',
      action: { exec: { kind: 'sequence', components: ['/guest/inc', '/guest/seqpkg/inc10', '/_/inc'] } },
    });
    assertSchema(seq, def('Action'), 'PUT sequence');
    assert.equal(seq.exec.kind, 'sequence');
    assert.deepEqual(seq.exec.components, ['/guest/inc', '/guest/seqpkg/inc10', '/guest/inc']);
    assert.equal(annotation(seq, 'exec'), 'sequence');

    const record: Json = await ow.actions.invoke({ name: 'chain', blocking: true, params: { n: 1 } });
    assertSchema(record, def('Activation'), 'sequence activation');
    // 1 + 1, + 10 (the package's step), + 1
    assert.deepEqual(record.response.result, { n: 13 });
    assert.equal(record.response.success, true);
    assert.equal(record.logs.length, 3, 'the logs list the components activation ids');
    assert.equal(annotation(record, 'topmost'), true);
    assert.equal(annotation(record, 'kind'), 'sequence');
    assert.equal(annotation(record, 'path'), 'guest/chain');
    assert.ok(annotation(record, 'limits'));
    let durationSum = 0;
    const names: string[] = [];
    for (const id of record.logs as string[]) {
      const component: Json = await ow.activations.get({ name: id });
      assertSchema(component, def('Activation'), 'component activation');
      assert.equal(component.cause, record.activationId);
      assert.equal(annotation(component, 'causedBy'), 'sequence');
      durationSum += component.duration;
      names.push(component.name);
    }
    assert.deepEqual(names, ['inc', 'inc10', 'inc']);
    assert.equal(record.duration, durationSum);

    // A failing component stops the sequence; its error is the sequence's.
    await ow.actions.create({ name: 'fail', action: code(FAIL) });
    await ow.actions.create({
      name: 'broken',
      action: { exec: { kind: 'sequence', components: ['/guest/inc', '/guest/fail', '/guest/inc'] } },
    });
    await assert.rejects(
      ow.actions.invoke({ name: 'broken', blocking: true, params: { n: 0 } }),
      (e: Json) => {
        assert.equal(e.statusCode, 502);
        assert.deepEqual(e.error.response.result, { error: 'no 1' });
        assert.equal(e.error.logs.length, 2);
        return true;
      },
    );

    // Components must exist; a sequence may not name itself.
    await assert.rejects(
      ow.actions.create({
        name: 'bad',
        action: { exec: { kind: 'sequence', components: ['/guest/nothing'] } },
      }),
      (e: Json) => e.statusCode === 400 && /Sequence component does not exist/.test(e.message),
    );
    await assert.rejects(
      ow.actions.update({
        name: 'chain',
        action: { exec: { kind: 'sequence', components: ['/guest/chain'] } },
      }),
      (e: Json) => e.statusCode === 400 && /may not refer to itself/.test(e.message),
    );
  });

  it('creates triggers and rules, fires one activation per active rule, enables and disables', async () => {
    await ow.actions.create({ name: 'echo', action: code(ECHO) });
    await ow.actions.create({ name: 'echo2', action: code(ECHO) });
    const trigger: Json = await ow.triggers.create({
      name: 'tick',
      trigger: { parameters: [{ key: 'from', value: 'trigger' }] },
    });
    assertSchema(trigger, def('Trigger'), 'PUT trigger');
    assert.equal(trigger.version, '0.0.1');

    // No rule yet: OpenWhisk answers 204 and records nothing.
    const none = await fetch(`${server.apiHost}/api/v1/namespaces/_/triggers/tick`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(server.auth).toString('base64')}` },
    });
    assert.equal(none.status, 204);
    assertNoContent(await ow.triggers.invoke({ name: 'tick' }));

    const rule: Json = await ow.rules.create({ name: 'tick-echo', trigger: 'tick', action: 'echo' });
    assertSchema(rule, def('Rule'), 'PUT rule');
    assert.equal(rule.status, 'active');
    assert.deepEqual(rule.trigger, { path: 'guest', name: 'tick' });
    assert.deepEqual(rule.action, { path: 'guest', name: 'echo' });
    await ow.rules.create({ name: 'tick-echo2', trigger: '/guest/tick', action: '/guest/echo2' });
    await assert.rejects(
      ow.rules.create({ name: 'orphan', trigger: 'nothing', action: 'echo' }),
      (e: Json) => e.statusCode === 400 && /trigger \/guest\/nothing does not exist/.test(e.message),
    );

    const rules: Json = await ow.rules.list();
    assertSchema(rules, arrayOf('RuleMeta'), 'GET rules');
    assert.equal(rules.length, 2);
    const triggers: Json = await ow.triggers.list();
    assertSchema(triggers, arrayOf('TriggerMeta'), 'GET triggers');
    const linked: Json = await ow.triggers.get({ name: 'tick' });
    assertSchema(linked, def('Trigger'), 'GET trigger');
    assert.deepEqual(linked.rules['guest/tick-echo'], {
      action: { path: 'guest', name: 'echo' },
      status: 'active',
    });

    const fired: Json = await ow.triggers.invoke({ name: 'tick', params: { n: 1 } });
    assertSchema(fired, def('ActivationId'), 'POST trigger');
    const record: Json = await eventually(() => ow.activations.get({ name: fired.activationId }));
    assertSchema(record, def('Activation'), 'trigger activation');
    assert.equal(record.name, 'tick');
    assert.deepEqual(record.response.result, { n: 1 });
    assert.equal(record.logs.length, 2, 'one log line per rule');
    const lines = (record.logs as string[]).map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.rule, l.action, l.statusCode, l.success]),
      [
        ['guest/tick-echo', 'guest/echo', 0, true],
        ['guest/tick-echo2', 'guest/echo2', 0, true],
      ],
    );
    for (const line of lines) {
      const ruleRun: Json = await eventually(() => ow.activations.get({ name: line.activationId }));
      assertSchema(ruleRun, def('Activation'), 'rule activation');
      // The trigger's parameters below the firing's payload.
      assert.deepEqual(ruleRun.response.result, { from: 'trigger', n: 1, seen: 1 });
    }

    // Disabled: no activation for that rule, a log line that says so.
    const disabled: Json = await ow.rules.disable({ name: 'tick-echo2' });
    assert.equal(disabled, 'OK');
    assert.equal(((await ow.rules.get({ name: 'tick-echo2' })) as Json).status, 'inactive');
    const once: Json = await ow.triggers.invoke({ name: 'tick' });
    const onceRecord: Json = await eventually(() => ow.activations.get({ name: once.activationId }));
    const onceLines = (onceRecord.logs as string[]).map((l) => JSON.parse(l));
    assert.equal(onceLines[0].success, true);
    assert.deepEqual(onceLines[1], {
      statusCode: 1,
      success: false,
      error: "Rule 'guest/tick-echo2' is inactive, action 'guest/echo2' was not activated.",
      rule: 'guest/tick-echo2',
      action: 'guest/echo2',
    });
    await ow.rules.disable({ name: 'tick-echo' });
    assertNoContent(await ow.triggers.invoke({ name: 'tick' }));
    await ow.rules.enable({ name: 'tick-echo' });
    assert.equal(((await ow.rules.get({ name: 'tick-echo' })) as Json).status, 'active');

    const deleted: Json = await ow.rules.delete({ name: 'tick-echo' });
    assertSchema(deleted, def('Rule'), 'DELETE rule');
    await ow.rules.delete({ name: 'tick-echo2' });
    const gone: Json = await ow.triggers.delete({ name: 'tick' });
    assertSchema(gone, def('Trigger'), 'DELETE trigger');
    await assert.rejects(ow.triggers.invoke({ name: 'tick' }), { statusCode: 404 });
  });

  it('fires a trigger periodically through the /whisk.system/alarms feed, until the feed is deleted', async () => {
    await ow.actions.create({ name: 'timer', action: code(ECHO) });
    await ow.triggers.create({
      name: 'every-second',
      trigger: { annotations: [{ key: 'feed', value: '/whisk.system/alarms/alarm' }] },
    });
    await ow.rules.create({ name: 'every-second-timer', trigger: 'every-second', action: 'timer' });
    const created: Json = await ow.feeds.create({
      name: '/whisk.system/alarms/alarm',
      trigger: 'every-second',
      params: { cron: '* * * * * *', trigger_payload: { tick: true } },
    });
    assert.equal(created.response.success, true);
    const firings = async () =>
      ((await ow.activations.list({ name: 'every-second', limit: 200 } as Json)) as Json[]).length;
    const until = Date.now() + 10_000;
    while ((await firings()) < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.ok((await firings()) >= 2, 'the alarm fired the trigger at least twice');
    const runs = (await ow.activations.list({ name: 'timer', limit: 200, docs: true } as Json)) as Json[];
    assert.ok(runs.length >= 1);
    assert.equal(runs[0].response.result.tick, true);

    await ow.feeds.delete({ name: '/whisk.system/alarms/alarm', trigger: 'every-second' });
    await new Promise((r) => setTimeout(r, 1100));
    const stopped = await firings();
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(await firings(), stopped, 'no firing after DELETE');

    await assert.rejects(
      ow.feeds.create({ name: '/whisk.system/alarms/alarm', trigger: 'every-second', params: { cron: 'x' } }),
      (e: Json) => e.statusCode === 502 && /cron 'x'/.test(JSON.stringify(e.error)),
    );
  });
});
