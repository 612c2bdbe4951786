/**
 * The generic HTTP platform against real node:http servers on 127.0.0.1: what goes on the wire,
 * outcomes, sentAtUs as the write to the socket (queueing shows as lateness), the connection cap
 * and keep-alive, aborts, and a teardown that leaves nothing open.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaasloadError } from '../src/errors.js';
import { HttpPlatform, type HttpPlatformOptions } from '../src/platforms/http/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';
import { epochUs } from '../src/util/time.js';
import { closedAfterEach } from './helpers/cleanup.js';

const TEST = { timeout: 10_000 };
const F1: FunctionSpec = { id: 'app/f1', name: 'f1' };
const never = new AbortController().signal;

function arrival(seq: number, durationMs?: number, memoryMb?: number): Arrival {
  return { seq, fn: 0, atUs: 0, durationMs, memoryMb };
}

/** What a test server saw of one request; atUs is taken when the request arrives (same clock). */
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  atUs: number;
}

type Answer = (req: Received, res: ServerResponse) => void;

interface TestServer {
  base: string;
  port: number;
  received: Received[];
  /** Sockets ever accepted, open now, and open at most at once. */
  sockets: { opened: number; open: number; maxOpen: number };
}

const closers = closedAfterEach();

/** A server on 127.0.0.1 that records every request and answers with `answer` (default 200 'ok'). */
async function server(answer: Answer = (_, res) => res.end('ok')): Promise<TestServer> {
  const received: Received[] = [];
  const sockets = { opened: 0, open: 0, maxOpen: 0 };
  const srv = createServer((req, res) => {
    const atUs = epochUs();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        atUs,
      };
      received.push(r);
      answer(r, res);
    });
  });
  srv.on('connection', (socket) => {
    sockets.opened++;
    sockets.maxOpen = Math.max(sockets.maxOpen, ++sockets.open);
    socket.on('close', () => sockets.open--);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    srv.closeAllConnections();
    await new Promise((resolve) => srv.close(resolve));
  });
  const { port } = srv.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, port, received, sockets };
}

/** A platform torn down after the test. */
function platform(options: HttpPlatformOptions): HttpPlatform {
  const p = new HttpPlatform(options);
  closers.push(() => p.teardown());
  return p;
}

