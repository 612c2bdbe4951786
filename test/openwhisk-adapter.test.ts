/**
 * The OpenWhisk platform adapter against a small fake OpenWhisk (node:http on 127.0.0.1) that
 * follows the controller's swagger (test/fixtures/openwhisk/apiv1swagger.json): every request is
 * checked against the swagger's paths, query parameters and body definitions, and every activation
 * record the fake answers with has the swagger's required Activation fields. Also readWskProps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { FaasloadError } from '../src/errors.js';
import {
  OpenWhiskPlatform,
  type OpenWhiskPlatformOptions,
  parseWskProps,
  readWskProps,
} from '../src/platforms/openwhisk/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';
import { epochUs } from '../src/util/time.js';
import { SYNTHETIC_ACTION_CODE, SYNTHETIC_ACTION_MAIN } from '../src/workload/synthetic-action.js';
import { checkRequest, validate } from './helpers/openwhisk-swagger.js';

const TEST = { timeout: 15_000 };
const AUTH =
  '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP';
const KEY = AUTH.split(':')[1]!;
const never = new AbortController().signal;

function arrival(
  seq: number,
  durationMs?: number,
  memoryMb?: number,
  params?: Record<string, string>,
): Arrival {
  return { seq, fn: 0, atUs: 0, durationMs, memoryMb, ...(params ? { params } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The fake OpenWhisk.

interface Received {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
  atUs: number;
}

interface Answer {
  status: number;
  body?: unknown;
}

interface FakeOptions {
  /** Answer to an invocation POST (default: a record, cold on an action's first call). */
  invoke?: (name: string, params: Record<string, unknown>, fake: Fake, query: URLSearchParams) => Answer;
  /** How many GETs of an activation answer 404 before its record (default 0). */
  pollMisses?: number;
  /** Answer to a PUT instead of storing the action, when it gives one. */
  put?: (name: string) => Answer | undefined;
  /** Answer 401 to everything. */
  refuse?: boolean;
}

interface Fake {
  base: string;
  received: Received[];
  problems: string[];
  actions: Map<string, Record<string, unknown>>;
  /** Records stored for GET /activations/{id}; gets counts the GETs of each. */
  activations: Map<string, Record<string, unknown>>;
  gets: Map<string, number>;
  calls: Map<string, number>;
  close(): Promise<void>;
  record(
    name: string,
    opts: { cold: boolean; success?: boolean; status?: string; result?: unknown; timeout?: boolean },
  ): Record<string, unknown>;
}

const closers: (() => Promise<void>)[] = [];
const fakes: Fake[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const f of fakes.splice(0))
    assert.deepEqual(f.problems, [], 'requests and answers follow the swagger');
});

let nextId = 1;

