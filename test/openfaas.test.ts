/**
 * The OpenFaaS platform against a small OpenFaaS gateway on 127.0.0.1 that follows the gateway's
 * API: /system/functions (POST deploy, 409 when it exists, PUT update, DELETE {functionName}, GET
 * /system/function/NAME) behind Basic auth, /function/NAME (X-Call-Id, X-Duration-Seconds; 404
 * unknown, 429 throttled, 500) and /async-function/NAME (202 + X-Call-Id, then a POST to the
 * X-Callback-Url with X-Call-Id, X-Function-Status and X-Duration-Seconds, as the queue worker
 * does); and a replay of the Azure 2019 sample through the CLI, async.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FaasloadError } from '../src/errors.js';
import { OpenFaasPlatform } from '../src/platforms/openfaas/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';
import { closedAfterEach, scratchDir } from './helpers/cleanup.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR } from './helpers/paths.js';

const TEST = { timeout: 30_000 };
const never = new AbortController().signal;
const PASSWORD = 'gw-Secret-Passw0rd-123';
const dir = scratchDir('faasload-of-');
const closers = closedAfterEach();

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  callbackUrl: string | undefined;
  body: string;
}

async function gateway(opts: { existing?: string[]; failAsync?: string[] } = {}) {
  const seen: Seen[] = [];
  const functions = new Map<string, Record<string, unknown>>();
  for (const name of opts.existing ?? []) functions.set(name, { service: name, image: 'pre' });
  const callbacks: Promise<unknown>[] = [];
  const expected = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
  const srv = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const body = Buffer.concat(chunks).toString();
      const callbackUrl = req.headers['x-callback-url'] as string | undefined;
      seen.push({
        method: req.method!,
        path: url.pathname,
        auth: req.headers.authorization,
        callbackUrl,
        body,
      });
      if (url.pathname.startsWith('/system/')) {
        if (req.headers.authorization !== expected) return res.writeHead(401).end('Unauthorized');
        if (url.pathname === '/system/functions') {
          const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
          if (req.method === 'POST') {
            if (typeof parsed.service !== 'string' || typeof parsed.image !== 'string' || parsed.image === '')
              return res.writeHead(400).end('service and image are required');
            if (functions.has(parsed.service)) return res.writeHead(409).end('function exists');
            functions.set(parsed.service, parsed);
            return res.writeHead(202).end();
          }
          if (req.method === 'PUT') {
            functions.set(parsed.service as string, parsed);
            return res.writeHead(202).end();
          }
          if (req.method === 'DELETE') {
            if (!functions.delete(parsed.functionName as string)) return res.writeHead(404).end('not found');
            return res.writeHead(202).end();
          }
        }
        if (url.pathname === '/system/functions' && req.method === 'GET') {
          const list = [...functions.values()].map((f) => ({
            name: f.service,
            image: f.image,
            labels: f.labels ?? null,
          }));
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
        }
        const one = /^\/system\/function\/(.+)$/.exec(url.pathname);
        if (one && req.method === 'GET') {
          const f = functions.get(decodeURIComponent(one[1]!));
          if (!f) return res.writeHead(404).end('not found');
          return res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ name: f.service, replicas: 1 }));
        }
        return res.writeHead(404).end();
      }
      const m = /^\/(function|async-function)\/(.+)$/.exec(url.pathname);
      if (!m || req.method !== 'POST') return res.writeHead(404).end();
      const name = decodeURIComponent(m[2]!);
      if (name === 'busy') return res.writeHead(429).end('Too Many Requests');
      if (!functions.has(name)) return res.writeHead(404).end(`error finding function ${name}: not found`);
      if (name === 'broken') return res.writeHead(500).end('exit status 1');
      const callId = randomUUID();
      if (m[1] === 'function') {
        return res
          .writeHead(200, {
            'x-call-id': callId,
            'x-duration-seconds': '0.012500',
            'content-type': 'application/json',
          })
          .end('{"done":true}');
      }
      res.writeHead(202, { 'x-call-id': callId }).end();
      if (callbackUrl) {
        const failed = opts.failAsync?.includes(name);
        callbacks.push(
          new Promise((done) => setTimeout(done, 15)).then(() =>
            fetch(callbackUrl, {
              method: 'POST',
              headers: {
                'x-call-id': callId,
                'x-function-status': failed ? '500' : '200',
                'x-duration-seconds': '0.020000',
                'x-function-name': name,
              },
              body: failed ? 'boom' : '{"done":true}',
            }).catch(() => undefined),
          ),
        );
      }
    });
  });
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  closers.push(async () => {
    await Promise.all(callbacks);
    srv.closeAllConnections();
    await new Promise((done) => srv.close(done));
  });
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen, functions };
}

function arrival(seq: number): Arrival {
  return { seq, fn: 0, atUs: 0, durationMs: 5, memoryMb: 64 };
}

describe('OpenFaaS platform: deploy and teardown', () => {
  test('POSTs each function (409: PUT) with Basic auth; teardown DELETEs them', TEST, async () => {
    const g = await gateway({ existing: ['fn-1'] });
    const p = new OpenFaasPlatform({ gatewayUrl: g.url, password: PASSWORD, image: 'ghcr.io/x/fn:1' });
    const fns: FunctionSpec[] = [
      { id: 'a/f0', name: 'fn-0', memoryMb: 200 },
      { id: 'a/f1', name: 'fn-1' },
    ];
    await p.deploy(fns, never);
    const system = g.seen.filter((s) => s.path === '/system/functions');
    assert.deepEqual(
      system.map((s) => `${s.method} ${JSON.parse(s.body).service}`),
      ['POST fn-0', 'POST fn-1', 'PUT fn-1'],
    );
    assert.ok(system.every((s) => s.auth === `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`));
    const f0 = g.functions.get('fn-0')!;
    assert.equal(f0.image, 'ghcr.io/x/fn:1');
    assert.deepEqual(f0.limits, { memory: '200Mi' });
    assert.deepEqual(f0.envVars, { FAASLOAD_FUNCTION: 'a/f0' });
    assert.equal((f0.labels as Record<string, string>).faasload, 'true');
    await p.teardown();
    assert.equal(g.functions.size, 0);
    const deletes = g.seen.filter((s) => s.method === 'DELETE').map((s) => JSON.parse(s.body).functionName);
    assert.deepEqual(deletes.sort(), ['fn-0', 'fn-1']);
  });

  test('refused credentials are E_PLATFORM saying so, never showing the password', TEST, async () => {
    const g = await gateway();
    const p = new OpenFaasPlatform({ gatewayUrl: g.url, password: 'wrong-password-xyz', image: 'x' });
    closers.push(() => p.teardown());
    await assert.rejects(p.deploy([{ id: 'a', name: 'a' }], never), (e: unknown) => {
      assert.ok(e instanceof FaasloadError && e.code === 'E_PLATFORM');
      assert.match(e.message, /refused the credentials \(HTTP 401\)/);
      assert.ok(!e.message.includes('wrong-password-xyz'));
      return true;
    });
  });

  test('without an image, deploy checks the functions exist and names the missing', TEST, async () => {
    const g = await gateway({ existing: ['fn-0'] });
    const p = new OpenFaasPlatform({ gatewayUrl: g.url, password: PASSWORD });
    closers.push(() => p.teardown());
    await p.deploy([{ id: 'a', name: 'fn-0' }], never);
    await assert.rejects(
      p.deploy(
        [
          { id: 'a', name: 'fn-0' },
          { id: 'b', name: 'fn-9' },
        ],
        never,
      ),
      /1 function\(s\) not deployed \(give --openfaas-image to deploy them\): fn-9/,
    );
    assert.ok(g.seen.every((s) => s.method === 'GET'));
  });
});

describe('OpenFaaS platform: invoke', () => {
  test('sync: /function/NAME; X-Call-Id and X-Duration-Seconds become the row', TEST, async () => {
    const g = await gateway({ existing: ['fn-0', 'broken'] });
    const p = new OpenFaasPlatform({ gatewayUrl: g.url });
    closers.push(() => p.teardown());
    const r = await p.invoke({ id: 'a', name: 'fn-0' }, arrival(3), never);
    assert.equal(r.outcome, 'ok', r.error);
    assert.equal(r.httpStatus, 200);
    assert.equal(r.execMs, 12.5);
    assert.match(r.activationId!, /^[0-9a-f-]{36}$/);
    const sent = g.seen.find((s) => s.path === '/function/fn-0')!;
    assert.deepEqual(JSON.parse(sent.body), { seq: 3, durationMs: 5, memoryMb: 64 });
    assert.equal(sent.auth, undefined, 'invocations carry no credentials');
    const missing = await p.invoke({ id: 'a', name: 'nope' }, arrival(4), never);
    assert.equal(missing.outcome, 'error');
    assert.equal(missing.error, 'HTTP 404: error finding function nope: not found');
    const busy = await p.invoke({ id: 'a', name: 'busy' }, arrival(5), never);
    assert.equal(busy.httpStatus, 429);
    assert.equal(busy.error, 'HTTP 429: Too Many Requests');
    const broken = await p.invoke({ id: 'a', name: 'broken' }, arrival(6), never);
    assert.equal(broken.error, 'HTTP 500: exit status 1');
  });

  test('async: /async-function/NAME, the callback joined by X-Call-Id ends the row', TEST, async () => {
    const g = await gateway({ existing: ['fn-0', 'fn-1'], failAsync: ['fn-1'] });
    const p = new OpenFaasPlatform({ gatewayUrl: g.url, password: PASSWORD, async: true });
    closers.push(() => p.teardown());
    await p.deploy(
      [
        { id: 'a', name: 'fn-0' },
        { id: 'b', name: 'fn-1' },
      ],
      never,
    );
    const [ok, failed] = await Promise.all([
      p.invoke({ id: 'a', name: 'fn-0' }, arrival(0), never),
      p.invoke({ id: 'b', name: 'fn-1' }, arrival(1), never),
    ]);
    assert.equal(ok.outcome, 'ok', ok.error);
    assert.equal(ok.httpStatus, 202);
    assert.equal(ok.execMs, 20);
    assert.ok(ok.endedAtUs - ok.sentAtUs >= 10_000, 'the row ends at the callback, after the 202');
    assert.equal(failed.outcome, 'error');
    assert.equal(failed.error, 'function status 500: boom');
    const post = g.seen.find((s) => s.path === '/async-function/fn-0')!;
    assert.match(post.callbackUrl!, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  });

  test('async: no callback in time is a timeout', TEST, async () => {
    const g = await gateway({ existing: ['fn-0'] });
    const p = new OpenFaasPlatform({
      gatewayUrl: g.url,
      async: true,
      callbackUrl: 'http://127.0.0.1:9/nowhere',
      invokeTimeoutMs: 300,
    });
    closers.push(() => p.teardown());
    await p.deploy([], never);
    const r = await p.invoke({ id: 'a', name: 'fn-0' }, arrival(0), never);
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.error, 'no callback within 300 ms');
    assert.ok(r.activationId);
  });
});

describe('OpenFaaS platform: replay', () => {
  test('an async replay of the Azure 2019 sample deploys, invokes and removes', {
    timeout: 120_000,
  }, async () => {
    const g = await gateway();
    const out = join(dir, 'run');
    const pw = join(dir, 'password');
    writeFileSync(pw, `${PASSWORD}\n`);
    const r = await runCli([
      'replay',
      AZURE2019_DIR,
      ...['--to', '2m', '--functions', '8', '--speed', '30', '--max-duration', '20ms'],
      ...['--platform', 'openfaas', '--openfaas-url', g.url, '--openfaas-password-file', pw],
      ...['--openfaas-image', 'fn:1', '--openfaas-async', '--out', out, '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    const summary = JSON.parse(r.stdout) as { planned: number };
    assert.equal(rows.length, summary.planned);
    assert.ok(rows.length >= 20);
    const bad = rows.filter((x) => x.outcome !== 'ok');
    assert.equal(bad.length, 0, String(bad[0]?.error));
    assert.ok(rows.every((x) => x.exec_ms === 20 && /^[0-9a-f-]{36}$/.test(String(x.activation_id))));
    assert.equal(g.functions.size, 0, 'teardown removed the functions');
    const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
    assert.equal(JSON.parse(manifest).platform.kind, 'openfaas');
    assert.ok(!manifest.includes(PASSWORD), 'the password is not in the manifest');
  });
});

describe('OpenFaaS platform: deploy and teardown commands', () => {
  test('deploy leaves the functions; teardown removes those labelled faasload only', {
    timeout: 60_000,
  }, async () => {
    const g = await gateway({ existing: ['not-faasloads'] });
    const pw = join(dir, 'password2');
    writeFileSync(pw, PASSWORD);
    const flags = ['--platform', 'openfaas', '--openfaas-url', g.url, '--openfaas-password-file', pw];
    const d = await runCli([
      'deploy',
      AZURE2019_DIR,
      '--functions',
      '5',
      ...flags,
      '--openfaas-image',
      'fn:1',
    ]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^deployed 5 actions to http:\/\/127\.0\.0\.1:\d+\n$/);
    assert.equal(g.functions.size, 6, 'deploy left its 5 functions');
    const t = await runCli(['teardown', ...flags]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^deleted 5 actions/);
    assert.deepEqual([...g.functions.keys()], ['not-faasloads']);
  });
});