/** A port on 127.0.0.1 where nothing listens (it did a moment ago). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function usageError(message: RegExp) {
  return (e: unknown) => e instanceof FaasloadError && e.code === 'E_USAGE' && message.test(e.message);
}

describe('the request', () => {
  test('method, path, headers and a JSON body arrive as configured', TEST, async () => {
    const s = await server();
    const p = platform({
      url: `${s.base}/fn/{function}?id={id}`,
      method: 'put',
      headers: { 'x-test': 'yes' },
      body: '{"f":"{function}","id":"{id}","seq":{seq},"d":{durationMs},"m":{memoryMb}}',
    });
    const fn: FunctionSpec = { id: 'app/f"1', name: 'a b/c' };
    const r = await p.invoke(fn, arrival(7, 12.5), never);
    assert.equal(r.outcome, 'ok', r.error);
    const got = s.received[0]!;
    assert.equal(got.method, 'PUT');
    assert.equal(got.url, '/fn/a%20b%2Fc?id=app%2Ff%221');
    assert.equal(got.headers['x-test'], 'yes');
    assert.equal(got.headers['content-type'], 'application/json');
    // A missing value (no memory in the plan) is null inside JSON; strings are escaped.
    assert.deepEqual(JSON.parse(got.body), { f: 'a b/c', id: 'app/f"1', seq: 7, d: 12.5, m: null });
  });

  test('the default body is small JSON; a text body gets values as they are', TEST, async () => {
    const s = await server();
    await platform({ url: `${s.base}/{function}` }).invoke(F1, arrival(12, 100, 256), never);
    assert.equal(s.received[0]!.method, 'POST');
    assert.equal(s.received[0]!.url, '/f1');
    assert.deepEqual(JSON.parse(s.received[0]!.body), { seq: 12, durationMs: 100, memoryMb: 256 });
    await platform({ url: `${s.base}/`, body: 'seq={seq} mem={memoryMb} id={id}' }).invoke(
      F1,
      arrival(3, 5),
      never,
    );
    assert.equal(s.received[1]!.body, 'seq=3 mem= id=app/f1');
    assert.equal(s.received[1]!.headers['content-type'], 'text/plain; charset=utf-8');
  });

  test('each invocation goes where its own values say: per function, or per invocation', TEST, async () => {
    const s = await server();
    const F2: FunctionSpec = { id: 'app/f2', name: 'f2' };
    const byFunction = platform({ url: `${s.base}/{function}`, method: 'GET' });
    for (const [fn, seq] of [
      [F1, 1],
      [F2, 2],
      [F1, 3],
      [F2, 4],
    ] as const)
      assert.equal((await byFunction.invoke(fn, arrival(seq), never)).outcome, 'ok');
    const bySeq = platform({ url: `${s.base}/{function}/{seq}`, method: 'GET' });
    for (const seq of [5, 6]) assert.equal((await bySeq.invoke(F1, arrival(seq), never)).outcome, 'ok');
    assert.deepEqual(
      s.received.map((r) => r.url),
      ['/f1', '/f2', '/f1', '/f2', '/f1/5', '/f1/6'],
    );
    await byFunction.teardown();
    await bySeq.teardown();
  });

  test('GET sends no body, and refuses to be given one', TEST, async () => {
    const s = await server();
    const r = await platform({ url: `${s.base}/{function}`, method: 'GET' }).invoke(F1, arrival(1, 5), never);
    assert.equal(r.outcome, 'ok', r.error);
    const got = s.received[0]!;
    assert.equal(got.method, 'GET');
    assert.equal(got.body, '');
    assert.equal(got.headers['content-length'], undefined);
    assert.equal(got.headers['transfer-encoding'], undefined);
    assert.equal(got.headers['content-type'], undefined);
    assert.throws(() => new HttpPlatform({ url: s.base, method: 'GET', body: 'x' }), usageError(/body/));
  });

  test('URL credentials are sent as Basic auth and never shown in the address', TEST, async () => {
    const s = await server();
    const p = platform({ url: `http://user:s%3Acret@127.0.0.1:${s.port}/{function}` });
    assert.equal(p.address, s.base);
    assert.equal((await p.invoke(F1, arrival(0), never)).outcome, 'ok');
    const auth = s.received[0]!.headers.authorization!;
    assert.equal(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString(), 'user:s:cret');
    const hosts = platform({ url: 'https://u:p@{function}.example.com:8443/x' });
    assert.equal(hosts.address, 'https://{function}.example.com:8443');
    assert.equal(hosts.kind, 'http');
  });

  test('invalid templates and options are usage errors naming them', TEST, () => {
    for (const url of ['ftp://127.0.0.1/{function}', 'not a url', '127.0.0.1:8080/{function}']) {
      assert.throws(() => new HttpPlatform({ url }), usageError(new RegExp(`'${url}'.*not an http`)));
    }
    assert.throws(
      () => new HttpPlatform({ url: 'http://127.0.0.1/{fn}' }),
      usageError(/'http:\/\/127\.0\.0\.1\/\{fn\}': unknown placeholder \{fn\}/),
    );
    assert.throws(
      () => new HttpPlatform({ url: 'http://127.0.0.1/', body: '{"a":{sequence}}' }),
      usageError(/body template .*\{sequence\}/),
    );
    assert.throws(
      () =>
        new HttpPlatform({
          url: 'http://127.0.0.1/',
          connections: 0,
          invokeTimeoutMs: -1,
          method: 'NOT A METHOD',
          headers: { 'x-a': 'one\ntwo' },
        }),
      usageError(/method: .*; headers: .*; connections: 0 .*; invokeTimeoutMs: -1/),
    );
  });
});

describe('outcomes', () => {
  test(
    '200 is ok with the status; 503 is an error with the status and the start of the body',
    TEST,
    async () => {
      const s = await server((req, res) => {
        if (req.url === '/busy') {
          res.writeHead(503);
          res.end(`busy ${'x'.repeat(5000)}`);
        } else res.end('fine');
      });
      const p = platform({ url: `${s.base}/{function}` });
      const ok = await p.invoke(F1, arrival(0), never);
      assert.equal(ok.outcome, 'ok');
      assert.equal(ok.httpStatus, 200);
      assert.equal(ok.error, undefined);
      await sleep(10);
      const busy = await p.invoke({ id: 'busy', name: 'busy' }, arrival(1), never);
      assert.equal(busy.outcome, 'error');
      assert.equal(busy.httpStatus, 503);
      assert.equal(busy.error, `HTTP 503 Service Unavailable: busy ${'x'.repeat(195)}`);
      // The body was drained, so the connection is reused (undici waits one turn of the event loop
      // before it reuses a connection: a request in the same turn would open another).
      await sleep(10);
      assert.equal((await p.invoke(F1, arrival(2), never)).outcome, 'ok');
      assert.equal(s.sockets.opened, 1);
    },
  );

  test('a server that never answers is a timeout within invokeTimeoutMs', TEST, async () => {
    const s = await server(() => undefined);
    const p = platform({ url: `${s.base}/{function}`, invokeTimeoutMs: 300 });
    const t0 = epochUs();
    const r = await p.invoke(F1, arrival(0), never);
    const elapsedMs = (epochUs() - t0) / 1000;
    assert.equal(r.outcome, 'timeout');
    assert.match(r.error!, /no answer within 300 ms/);
    assert.ok(elapsedMs >= 299 && elapsedMs < 1_500, `settled after ${elapsedMs} ms`);
    // The limit counts from the call: connecting (or queueing) is part of it.
    assert.ok(r.sentAtUs <= s.received[0]!.atUs && r.endedAtUs - t0 >= 299_000);
  });

  test('a closed port is an error naming the URL and the address', TEST, async () => {
    const port = await closedPort();
    const p = platform({ url: `http://127.0.0.1:${port}/{function}` });
    const t0 = epochUs();
    const r = await p.invoke(F1, arrival(0), never);
    assert.equal(r.outcome, 'error');
    assert.equal(r.httpStatus, undefined);
    assert.match(
      r.error!,
      new RegExp(`^POST http://127\\.0\\.0\\.1:${port}/f1: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`),
    );
    // Never written: sent at the failure.
    assert.ok(r.sentAtUs >= t0 && r.sentAtUs === r.endedAtUs);
  });

  test('an abort after the write is an error, before it (queued) a cancellation', TEST, async () => {
    const s = await server(() => undefined);
    const p = platform({ url: `${s.base}/{function}`, connections: 1 });
    const first = new AbortController();
    const second = new AbortController();
    const r1 = p.invoke(F1, arrival(0), first.signal);
    const r2 = p.invoke(F1, arrival(1), second.signal);
    while (s.received.length < 1) await sleep(5);
    second.abort();
    first.abort();
    assert.deepEqual(
      (await Promise.all([r1, r2])).map((r) => [r.outcome, r.error]),
      [
        ['error', 'aborted'],
        ['cancelled', 'aborted before it was sent'],
      ],
    );
    const already = await p.invoke(F1, arrival(2), AbortSignal.abort());
    assert.equal(already.outcome, 'cancelled');
    await sleep(50);
    assert.equal(s.received.length, 1, 'the aborted queued requests never reached the server');
  });
});

describe('sentAtUs and connections', () => {
  test('sentAtUs is between the call and the server receiving the request', TEST, async () => {
    const s = await server();
    const p = platform({ url: `${s.base}/{function}` });
    for (let i = 0; i < 5; i++) {
      const calledUs = epochUs();
      const r = await p.invoke(F1, arrival(i), never);
      const got = s.received[i]!;
      assert.equal(r.outcome, 'ok');
      assert.ok(calledUs <= r.sentAtUs, `sent ${r.sentAtUs - calledUs} us after the call`);
      assert.ok(r.sentAtUs <= got.atUs, `sent ${r.sentAtUs - got.atUs} us after the server got it`);
      assert.ok(got.atUs <= r.endedAtUs);
    }
  });

  test('with one connection, waiting for it shows in sentAtUs (lateness), not in latency', TEST, async () => {
    const s = await server((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 200);
      else res.end('ok');
    });
    const p = platform({ url: `${s.base}/{function}`, connections: 1 });
    const calledUs = epochUs();
    const [slow, queued] = await Promise.all([
      p.invoke({ id: 'slow', name: 'slow' }, arrival(0), never),
      p.invoke(F1, arrival(1), never),
    ]);
    assert.equal(slow.outcome, 'ok');
    assert.equal(queued.outcome, 'ok');
    const firstMs = (slow.sentAtUs - calledUs) / 1000;
    const secondMs = (queued.sentAtUs - calledUs) / 1000;
    assert.ok(firstMs < 100, `the first was sent ${firstMs} ms after the call`);
    assert.ok(secondMs >= 195 && secondMs < 600, `the second was sent ${secondMs} ms after the call`);
    assert.ok(queued.sentAtUs >= slow.endedAtUs, 'the second went after the first had its answer');
    assert.ok(queued.endedAtUs - queued.sentAtUs < 100_000, 'its latency excludes the wait');
    assert.equal(s.sockets.opened, 1);
  });

  test('at most `connections` sockets at once, kept alive and reused', TEST, async () => {
    const s = await server((_, res) => setTimeout(() => res.end('ok'), 20));
    const p = platform({ url: `${s.base}/{function}`, connections: 3 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const shared = new AbortController().signal;
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => p.invoke(F1, arrival(i), shared)),
      );
      assert.deepEqual(new Set(results.map((r) => r.outcome)), new Set(['ok']));
    }
    await sleep(10);
    process.off('warning', onWarning);
    assert.deepEqual(warnings, [], 'a signal shared by every invocation gets one listener');
    assert.equal(s.received.length, 24);
    assert.ok(s.sockets.maxOpen <= 3, `${s.sockets.maxOpen} sockets open at once`);
    assert.ok(s.sockets.opened <= 3, `${s.sockets.opened} sockets for 24 requests`);
    assert.equal(s.sockets.open, s.sockets.opened, 'idle sockets are kept open');
  });
});

describe('teardown', () => {
  test('closes every connection, settles what is in flight, and refuses more', TEST, async () => {
    const s = await server((req, res) => {
      if (req.url !== '/hang') res.end('ok');
    });
    const p = new HttpPlatform({ url: `${s.base}/{function}` });
    assert.equal((await p.invoke(F1, arrival(0), never)).outcome, 'ok');
    const hanging = p.invoke({ id: 'hang', name: 'hang' }, arrival(1), never);
    while (s.received.length < 2) await sleep(5);
    assert.ok(s.sockets.open >= 1);
    const t0 = performance.now();
    await p.teardown();
    const tookMs = performance.now() - t0;
    assert.ok(tookMs < 3_000, `teardown took ${tookMs} ms`);
    const r = await hanging;
    assert.equal(r.outcome, 'error');
    assert.match(r.error!, /^POST http:\/\/127\.0\.0\.1:\d+\/hang: the http platform was torn down$/);
    while (s.sockets.open > 0) await sleep(5);
    const after = await p.invoke(F1, arrival(2), never);
    assert.equal(after.outcome, 'error');
    assert.match(after.error!, /torn down/);
    await assert.rejects(p.deploy([F1], never), /torn down/);
    await p.teardown(); // idempotent
  });
});