async function fake(options: FakeOptions = {}): Promise<Fake> {
  const received: Received[] = [];
  const problems: string[] = [];
  const actions = new Map<string, Record<string, unknown>>();
  const activations = new Map<string, Record<string, unknown>>();
  const gets = new Map<string, number>();
  const calls = new Map<string, number>();
  const record: Fake['record'] = (name, o) => {
    const id = (nextId++).toString(16).padStart(32, '0');
    const start = Date.now();
    const annotations: { key: string; value: unknown }[] = [
      { key: 'path', value: `guest/${name}` },
      { key: 'waitTime', value: 7 },
      { key: 'kind', value: 'nodejs:20' },
      { key: 'limits', value: { concurrency: 1, logs: 10, memory: 256, timeout: 60000 } },
      { key: 'instance', value: `inst-${name}` },
    ];
    if (o.cold) annotations.push({ key: 'initTime', value: 40 });
    if (o.timeout) annotations.push({ key: 'timeout', value: true });
    const success = o.success ?? true;
    const rec = {
      namespace: 'guest',
      name,
      version: '0.0.1',
      publish: false,
      subject: 'guest',
      activationId: id,
      start,
      end: start + (o.cold ? 55 : 15),
      duration: o.cold ? 55 : 15,
      statusCode: success ? 0 : 1,
      response: {
        status: o.status ?? (success ? 'success' : 'application error'),
        success,
        result: o.result ?? { execMs: 15, cpuMs: 14.5, memoryMb: 0, pid: 42 },
        size: 40,
      },
      logs: [],
      annotations,
    };
    problems.push(...validate(rec, { $ref: '#/definitions/Activation' }, 'answered record'));
    activations.set(id, rec);
    return rec;
  };
  const self: Fake = {
    base: '',
    received,
    problems,
    actions,
    activations,
    gets,
    calls,
    record,
    close: async () => undefined,
  };

  const answer = (r: Received): Answer => {
    const expected = `Basic ${Buffer.from(AUTH).toString('base64')}`;
    if (options.refuse || r.headers.authorization !== expected) {
      return { status: 401, body: { error: 'The supplied authentication is invalid.', code: 'x' } };
    }
    problems.push(...checkRequest(r.method, r.url, r.headers, r.body));
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/(actions|activations)\/(.+)$/.exec(r.url.pathname);
    if (!m) return { status: 404, body: { error: 'The requested resource does not exist.' } };
    const [, , what, rawName] = m;
    const name = decodeURIComponent(rawName!);
    if (what === 'activations') {
      const n = (gets.get(name) ?? 0) + 1;
      gets.set(name, n);
      const rec = activations.get(name);
      if (!rec || n <= (options.pollMisses ?? 0))
        return { status: 404, body: { error: 'not found', code: 'x' } };
      return { status: 200, body: rec };
    }
    if (r.method === 'PUT') {
      const refused = options.put?.(name);
      if (refused) return refused;
      actions.set(name, JSON.parse(r.body) as Record<string, unknown>);
      return {
        status: 200,
        body: { ...(JSON.parse(r.body) as object), namespace: 'guest', version: '0.0.1' },
      };
    }
    if (r.method === 'DELETE') {
      if (!actions.delete(name))
        return { status: 404, body: { error: 'The requested resource does not exist.' } };
      return { status: 200, body: {} };
    }
    if (r.method === 'POST') {
      if (!actions.has(name))
        return { status: 404, body: { error: 'The requested resource does not exist.' } };
      const n = (calls.get(name) ?? 0) + 1;
      calls.set(name, n);
      const params = JSON.parse(r.body || '{}') as Record<string, unknown>;
      if (options.invoke) return options.invoke(name, params, self, r.url.searchParams);
      const rec = record(name, { cold: n === 1 });
      if (r.url.searchParams.get('blocking') !== 'true')
        return { status: 202, body: { activationId: rec.activationId } };
      return { status: 200, body: rec };
    }
    return { status: 405 };
  };

  const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
    const atUs = epochUs();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method!,
        url: new URL(req.url!, 'http://fake'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        atUs,
      };
      received.push(r);
      const a = answer(r);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  self.close = async () => {
    srv.closeAllConnections();
    if (srv.listening) await new Promise((done) => srv.close(done));
  };
  closers.push(() => self.close());
  self.base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  fakes.push(self);
  return self;
}

function platform(f: Fake, options: Partial<OpenWhiskPlatformOptions> = {}): OpenWhiskPlatform {
  const p = new OpenWhiskPlatform({ apiHost: f.base, auth: AUTH, pollIntervalMs: 5, ...options });
  closers.push(() => p.teardown());
  return p;
}

const F1: FunctionSpec = { id: 'app/f1', name: 'f1', memoryMb: 256 };

// ---------------------------------------------------------------------------------------------

