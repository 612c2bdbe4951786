/**
 * The embedded platform's OpenWhisk REST API: real HTTP on 127.0.0.1, process runtime, shapes
 * checked against OpenWhisk's own swagger (test/fixtures/openwhisk).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OpenWhiskServer, startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import { SWAGGER } from './helpers/openwhisk-swagger.js';
import { REPO_ROOT } from './helpers/paths.js';

type Dict = Record<string, unknown>;

type Definition = { required?: string[]; properties: Record<string, { type?: string }> };

/** Every required property of the definition is present, and typed properties have their JSON type. */
function assertShape(value: unknown, definition: string): void {
  const def = SWAGGER.definitions[definition] as Definition | undefined;
  assert.ok(def, `no definition ${definition}`);
  assert.ok(typeof value === 'object' && value !== null, `${definition}: not an object`);
  const v = value as Dict;
  for (const key of def.required ?? []) assert.ok(key in v, `${definition}: missing ${key}`);
  for (const [key, prop] of Object.entries(def.properties)) {
    if (!(key in v) || prop.type === undefined) continue;
    const actual = Array.isArray(v[key]) ? 'array' : typeof v[key];
    const expected = prop.type === 'integer' ? 'number' : prop.type;
    assert.equal(actual, expected, `${definition}.${key}: ${actual}, expected ${expected}`);
    if (prop.type === 'integer') assert.ok(Number.isInteger(v[key]), `${definition}.${key} not an integer`);
  }
}

function annotation(record: Dict, key: string): unknown {
  return (record.annotations as { key: string; value?: unknown }[]).find((a) => a.key === key)?.value;
}

function hasAnnotation(record: Dict, key: string): boolean {
  return (record.annotations as { key: string }[]).some((a) => a.key === key);
}

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field and against the swagger
  body: any;
  headers: Headers;
}

