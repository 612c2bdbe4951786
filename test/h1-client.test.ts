/**
 * The lean HTTP/1.1 client (src/platforms/http/h1.ts) against real servers on 127.0.0.1: every
 * way an answer can be framed, connection reuse and its races, queueing, time limits, aborts and
 * bad input.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Reply } from '../src/platforms/http/exchange.js';
import { H1Pool } from '../src/platforms/http/h1.js';

const never = new AbortController().signal;
setFlagsFromString('--expose-gc');
/** A full garbage collection (global.gc without --expose-gc on node's command line). */
const collectGarbage: () => void = runInNewContext('gc');
const all = () => Number.POSITIVE_INFINITY;
const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

async function listen(s: Server): Promise<string> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** An http server; `sockets` counts the connections it accepted. */
async function http(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
  keepAliveMs = 5_000,
) {
  let sockets = 0;
  const s = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => handler(req, res, body));
  });
  s.keepAliveTimeout = keepAliveMs;
  s.on('connection', () => sockets++);
  return { origin: await listen(s), sockets: () => sockets };
}

/** A TCP server that answers every request with `raw` (for framings Node's server never writes). */
async function raw(answer: (request: string, socket: Socket) => void) {
  const s = createTcpServer((socket) => {
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) {
        const request = text.slice(0, end);
        text = text.slice(end + 4);
        answer(request, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  return listen(s);
}

const pool = (origin: string, connections = 4) =>
  new H1Pool({ origin, connections, connectTimeoutMs: 2_000 });
const req = (
  origin: string,
  path = '/f',
  extra: Partial<{ method: string; headers: Record<string, string>; body: string }> = {},
) => ({
  origin,
  path,
  method: extra.method ?? 'GET',
  headers: extra.headers ?? {},
  body: extra.body ?? null,
});
function answer(r: Reply) {
  assert.equal(r.kind, 'answer', r.kind === 'answer' ? '' : r.message);
  return r as Extract<Reply, { kind: 'answer' }>;
}

describe('lean HTTP/1.1 client', { timeout: 60_000 }, () => {
  test('method, path, headers and body go out; status, headers and body come back; connections are reused', async () => {
    const s = await http((q, res, body) => {
      res.setHeader(
        'x-echo',
        `${q.method} ${q.url} ${q.headers['x-a']} ${q.headers['content-length']} ${q.headers.host}`,
      );
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(`got ${body}`);
    });
    const p = pool(s.origin);
    for (let i = 0; i < 5; i++) {
      const r = answer(
        await p.exchange(
          req(s.origin, '/fn?x=1', { method: 'POST', headers: { 'x-a': 'b' }, body: 'héllo' }),
          5_000,
          never,
          all,
        ),
      );
      assert.equal(r.status, 200);
      assert.equal(r.statusText, 'OK');
      assert.equal(r.body, 'got héllo');
      assert.equal(r.headers['x-echo'], `POST /fn?x=1 b 6 ${s.origin.slice(7)}`);
      assert.equal(r.headers['set-cookie'], 'a=1, b=2');
      assert.ok(r.sentAtUs <= r.endedAtUs);
    }
    assert.equal(s.sockets(), 1, 'one kept-alive connection for sequential requests');
    await p.close('done');
  });

  test('content-length, chunked, close-delimited, HEAD, 204 and a 100 before the answer', async () => {
    const origin = await raw((request, socket) => {
      const path = request.split(' ')[1];
      if (path === '/length') socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
      if (path === '/chunked') {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel');
        setTimeout(() => socket.write('lo\r\n6;ext=1\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n'), 20);
      }
      if (path === '/close') {
        socket.write('HTTP/1.0 200 OK\r\n\r\nuntil ');
        setTimeout(() => socket.end('the end'), 20);
      }
      if (path === '/head') socket.write('HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n');
      if (path === '/204') socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      if (path === '/continue')
        socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok');
    });
    const p = pool(origin, 1);
    assert.equal(answer(await p.exchange(req(origin, '/length'), 5_000, never, all)).body, 'hello');
    assert.equal(answer(await p.exchange(req(origin, '/chunked'), 5_000, never, all)).body, 'hello world');
    assert.equal(answer(await p.exchange(req(origin, '/close'), 5_000, never, all)).body, 'until the end');
    const head = answer(await p.exchange(req(origin, '/head', { method: 'HEAD' }), 5_000, never, all));
    assert.equal(head.body, '');
    assert.equal(answer(await p.exchange(req(origin, '/204'), 5_000, never, all)).status, 204);
    const created = answer(await p.exchange(req(origin, '/continue'), 5_000, never, all));
    assert.deepEqual([created.status, created.body], [201, 'ok']);
    await p.close('done');
  });

  test('keepBytes keeps the start of a body and reads the rest', async () => {
    const s = await http((_q, res) => res.end('x'.repeat(100_000)));
    const p = pool(s.origin);
    const r = answer(await p.exchange(req(s.origin), 5_000, never, () => 10));
    assert.equal(r.body, 'x'.repeat(10));
    assert.equal(answer(await p.exchange(req(s.origin), 5_000, never, all)).body.length, 100_000);
    await p.close('done');
  });

  test('a connection the server closed while idle is replaced, and a request caught in the race is sent again', async () => {
    let accepted = 0;
    const closing = await raw((_r, socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      setTimeout(() => socket.end(), 30); // the server's keep-alive runs out
    });
    servers.at(-1)!.on('connection', () => accepted++);
    const p = pool(closing, 1);
    for (let i = 0; i < 3; i++) {
      assert.equal(answer(await p.exchange(req(closing), 5_000, never, all)).body, 'ok');
      await sleep(100);
    }
    assert.equal(accepted, 3, 'a new connection after each idle close');
    // A server that closes right after reading a request on a reused connection: written once more.
    let n = 0;
    const origin = await raw((_r, socket) => {
      n++;
      if (n === 2) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    const q = pool(origin, 1);
    assert.equal(answer(await q.exchange(req(origin), 5_000, never, all)).body, 'ok');
    assert.equal(answer(await q.exchange(req(origin), 5_000, never, all)).body, 'ok');
    assert.equal(n, 3);
    await Promise.all([p.close('done'), q.close('done')]);
  });

  test('past the connections, requests wait: the wait counts before sentAtUs', async () => {
    const s = await http((_q, res) => setTimeout(() => res.end('ok'), 100));
    const p = pool(s.origin, 1);
    const [a, b] = (
      await Promise.all([
        p.exchange(req(s.origin), 5_000, never, all),
        p.exchange(req(s.origin), 5_000, never, all),
      ])
    ).map(answer);
    assert.ok(b!.sentAtUs >= a!.endedAtUs, 'the second was written when the first had its answer');
    assert.equal(s.sockets(), 1);
    await p.close('done');
  });

  test('a request that waited for a connection is not kept once it is answered', async () => {
    const { origin } = await http((_req, res) => setTimeout(() => res.end('ok'), 2));
    const p = pool(origin, 1);
    // Made in a scope of their own: after the answers, only the pool could still hold them.
    const sent = () => {
      const requests = Array.from({ length: 20 }, (_, i) => req(origin, `/f${i}`));
      const refs = requests.map((r) => new WeakRef(r));
      return { refs, replies: Promise.all(requests.map((r) => p.exchange(r, 5_000, never, all))) };
    };
    const { refs, replies } = sent();
    for (const r of await replies) answer(r);
    await sleep(10);
    collectGarbage();
    const kept = refs.filter((r) => r.deref() !== undefined).length;
    assert.equal(kept, 0, `${kept} of 20 answered requests still referenced by the pool`);
    await p.close('done');
  });

  test('time limit, aborts (queued: cancelled; written: aborted), a refused port, bad headers, a bad answer', async () => {
    const s = await http((q, res) => {
      if (q.url !== '/hang') res.end('ok');
    });
    const p = pool(s.origin, 1);
    const t = await p.exchange(req(s.origin, '/hang'), 100, never, all);
    assert.equal(t.kind, 'timeout');
    const stop = new AbortController();
    const sent = p.exchange(req(s.origin, '/hang'), 5_000, stop.signal, all);
    const queued = p.exchange(req(s.origin, '/hang'), 5_000, stop.signal, all);
    await sleep(50);
    stop.abort();
    assert.equal((await sent).kind, 'aborted');
    const q = await queued;
    assert.equal(q.kind, 'cancelled');
    assert.equal(q.sentAtUs, undefined);
    assert.equal((await p.exchange(req(s.origin), 5_000, never, all)).kind, 'answer', 'the pool goes on');

    const refused = await listen(createTcpServer());
    servers.pop()!.close();
    await sleep(20);
    const r = await pool(refused).exchange(req(refused), 5_000, never, all);
    assert.equal(r.kind, 'transport');
    assert.match((r as { message: string }).message, /ECONNREFUSED/);

    const bad = await p.exchange(
      req(s.origin, '/f', { headers: { 'x-a': 'b\r\nx-injected: 1' } }),
      5_000,
      never,
      all,
    );
    assert.equal(bad.kind, 'transport');
    assert.match((bad as { message: string }).message, /invalid header 'x-a'/);

    const garbage = await raw((_r, socket) => socket.write('SMTP ready\r\n\r\n'));
    const g = await pool(garbage).exchange(req(garbage), 5_000, never, all);
    assert.equal(g.kind, 'transport');
    assert.match((g as { message: string }).message, /malformed answer: bad status line/);
    await p.close('done');
  });

  test('each request keeps its own time limit and signal, whatever the others have', async () => {
    const s = await http((q, res) => {
      if (q.url !== '/hang') res.end('ok');
    });
    const p = pool(s.origin, 4);
    const started = performance.now();
    const long = p.exchange(req(s.origin, '/hang'), 3_000, never, all);
    const short = await p.exchange(req(s.origin, '/hang'), 100, never, all);
    const shortMs = performance.now() - started;
    assert.equal(short.kind, 'timeout');
    assert.ok(shortMs >= 100 && shortMs < 1_500, `the 100 ms limit took ${shortMs.toFixed(0)} ms`);
    const one = new AbortController();
    const other = new AbortController();
    const a = p.exchange(req(s.origin, '/hang'), 5_000, one.signal, all);
    const b = p.exchange(req(s.origin, '/hang'), 300, other.signal, all);
    await sleep(30);
    one.abort();
    assert.equal((await a).kind, 'aborted');
    assert.equal((await b).kind, 'timeout', 'the other signal was not aborted: its request timed out');
    assert.equal((await long).kind, 'timeout');
    assert.ok(performance.now() - started >= 3_000, 'the long limit held');
    await p.close('done');
  });

  test('close: requests in flight get the grace, then are failed; later ones are refused', async () => {
    const s = await http((q, res) => {
      if (q.url === '/slow') setTimeout(() => res.end('late'), 50);
    });
    const p = pool(s.origin, 2);
    const slow = p.exchange(req(s.origin, '/slow'), 5_000, never, all);
    const hang = p.exchange(req(s.origin, '/hang'), 5_000, never, all);
    await sleep(10);
    await p.close('closing', 300);
    assert.equal(answer(await slow).body, 'late');
    const h = await hang;
    assert.deepEqual([h.kind, (h as { message: string }).message], ['transport', 'closing']);
    assert.equal((await p.exchange(req(s.origin), 5_000, never, all)).kind, 'transport');
  });
});