describe('OpenWhisk platform: deploy', () => {
  test('PUTs every action with overwrite, its code, main, kind, memory and annotations', TEST, async () => {
    const f = await fake();
    const p = platform(f);
    const custom: FunctionSpec = {
      id: 'u/a',
      name: 'pkg-act',
      action: { code: 'function go(){return {}}', main: 'go' },
    };
    await p.deploy([F1, { id: 'app/f2', name: 'f2', memoryMb: 64.5 }, custom], never);
    const puts = f.received.filter((r) => r.method === 'PUT');
    assert.equal(puts.length, 3);
    for (const r of puts) {
      assert.equal(r.url.searchParams.get('overwrite'), 'true');
      assert.match(r.url.pathname, /^\/api\/v1\/namespaces\/_\/actions\/[a-z0-9-]+$/);
    }
    const a1 = f.actions.get('f1') as {
      exec: Record<string, string>;
      limits: { memory: number };
      annotations: unknown[];
    };
    assert.deepEqual(a1.exec, {
      kind: 'nodejs:20',
      code: SYNTHETIC_ACTION_CODE,
      main: SYNTHETIC_ACTION_MAIN,
    });
    assert.equal(a1.limits.memory, 256);
    assert.deepEqual(a1.annotations.slice(0, 2), [
      { key: 'faasload', value: true },
      { key: 'faasload-function', value: 'app/f1' },
    ]);
    assert.equal((f.actions.get('f2') as { limits: { memory: number } }).limits.memory, 128);
    assert.equal(p.notices.length, 1);
    assert.match(p.notices[0]!, /less than 128 MB.*64\.5 MB.*128 MB/);
    const a3 = f.actions.get('pkg-act') as { exec: Record<string, string>; limits?: unknown };
    assert.deepEqual(a3.exec, { kind: 'nodejs:20', code: 'function go(){return {}}', main: 'go' });
    assert.equal(a3.limits, undefined, 'no memory in the trace: OpenWhisk default');
  });

  test('a namespace and an exec kind are used as given', TEST, async () => {
    const f = await fake();
    const p = platform(f, { namespace: 'guest', kind: 'nodejs:18' });
    await p.deploy([F1], never);
    assert.equal(f.received[0]!.url.pathname, '/api/v1/namespaces/guest/actions/f1');
    assert.equal((f.actions.get('f1') as { exec: { kind: string } }).exec.kind, 'nodejs:18');
  });

  test('a refused PUT is E_PLATFORM naming the action, the status and the answer', TEST, async () => {
    const f = await fake({
      put: (name) =>
        name === 'big'
          ? { status: 400, body: { error: 'memory 4096 MB exceeds allowed threshold', code: 'x' } }
          : undefined,
    });
    const p = platform(f, { deployConcurrency: 1 });
    const fns = [F1, { id: 'b', name: 'big', memoryMb: 4096 }, { id: 'c', name: 'after' }];
    await assert.rejects(p.deploy(fns, never), (e: unknown) => {
      assert.ok(e instanceof FaasloadError && e.code === 'E_PLATFORM');
      assert.match(
        e.message,
        /deploying action 'big' failed: HTTP 400: memory 4096 MB exceeds allowed threshold/,
      );
      return true;
    });
    assert.deepEqual([...f.actions.keys()], ['f1'], 'no PUT after the first failure');
    await p.teardown();
    assert.deepEqual(
      f.received.filter((r) => r.method === 'DELETE').map((r) => r.url.pathname),
      ['/api/v1/namespaces/_/actions/f1'],
      'teardown deletes what was created',
    );
  });

  test('a 401 is E_PLATFORM saying the key was refused, without the key', TEST, async () => {
    const f = await fake({ refuse: true });
    const p = platform(f);
    await assert.rejects(p.deploy([F1], never), (e: unknown) => {
      assert.ok(e instanceof FaasloadError);
      assert.equal(e.code, 'E_PLATFORM');
      assert.match(e.message, /refused the API key/);
      assert.match(e.message, new RegExp(f.base.replace(/[.]/g, '\\.')));
      assert.ok(
        !e.message.includes(KEY) && !e.message.includes(AUTH.split(':')[0]!),
        'no key in the message',
      );
      return true;
    });
    const r = await p.invoke(F1, arrival(0), never);
    assert.equal(r.outcome, 'error');
    assert.equal(r.httpStatus, 401);
    assert.match(r.error!, /refused the API key/);
    assert.ok(!r.error!.includes(KEY));
  });

  test('an unreachable host is E_PLATFORM naming the host', TEST, async () => {
    const srv = createServer();
    await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((done) => srv.close(done));
    const p = new OpenWhiskPlatform({ apiHost: `http://user:pw@127.0.0.1:${port}`, auth: AUTH });
    closers.push(() => p.teardown());
    assert.equal(p.address, `http://127.0.0.1:${port}`, 'no credentials in the address');
    await assert.rejects(p.deploy([F1], never), (e: unknown) => {
      assert.ok(e instanceof FaasloadError);
      assert.equal(e.code, 'E_PLATFORM');
      assert.match(e.message, new RegExp(`cannot reach OpenWhisk at http://127\\.0\\.0\\.1:${port}`));
      assert.ok(!e.message.includes(KEY));
      return true;
    });
    const r = await p.invoke(F1, arrival(0), never);
    assert.equal(r.outcome, 'error');
    assert.match(r.error!, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  test('invalid options are one E_USAGE error that never shows the key', () => {
    assert.throws(
      () => new OpenWhiskPlatform({ apiHost: 'ftp://x', auth: 'nocolon', connections: 0 }),
      (e: unknown) => {
        assert.ok(e instanceof FaasloadError && e.code === 'E_USAGE');
        assert.match(e.message, /apiHost.*auth.*connections/);
        assert.ok(!e.message.includes('nocolon'));
        return true;
      },
    );
    const p = new OpenWhiskPlatform({ apiHost: 'ow.example.org:8443/prefix/', auth: AUTH });
    assert.equal(p.address, 'https://ow.example.org:8443/prefix', 'https assumed, as the wsk CLI does');
    assert.equal(p.actionPath('pkg/a b'), '/prefix/api/v1/namespaces/_/actions/pkg/a%20b');
    return p.teardown();
  });
});

describe('OpenWhisk platform: invoke', () => {
  test('blocking: the activation record is the row (cold with initTime, warm without)', TEST, async () => {
    const f = await fake();
    const p = platform(f);
    await p.deploy([F1], never);
    const before = epochUs();
    const cold = await p.invoke(F1, arrival(0, 20, 64, { input: 'x.jpg' }), never);
    const warm = await p.invoke(F1, arrival(1), never);
    const posts = f.received.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 2);
    assert.equal(posts[0]!.url.search, '?blocking=true');
    assert.deepEqual(JSON.parse(posts[0]!.body), { input: 'x.jpg', durationMs: 20, memoryMb: 64 });
    assert.deepEqual(JSON.parse(posts[1]!.body), { durationMs: 0, memoryMb: 0 });
    const [rec0, rec1] = [...f.activations.values()] as { activationId: string }[];
    assert.deepEqual(
      { ...cold, sentAtUs: 0, endedAtUs: 0 },
      {
        outcome: 'ok',
        sentAtUs: 0,
        endedAtUs: 0,
        httpStatus: 200,
        activationId: rec0!.activationId,
        coldStart: true,
        waitMs: 7,
        initMs: 40,
        execMs: 15,
        instanceId: 'inst-f1',
        cpuMs: 14.5,
        // The action's answer (response.result), which generate reads its targets from.
        result: { cpuMs: 14.5, execMs: 15, memoryMb: 0, pid: 42 },
      },
    );
    assert.deepEqual(
      { ...warm, sentAtUs: 0, endedAtUs: 0 },
      {
        outcome: 'ok',
        sentAtUs: 0,
        endedAtUs: 0,
        httpStatus: 200,
        activationId: rec1!.activationId,
        coldStart: false,
        waitMs: 7,
        execMs: 15,
        instanceId: 'inst-f1',
        cpuMs: 14.5,
        // The action's answer (response.result), which generate reads its targets from.
        result: { cpuMs: 14.5, execMs: 15, memoryMb: 0, pid: 42 },
      },
    );
    assert.ok(before <= cold.sentAtUs && cold.sentAtUs <= posts[0]!.atUs && posts[0]!.atUs <= cold.endedAtUs);
    assert.ok(cold.endedAtUs <= warm.sentAtUs && warm.sentAtUs <= posts[1]!.atUs);
  });

  test(
    "an application error is 'error' with the status and result.error; a timed-out activation is 'timeout'",
    TEST,
    async () => {
      const f = await fake({
        invoke: (name, params, fk) =>
          params.durationMs === 1
            ? {
                status: 502,
                body: fk.record(name, { cold: false, success: false, result: { error: 'boom' } }),
              }
            : {
                status: 502,
                body: fk.record(name, {
                  cold: false,
                  success: false,
                  status: 'action developer error',
                  timeout: true,
                  result: { error: 'The action exceeded its time limits of 100 milliseconds.' },
                }),
              },
      });
      const p = platform(f);
      await p.deploy([F1], never);
      const r = await p.invoke(F1, arrival(0, 1), never);
      assert.equal(r.outcome, 'error');
      assert.equal(r.httpStatus, 502);
      assert.equal(r.error, 'application error: boom');
      assert.ok(r.activationId);
      const t = await p.invoke(F1, arrival(1, 2), never);
      assert.equal(t.outcome, 'timeout');
      assert.match(t.error!, /^action developer error: The action exceeded its time limits/);
    },
  );

  test('an unknown action and a 429 are errors with the status and the message', TEST, async () => {
    const f = await fake({
      invoke: () => ({ status: 429, body: { error: 'Too many requests in the last minute', code: 'x' } }),
    });
    const p = platform(f);
    const missing = await p.invoke(F1, arrival(0), never);
    assert.equal(missing.outcome, 'error');
    assert.equal(missing.httpStatus, 404);
    assert.match(missing.error!, /^HTTP 404: The requested resource does not exist/);
    await p.deploy([F1], never);
    const busy = await p.invoke(F1, arrival(1), never);
    assert.deepEqual(
      [busy.outcome, busy.httpStatus, busy.error],
      ['error', 429, 'HTTP 429: Too many requests in the last minute'],
    );
  });

  test('a 202 (blocking call past its wait) is polled until the record arrives', TEST, async () => {
    const f = await fake({
      pollMisses: 2,
      invoke: (name, _params, fk) => ({
        status: 202,
        body: { activationId: fk.record(name, { cold: true }).activationId },
      }),
    });
    const p = platform(f);
    await p.deploy([F1], never);
    const r = await p.invoke(F1, arrival(0), never);
    const id = [...f.activations.keys()][0]!;
    assert.equal(r.outcome, 'ok');
    assert.equal(r.httpStatus, 202, "the POST's status");
    assert.equal(r.activationId, id);
    assert.equal(r.coldStart, true);
    assert.equal(r.initMs, 40);
    assert.equal(f.gets.get(id), 3, 'two 404s, then the record');
    const polls = f.received.filter((x) => x.method === 'GET');
    assert.equal(polls[0]!.url.pathname, `/api/v1/namespaces/_/activations/${id}`);
    const post = f.received.find((x) => x.method === 'POST')!;
    assert.ok(r.sentAtUs <= post.atUs, 'sentAtUs is the POST');
    assert.ok(r.endedAtUs >= polls[2]!.atUs, 'endedAtUs is when the record arrived');
  });

  test(
    "non-blocking mode: blocking=false, then the record is polled; none in time is 'timeout'",
    TEST,
    async () => {
      const f = await fake({ pollMisses: 1 });
      const p = platform(f, { blocking: false });
      await p.deploy([F1], never);
      const r = await p.invoke(F1, arrival(0, 3, 1), never);
      const post = f.received.find((x) => x.method === 'POST')!;
      assert.equal(post.url.searchParams.get('blocking'), 'false');
      assert.equal(r.outcome, 'ok');
      assert.equal(r.httpStatus, 202);
      assert.equal(r.activationId, [...f.activations.keys()][0]);

      const g = await fake({ pollMisses: 1_000_000 });
      const q = platform(g, { blocking: false, invokeTimeoutMs: 300 });
      await q.deploy([F1], never);
      const t0 = performance.now();
      const t = await q.invoke(F1, arrival(0), never);
      const took = performance.now() - t0;
      assert.equal(t.outcome, 'timeout');
      assert.equal(t.activationId, [...g.activations.keys()][0]);
      assert.match(t.error!, /no activation record within 300 ms/);
      assert.ok(took >= 290 && took < 2_000, `took ${took} ms`);
      assert.ok((g.gets.values().next().value ?? 0) >= 3, 'polled with back-off, several times');
    },
  );

  test("an abort while polling is 'error' aborted; before sending, 'cancelled'", TEST, async () => {
    const f = await fake({ pollMisses: 1_000_000 });
    const p = platform(f, { blocking: false });
    await p.deploy([F1], never);
    const ac = new AbortController();
    const pending = p.invoke(F1, arrival(0), ac.signal);
    setTimeout(() => ac.abort(), 50);
    const r = await pending;
    assert.equal(r.outcome, 'error');
    assert.equal(r.error, 'aborted');
    const c = await p.invoke(F1, arrival(1), ac.signal);
    assert.equal(c.outcome, 'cancelled');
  });
});

describe('OpenWhisk platform: teardown', () => {
  test('deletes the actions it created (404 ignored), then invoke answers error', TEST, async () => {
    const f = await fake();
    const p = platform(f);
    await p.deploy([F1, { id: 'app/f2', name: 'f2' }], never);
    f.actions.delete('f2'); // someone else removed it: a 404 at teardown
    await p.teardown();
    const deletes = f.received
      .filter((r) => r.method === 'DELETE')
      .map((r) => r.url.pathname)
      .sort();
    assert.deepEqual(deletes, ['/api/v1/namespaces/_/actions/f1', '/api/v1/namespaces/_/actions/f2']);
    assert.equal(f.actions.size, 0);
    assert.deepEqual(p.notices, []);
    const r = await p.invoke(F1, arrival(0), never);
    assert.equal(r.outcome, 'error');
    await assert.rejects(p.deploy([F1], never), FaasloadError);
    await p.teardown(); // idempotent
  });

  test('a failed delete is a notice, never a rejection', TEST, async () => {
    const f = await fake();
    const p = platform(f);
    await p.deploy([F1], never);
    await f.close(); // the DELETE cannot reach it
    await p.teardown();
    assert.equal(p.notices.length, 1);
    assert.match(p.notices[0]!, /teardown could not delete 1 action\(s\).*unreachable.*f1/);
    assert.ok(!p.notices[0]!.includes(KEY));
  });
});

describe('readWskProps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faasload-wskprops-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  test('parses APIHOST, AUTH, NAMESPACE: quotes, comments, CRLF, other keys', () => {
    const text = [
      '# written by wsk',
      'APIVERSION=v1',
      `AUTH="${AUTH}"`,
      "APIHOST = 'http://127.0.0.1:3233'  ",
      'NAMESPACE=guest # my namespace',
      '! also a comment',
      'garbage line',
      '',
    ].join('\r\n');
    assert.deepEqual(parseWskProps(text), {
      apiHost: 'http://127.0.0.1:3233',
      auth: AUTH,
      namespace: 'guest',
    });
    assert.deepEqual(parseWskProps('NAMESPACE=\nAPIHOST=h'), { apiHost: 'h' }, 'an empty value is missing');
  });

  test('reads a file; a missing file is empty; the environment overrides as wsk and the JS client do', () => {
    const file = join(dir, 'props');
    writeFileSync(file, `APIHOST=http://file:3233\nAUTH=${AUTH}\n`);
    assert.deepEqual(readWskProps(file, {}), { apiHost: 'http://file:3233', auth: AUTH });
    assert.deepEqual(readWskProps(join(dir, 'none'), {}), {});
    assert.deepEqual(readWskProps(undefined, { WSK_CONFIG_FILE: file }), {
      apiHost: 'http://file:3233',
      auth: AUTH,
    });
    assert.deepEqual(readWskProps(undefined, { WSK_CONFIG_FILE: '' }), {}, 'set but empty: no file, as wsk');
    assert.deepEqual(readWskProps(file, { WHISK_APIHOST: 'http://whisk:1', WHISK_NAMESPACE: 'ns1' }), {
      apiHost: 'http://whisk:1',
      auth: AUTH,
      namespace: 'ns1',
    });
    assert.deepEqual(
      readWskProps(file, {
        WHISK_APIHOST: 'http://whisk:1',
        __OW_API_HOST: 'http://ow:2',
        __OW_API_KEY: 'a:b',
      }),
      { apiHost: 'http://ow:2', auth: 'a:b' },
    );
    assert.throws(
      () => readWskProps(dir, {}),
      (e: unknown) => e instanceof FaasloadError && e.code === 'E_USAGE',
    );
  });
});
