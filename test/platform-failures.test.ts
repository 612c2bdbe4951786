/**
 * Failure kinds (src/platforms/failure.ts): set where the failure is known (the embedded platform,
 * the HTTP client, OpenWhisk activation records), decided on by the retry wrapper, written to the
 * dataset row and counted by the run's summary.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { invocationRow } from '../src/dataset/invocations.js';
import { FAILURE_KINDS, failureOfStatus } from '../src/platforms/failure.js';
import { HttpPlatform } from '../src/platforms/http/index.js';
import { readActivation } from '../src/platforms/openwhisk/activation.js';
import { createPlatform } from '../src/platforms/registry.js';
import type { FunctionSpec, InvocationResult } from '../src/platforms/types.js';
import { withRetry } from '../src/platforms/wrappers.js';
import { formatSummary, SummaryCollector } from '../src/report/summary.js';

const never = new AbortController().signal;
const arrival = { seq: 0, fn: 0, atUs: 0 };
const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

async function listen(s: Server): Promise<string> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

test('embedded platform: --retries sends a call to an undeployed function, or whose /init failed, once', {
  timeout: 60_000,
}, async () => {
  const broken: FunctionSpec = {
    id: 'app/broken',
    name: 'broken',
    action: { code: 'throw new Error("this code does not load");', main: 'main' },
  };
  const local = createPlatform('local', { runtime: 'process' });
  try {
    await local.deploy([broken], never);
    const p = withRetry(local, { retries: 2, backoffMs: 1 });
    const unknown = await p.invoke({ id: 'app/ghost', name: 'ghost' }, arrival, never);
    assert.deepEqual([unknown.outcome, unknown.failure, unknown.attempts], ['error', 'not_found', 1]);
    const init = await p.invoke(broken, arrival, never);
    assert.deepEqual([init.outcome, init.failure, init.attempts], ['error', 'init', 1], init.error);
  } finally {
    await local.teardown();
  }
});

test('the HTTP client: each way to fail has its kind, and only connect and capacity are retried', {
  timeout: 30_000,
}, async () => {
  let busy = 0;
  const url = await listen(
    createServer((req, res) => {
      req.resume();
      const path = req.url!.split('?')[0];
      if (path === '/busy') res.writeHead(busy++ === 0 ? 429 : 200).end();
      else if (path === '/missing') res.writeHead(404).end('no such function');
      else if (path === '/broken') res.writeHead(500).end('internal');
      else if (path === '/slow') setTimeout(() => res.writeHead(200).end(), 2_000);
      else res.writeHead(200).end();
    }),
  );
  const closed = createServer();
  const closedUrl = await listen(closed);
  await new Promise((r) => closed.close(r));

  const http = new HttpPlatform({ url: `${url}/{function}`, invokeTimeoutMs: 300 });
  const refused = new HttpPlatform({ url: `${closedUrl}/{function}` });
  try {
    const p = withRetry(http, { retries: 2, backoffMs: 1 });
    const fn = (name: string): FunctionSpec => ({ id: name, name });
    const busyR = await p.invoke(fn('busy'), arrival, never);
    assert.deepEqual([busyR.outcome, busyR.attempts], ['ok', 2], 'a 429 (capacity) is sent again');
    const kinds = async (name: string) => {
      const r = await p.invoke(fn(name), arrival, never);
      return [r.outcome, r.failure, r.attempts];
    };
    assert.deepEqual(await kinds('missing'), ['error', 'not_found', 1]);
    assert.deepEqual(await kinds('broken'), ['error', 'platform', 1]);
    assert.deepEqual(await kinds('slow'), ['timeout', 'timeout', 1]);
    const r = await withRetry(refused, { retries: 2, backoffMs: 1 }).invoke(fn('x'), arrival, never);
    assert.deepEqual([r.outcome, r.failure, r.attempts], ['error', 'connect', 3]);
    const aborted = new AbortController();
    aborted.abort();
    const cancelled = await p.invoke(fn('x'), arrival, aborted.signal);
    assert.deepEqual([cancelled.outcome, cancelled.failure], ['cancelled', 'cancelled']);
  } finally {
    await Promise.all([http.teardown(), refused.teardown()]);
  }
});

test('HTTP statuses and OpenWhisk activation records map to kinds', () => {
  assert.deepEqual([404, 408, 429, 500, 502, 503, 504, 401].map(failureOfStatus), [
    'not_found',
    'timeout',
    'capacity',
    'platform',
    'platform',
    'capacity',
    'capacity',
    'platform',
  ]);
  const record = (statusCode: number, status: string, timeout = false) =>
    readActivation({
      activationId: 'a',
      statusCode,
      response: { status, statusCode, success: statusCode === 0, result: { error: 'x' } },
      annotations: [{ key: 'timeout', value: timeout }],
    });
  assert.equal(record(0, 'success').failure, undefined);
  assert.equal(record(1, 'application error').failure, 'application');
  assert.equal(record(2, 'action developer error').failure, 'application');
  assert.equal(record(3, 'whisk internal error').failure, 'platform');
  assert.equal(record(2, 'action developer error', true).failure, 'timeout');
  // Without a status code (not in every version), the status text decides.
  const noCode = readActivation({
    activationId: 'a',
    response: { status: 'whisk internal error', success: false, result: {} },
  });
  assert.equal(noCode.failure, 'platform');
});

test('the failure kind reaches the dataset row (null when ok) and the summary counts each kind', () => {
  const names = [{ id: 'f', name: 'f' }];
  const record = (result: InvocationResult) => ({
    arrival,
    scheduledAtUs: 0,
    firedAtUs: 0,
    phase: 'measure' as const,
    result,
  });
  const ok = record({ outcome: 'ok', sentAtUs: 1, endedAtUs: 2 });
  const refused = record({ outcome: 'error', sentAtUs: 1, endedAtUs: 2, failure: 'connect', error: 'x' });
  const init = record({ outcome: 'error', sentAtUs: 1, endedAtUs: 2, failure: 'init', error: 'y' });
  assert.equal(invocationRow(ok, names).failure, null);
  assert.equal(invocationRow(refused, names).failure, 'connect');
  const summary = new SummaryCollector();
  for (const r of [ok, refused, refused, init]) summary.add(r);
  const s = summary.summary(1);
  assert.deepEqual(Object.keys(s.failures), [...FAILURE_KINDS]);
  assert.deepEqual([s.failures.connect, s.failures.init, s.failures.timeout], [2, 1, 0]);
  assert.match(formatSummary(s), /failures by kind: connect 2 {2}init 1\n/);
});