function client(apiHost: string, auth: string) {
  const authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  return async (
    method: string,
    path: string,
    body?: unknown,
    opts: { raw?: string; authorization?: string | null } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const a = opts.authorization === undefined ? authorization : opts.authorization;
    if (a !== null) headers.authorization = a;
    const res = await fetch(`${apiHost}/api/v1${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(30_000),
      ...(opts.raw !== undefined
        ? { body: opts.raw }
        : body !== undefined
          ? { body: JSON.stringify(body) }
          : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
}

const SUM = 'function main(p) { return { sum: p.a + p.b }; }';
const nodeAction = (code: string, extra: Dict = {}) => ({ exec: { kind: 'nodejs:20', code }, ...extra });

describe('OpenWhisk API of the embedded platform', { timeout: 120_000 }, () => {
  let server: OpenWhiskServer;
  let call: ReturnType<typeof client>;

  before(async () => {
    server = await startOpenWhiskServer({ port: 0, runtime: 'process', keepAliveMs: 60_000 });
    call = client(server.apiHost, server.auth);
  });
  after(async () => {
    await server.close();
    assert.equal(server.platform.stats().alive, 0);
  });

  it('listens on 127.0.0.1 with a generated UUID:KEY', () => {
    assert.match(server.apiHost, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.auth, /^[0-9a-f-]{36}:[A-Za-z0-9]{64}$/);
  });

  it('answers 401 with the error body for a missing or wrong key', async () => {
    const missing = await call('GET', '/namespaces/_/actions', undefined, { authorization: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error, 'The supplied authentication is invalid');
    assertShape(missing.body, 'ErrorMessage');
    const [uuid] = server.auth.split(':');
    const wrong = await call('GET', '/namespaces/_/actions', undefined, {
      authorization: `Basic ${Buffer.from(`${uuid}:wrongkey`).toString('base64')}`,
    });
    assert.equal(wrong.status, 401);
    assert.ok(!JSON.stringify(wrong.body).includes(server.auth.split(':')[1]!));
  });

  it('creates, gets, lists, refuses to overwrite, updates and deletes an action', async () => {
    const put = await call('PUT', '/namespaces/_/actions/crud', nodeAction(SUM, { limits: { memory: 128 } }));
    assert.equal(put.status, 200);
    assertShape(put.body, 'Action');
    assert.equal(put.body.namespace, 'guest');
    assert.equal(put.body.name, 'crud');
    assert.equal(put.body.version, '0.0.1');
    assert.equal(put.body.publish, false);
    assert.equal(put.body.exec.code, undefined);
    assert.deepEqual(put.body.limits, { timeout: 60_000, memory: 128, logs: 10, concurrency: 1 });

    const got = await call('GET', '/namespaces/_/actions/crud');
    assert.equal(got.status, 200);
    assertShape(got.body, 'Action');
    assert.equal(got.body.exec.code, SUM);
    assert.equal(got.body.exec.kind, 'nodejs:20');

    const conflict = await call('PUT', '/namespaces/_/actions/crud', nodeAction(SUM));
    assert.equal(conflict.status, 409);
    assertShape(conflict.body, 'ErrorMessage');

    const updated = await call('PUT', '/namespaces/_/actions/crud?overwrite=true', nodeAction(SUM));
    assert.equal(updated.status, 200);
    assert.equal(updated.body.version, '0.0.2');

    const list = await call('GET', '/namespaces/_/actions');
    assert.equal(list.status, 200);
    assert.ok(list.body.some((a: Dict) => a.name === 'crud'));
    for (const a of list.body) assertShape(a, 'EntityBrief');

    const del = await call('DELETE', '/namespaces/_/actions/crud');
    assert.equal(del.status, 200);
    assert.equal(del.body.name, 'crud');
    const gone = await call('GET', '/namespaces/_/actions/crud');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error, 'The requested resource does not exist.');
    assertShape(gone.body, 'ErrorMessage');
    assert.equal((await call('DELETE', '/namespaces/_/actions/crud')).status, 404);
    assert.equal((await call('POST', '/namespaces/_/actions/crud?blocking=true', {})).status, 404);
  });

  it('answers 400 for bad JSON, a missing exec or code, and an unsupported kind', async () => {
    const bad = await call('PUT', '/namespaces/_/actions/bad', undefined, { raw: '{"exec": ' });
    assert.equal(bad.status, 400);
    assertShape(bad.body, 'ErrorMessage');
    assert.equal((await call('PUT', '/namespaces/_/actions/bad', {})).status, 400);
    assert.equal(
      (await call('PUT', '/namespaces/_/actions/bad', { exec: { kind: 'nodejs:20' } })).status,
      400,
    );
    const python = await call('PUT', '/namespaces/_/actions/bad', {
      exec: { kind: 'python:3.11', code: 'x' },
    });
    assert.equal(python.status, 400);
    assert.equal(
      (await call('PUT', '/namespaces/_/actions/bad', nodeAction(SUM, { limits: { memory: 1 } }))).status,
      400,
    );
    assert.equal((await call('GET', '/namespaces/_/actions/bad')).status, 404);
    const badInvoke = await call('POST', '/namespaces/_/actions/bad?blocking=true', undefined, { raw: '[1' });
    assert.equal(badInvoke.status, 400);
  });

  it('invokes blocking with default parameters merged, cold then warm', async () => {
    const put = await call(
      'PUT',
      '/namespaces/_/actions/sum',
      nodeAction(SUM, {
        parameters: [
          { key: 'a', value: 1 },
          { key: 'b', value: 2 },
        ],
      }),
    );
    assert.equal(put.status, 200);
    const cold = await call('POST', '/namespaces/_/actions/sum?blocking=true', { b: 40 });
    assert.equal(cold.status, 200);
    assertShape(cold.body, 'Activation');
    assertShape(cold.body.response, 'ActivationResult');
    assert.match(cold.body.activationId, /^[0-9a-f]{32}$/);
    assert.equal(cold.headers.get('x-openwhisk-activation-id'), cold.body.activationId);
    assert.deepEqual(cold.body.response.result, { sum: 41 });
    assert.equal(cold.body.response.status, 'success');
    assert.equal(cold.body.response.success, true);
    assert.equal(cold.body.response.statusCode, 0);
    assert.equal(cold.body.namespace, 'guest');
    assert.equal(cold.body.subject, 'guest');
    assert.equal(cold.body.duration, cold.body.end - cold.body.start);
    assert.deepEqual(cold.body.logs, []);
    assert.equal(annotation(cold.body, 'path'), 'guest/sum');
    assert.equal(annotation(cold.body, 'kind'), 'nodejs:20');
    assert.deepEqual(annotation(cold.body, 'limits'), {
      timeout: 60_000,
      memory: 256,
      logs: 10,
      concurrency: 1,
    });
    assert.equal(typeof annotation(cold.body, 'waitTime'), 'number');
    assert.equal(typeof annotation(cold.body, 'initTime'), 'number');
    const instance = annotation(cold.body, 'instance');
    assert.equal(typeof instance, 'string');

    const warm = await call('POST', '/namespaces/_/actions/sum?blocking=true', { a: 5, b: 6 });
    assert.equal(warm.status, 200);
    assert.deepEqual(warm.body.response.result, { sum: 11 });
    assert.equal(hasAnnotation(warm.body, 'initTime'), false);
    assert.equal(annotation(warm.body, 'instance'), instance);

    const resultOnly = await call('POST', '/namespaces/_/actions/sum?blocking=true&result=true', { a: 2 });
    assert.equal(resultOnly.status, 200);
    assert.deepEqual(resultOnly.body, { sum: 4 });

    const record = await call('GET', `/namespaces/_/activations/${cold.body.activationId}`);
    assert.equal(record.status, 200);
    assert.deepEqual(record.body, cold.body);
    const result = await call('GET', `/namespaces/_/activations/${cold.body.activationId}/result`);
    assert.deepEqual(result.body.result, { sum: 41 });
    assert.deepEqual((await call('GET', `/namespaces/_/activations/${cold.body.activationId}/logs`)).body, {
      logs: [],
    });
  });

  it("keeps each activation's console output as its logs, and runs concurrent actions on one instance", async () => {
    const code =
      'async function main(p) { console.log("got " + p.n); await new Promise((r) => setTimeout(r, 200)); return { n: p.n }; }';
    assert.equal((await call('PUT', '/namespaces/_/actions/talker', nodeAction(code))).status, 200);
    const one = await call('POST', '/namespaces/_/actions/talker?blocking=true', { n: 1 });
    assert.equal(one.status, 200);
    assert.equal(one.body.logs.length, 1);
    assert.match(one.body.logs[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z stdout: got 1$/);
    const logs = await call('GET', `/namespaces/_/activations/${one.body.activationId}/logs`);
    assert.deepEqual(logs.body, { logs: one.body.logs });

    const put = await call(
      'PUT',
      '/namespaces/_/actions/shared',
      nodeAction(code, { limits: { concurrency: 3 } }),
    );
    assert.equal(put.body.limits.concurrency, 3);
    const runs = await Promise.all(
      [1, 2, 3].map((n) => call('POST', '/namespaces/_/actions/shared?blocking=true', { n })),
    );
    assert.deepEqual(
      runs.map((r) => r.body.response.result.n),
      [1, 2, 3],
    );
    assert.equal(new Set(runs.map((r) => annotation(r.body, 'instance'))).size, 1);
  });

  it('answers 502 application error when the action throws or returns {error}, and keeps serving', async () => {
    await call(
      'PUT',
      '/namespaces/_/actions/thrower',
      nodeAction('function main(p) { throw new Error("boom"); }'),
    );
    const thrown = await call('POST', '/namespaces/_/actions/thrower?blocking=true', {});
    assert.equal(thrown.status, 502);
    assertShape(thrown.body, 'Activation');
    assert.equal(thrown.body.response.status, 'application error');
    assert.equal(thrown.body.response.success, false);
    assert.equal(thrown.body.response.statusCode, 1);
    assert.match(String(thrown.body.response.result.error), /boom/);

    await call(
      'PUT',
      '/namespaces/_/actions/errs',
      nodeAction('function main() { return { error: "nope" }; }'),
    );
    const returned = await call('POST', '/namespaces/_/actions/errs?blocking=true&result=true', {});
    assert.equal(returned.status, 502);
    assert.deepEqual(returned.body, { error: 'nope' });

    const again = await call('POST', '/namespaces/_/actions/thrower?blocking=true', {});
    assert.equal(again.status, 502);
    assert.equal(hasAnnotation(again.body, 'initTime'), false, 'the instance survived the throw');
    assert.equal((await call('POST', '/namespaces/_/actions/sum?blocking=true&result=true', {})).body.sum, 3);
  });

  it('answers 502 action developer error when the code does not load, or passes its time limit', async () => {
    await call('PUT', '/namespaces/_/actions/broken', nodeAction('function main( {'));
    const broken = await call('POST', '/namespaces/_/actions/broken?blocking=true', {});
    assert.equal(broken.status, 502);
    assertShape(broken.body, 'Activation');
    assert.equal(broken.body.response.status, 'action developer error');
    assert.equal(broken.body.response.statusCode, 2);
    assert.equal(broken.body.response.success, false);

    await call(
      'PUT',
      '/namespaces/_/actions/slow',
      nodeAction('async function main() { await new Promise((r) => setTimeout(r, 5000)); return {}; }', {
        limits: { timeout: 300 },
      }),
    );
    const slow = await call('POST', '/namespaces/_/actions/slow?blocking=true', {});
    assert.equal(slow.status, 502);
    assert.equal(slow.body.response.status, 'action developer error');
    assert.match(slow.body.response.result.error, /exceeded its time limits of 300 milliseconds/);
    assert.equal(annotation(slow.body, 'timeout'), true);
    assert.ok(slow.body.duration >= 250 && slow.body.duration < 3000, `duration ${slow.body.duration}`);
  });

  it('answers 202 {activationId} for a non-blocking invoke; the record follows', async () => {
    const accepted = await call('POST', '/namespaces/_/actions/sum', { a: 10, b: 10 });
    assert.equal(accepted.status, 202);
    assertShape(accepted.body, 'ActivationId');
    const id = accepted.body.activationId as string;
    let record: Answer | undefined;
    for (let i = 0; i < 200; i++) {
      record = await call('GET', `/namespaces/_/activations/${id}`);
      if (record.status === 200) break;
      assert.equal(record.status, 404);
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(record?.status, 200);
    assert.deepEqual(record?.body.response.result, { sum: 20 });
    assert.equal((await call('GET', `/namespaces/_/activations/${'0'.repeat(32)}`)).status, 404);
  });

  it('lists activations newest first, with limit, skip, since, name and docs', async () => {
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await call('POST', '/namespaces/_/actions/sum?blocking=true', { a: i })).body.activationId);
      await new Promise((r) => setTimeout(r, 5));
    }
    const two = await call('GET', '/namespaces/_/activations?limit=2');
    assert.equal(two.status, 200);
    assert.equal(two.body.length, 2);
    for (const a of two.body) {
      assertShape(a, 'ActivationBrief');
      assert.equal(a.response, undefined);
    }
    assert.deepEqual(
      two.body.map((a: Dict) => a.activationId),
      [ids[2], ids[1]],
    );
    const since = await call('GET', `/namespaces/_/activations?since=${t0}&name=sum`);
    assert.deepEqual(
      since.body.map((a: Dict) => a.activationId),
      [...ids].reverse(),
    );
    const skip = await call('GET', `/namespaces/_/activations?since=${t0}&skip=1&limit=1&docs=true`);
    assert.equal(skip.body[0].activationId, ids[1]);
    assertShape(skip.body[0], 'Activation');
    const all = await call('GET', '/namespaces/_/activations?limit=200');
    const starts = all.body.map((a: Dict) => a.start as number);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => b - a),
    );
    assert.equal((await call('GET', '/namespaces/_/activations?limit=201')).status, 400);
    assert.equal((await call('GET', '/namespaces/_/activations?upto=1')).body.length, 0);
  });

  it('keeps namespaces apart', async () => {
    assert.equal(
      (await call('PUT', '/namespaces/alpha/actions/same', nodeAction('function main(){return {ns:"a"}}')))
        .status,
      200,
    );
    assert.equal(
      (await call('PUT', '/namespaces/beta/actions/same', nodeAction('function main(){return {ns:"b"}}')))
        .status,
      200,
    );
    assert.equal((await call('GET', '/namespaces/_/actions/same')).status, 404);
    const a = await call('POST', '/namespaces/alpha/actions/same?blocking=true', {});
    const b = await call('POST', '/namespaces/beta/actions/same?blocking=true&result=true', {});
    assert.deepEqual(a.body.response.result, { ns: 'a' });
    assert.equal(a.body.namespace, 'alpha');
    assert.deepEqual(b.body, { ns: 'b' });
    assert.deepEqual(
      (await call('GET', '/namespaces/alpha/actions')).body.map((x: Dict) => x.name),
      ['same'],
    );
    assert.equal((await call('GET', `/namespaces/beta/activations/${a.body.activationId}`)).status, 404);
    assert.equal((await call('GET', `/namespaces/alpha/activations/${a.body.activationId}`)).status, 200);
    assert.ok((await call('GET', '/namespaces/_/activations?name=same')).body.length === 0);
  });

  it('measures invoke latency through the API (cold and warm)', async () => {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      await call('PUT', `/namespaces/_/actions/lat${i}`, nodeAction('function main(){return {ok:true}}'));
      let t = performance.now();
      const c = await call('POST', `/namespaces/_/actions/lat${i}?blocking=true`, {});
      cold.push(performance.now() - t);
      assert.ok(hasAnnotation(c.body, 'initTime'));
      t = performance.now();
      const w = await call('POST', `/namespaces/_/actions/lat${i}?blocking=true`, {});
      warm.push(performance.now() - t);
      assert.ok(!hasAnnotation(w.body, 'initTime'));
    }
    const line = `invoke latency through the API: cold median ${median(cold).toFixed(1)} ms, warm median ${median(warm).toFixed(1)} ms`;
    process.stderr.write(`# ${line}\n`);
    assert.ok(median(warm) < median(cold));
  });
});

describe('faasload platform start', { timeout: 60_000 }, () => {
  it('serves the API until SIGINT, then removes its instances and exits 0', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'faasload.js'), 'platform', 'start', '--port', '0', '--keep-alive', '1m'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const killer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const printed = await new Promise<{ apiHost: string; auth: string }>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d;
        const host = /^apihost: (\S+)$/m.exec(stdout);
        const auth = /^auth: (\S+)$/m.exec(stdout);
        if (host && auth) resolve({ apiHost: host[1]!, auth: auth[1]! });
      });
      void exited.then((code) => reject(new Error(`exited ${code} before printing: ${stderr}`)));
    });
    assert.match(stdout, /wsk property set --apihost http:\/\/127\.0\.0\.1:\d+ --auth '/);
    const call = client(printed.apiHost, printed.auth);
    assert.equal((await call('PUT', '/namespaces/_/actions/hello', nodeAction(SUM))).status, 200);
    const r = await call('POST', '/namespaces/_/actions/hello?blocking=true&result=true', { a: 1, b: 2 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { sum: 3 });
    child.kill('SIGINT');
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 0, stderr);
  });

  it('exits 2 on bad flags', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'faasload.js'), 'platform', 'start', '--port', '-1'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /--port/);
  });
});
