/**
 * The wrappers every platform gets (src/platforms/wrappers.ts): retries of retryable failures
 * and request tracing, on the HTTP platform against real servers on 127.0.0.1, and through the
 * CLI into the dataset.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { invocationRow } from '../src/dataset/invocations.js';
import { HttpPlatform } from '../src/platforms/http/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import { retryable, withRetry, withTracing, withWrappers } from '../src/platforms/wrappers.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const dir = mkdtempSync(join(tmpdir(), 'faasload-wrappers-'));
const never = new AbortController().signal;
const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

/** A server answering each path with the statuses listed for it ('*': any other), in turn (then 200). */
async function scripted(script: Record<string, number[]>) {
  const seen: Record<string, number> = {};
  const s = createServer((req, res) => {
    req.resume();
    const path = req.url!.split('?')[0]!;
    const key = path in script ? path : '*';
    const n = seen[key] ?? 0;
    seen[key] = n + 1;
    const status = script[key]?.[n] ?? 200;
    if (status === 0) {
      req.socket.destroy(); // a failed connection
      return;
    }
    res.writeHead(status).end(String(status));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, seen };
}

const fn = (name: string): FunctionSpec => ({ id: name, name });
const arrival = { seq: 0, fn: 0, atUs: 0 };

test('which failures are retried: throttling, unavailable, connections; never timeouts or app errors', () => {
  const r = (x: object) => ({ sentAtUs: 0, endedAtUs: 0, ...x }) as never;
  assert.equal(retryable(r({ outcome: 'error', httpStatus: 429, failure: 'capacity' })), true);
  assert.equal(retryable(r({ outcome: 'error', httpStatus: 503, failure: 'capacity' })), true);
  assert.equal(retryable(r({ outcome: 'error', failure: 'connect', error: 'ECONNRESET' })), true);
  assert.equal(retryable(r({ outcome: 'error', httpStatus: 502, failure: 'application' })), false);
  assert.equal(retryable(r({ outcome: 'error', httpStatus: 404, failure: 'not_found' })), false);
  assert.equal(retryable(r({ outcome: 'timeout', failure: 'timeout' })), false);
  assert.equal(retryable(r({ outcome: 'error', failure: 'aborted', error: 'aborted' })), false);
  assert.equal(retryable(r({ outcome: 'ok', httpStatus: 200 })), false);
});

test('retries: throttled twice then served; a 404 once; off by default', async () => {
  const s = await scripted({
    '/busy': [429, 503],
    '/gone': [404, 404],
    '/dead': [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  });
  const http = new HttpPlatform({ url: `${s.url}/{function}` });
  assert.equal(withWrappers(http, {}), http, 'no wrapper when none is asked for');
  const p = withRetry(http, { retries: 3, backoffMs: 5 });
  const busy = await p.invoke(fn('busy'), arrival, never);
  assert.equal(busy.outcome, 'ok');
  assert.equal(busy.attempts, 3);
  assert.equal(s.seen['/busy'], 3);
  const gone = await p.invoke(fn('gone'), arrival, never);
  assert.deepEqual([gone.outcome, gone.httpStatus, gone.attempts], ['error', 404, 1]);
  const t0 = performance.now();
  const dead = await p.invoke(fn('dead'), arrival, never);
  assert.deepEqual([dead.outcome, dead.attempts], ['error', 4]);
  assert.ok(performance.now() - t0 >= 5 + 10 + 20, 'backoff doubles');
  assert.ok(dead.sentAtUs <= dead.endedAtUs);
  await http.teardown();
});

test('tracing writes one JSON line per result; an unwritable path is refused up front', async () => {
  const s = await scripted({ '/x': [500] });
  const http = new HttpPlatform({ url: `${s.url}/{function}` });
  const path = join(dir, 'trace.jsonl');
  const p = withTracing(http, path);
  await p.invoke(fn('x'), { ...arrival, seq: 7 }, never);
  await p.invoke(fn('y'), { ...arrival, seq: 8 }, never);
  const lines = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => [l.seq, l.target, l.outcome, l.httpStatus]),
    [
      [7, 'x', 'error', 500],
      [8, 'y', 'ok', 200],
    ],
  );
  assert.throws(
    () => withTracing(http, join(dir, 'no', 'such', 'dir.jsonl')),
    /--trace-requests .*cannot write it/,
  );
  await http.teardown();
});

test('the platform view and attempts reach the dataset row', () => {
  const row = invocationRow(
    {
      arrival: { seq: 1, fn: 0, atUs: 0 },
      scheduledAtUs: 10,
      firedAtUs: 11,
      phase: 'measure',
      result: { outcome: 'ok', sentAtUs: 12, endedAtUs: 20, billedMs: 13, maxMemoryMb: 70, attempts: 2 },
    },
    [fn('f')],
  );
  assert.deepEqual([row.billed_ms, row.max_memory_mb, row.attempts], [13, 70, 2]);
});

test('replay --retries and --trace-requests: attempts in the dataset, every result traced', {
  timeout: 60_000,
}, async () => {
  // Two 503s in all: whichever invocations get them, each needs at most 3 attempts.
  const s = await scripted({ '*': [503, 200, 503] });
  const trace = join(dir, 'trace.csv');
  writeFileSync(trace, `time,function\n${[0, 0.01, 0.02].map((t) => `${t},f`).join('\n')}\n`);
  const out = join(dir, 'run');
  const traced = join(dir, 'requests.jsonl');
  const r = await runCli([
    'replay',
    trace,
    '--format',
    'csv',
    '--function-column',
    'function',
    '--platform',
    'http',
    '--url',
    `${s.url}/{function}`,
    '--retries',
    '2',
    '--retry-backoff',
    '1ms',
    '--trace-requests',
    traced,
    '--monitor',
    'none',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
  assert.equal(rows.length, 3);
  assert.ok(
    rows.every((x) => x.outcome === 'ok'),
    JSON.stringify(rows.map((x) => [x.outcome, x.error])),
  );
  assert.ok(
    rows.some((x) => Number(x.attempts) > 1),
    JSON.stringify(rows.map((x) => [x.attempts, x.http_status])),
  );
  assert.equal(
    rows.reduce((n, x) => n + Number(x.attempts), 0),
    s.seen['*'],
    'every send counted',
  );
  assert.equal(readFileSync(traced, 'utf8').trim().split('\n').length, 3);
});
