/**
 * Every HTTP adapter puts the same start of an error answer's body into the result's error: the
 * generic http platform, Knative and OpenFaaS once kept 200, 300 and (OpenFaaS, from 512 bytes)
 * fewer characters of the same answer. One server on 127.0.0.1 answers every request 503 with a
 * long body of two-byte characters; the invocation payload they send is the same too.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { EXCERPT_CHARS } from '../src/platforms/http/excerpt.js';
import { HttpPlatform } from '../src/platforms/http/platform.js';
import { KnativePlatform } from '../src/platforms/knative/platform.js';
import { OpenFaasPlatform } from '../src/platforms/openfaas/platform.js';
import type { InvocationResult, PlatformAdapter } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';

const never = new AbortController().signal;
const BODY = `  ${'é'.repeat(5_000)}`;
const bodies: string[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    bodies.push(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(503, 'Service Unavailable', { 'content-type': 'text/plain; charset=utf-8' }).end(BODY);
  });
});
let url = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  return new Promise((r) => server.close(r));
});

const arrival: Arrival = { seq: 3, fn: 0, atUs: 0, durationMs: 5, memoryMb: 64, params: { size: '1k' } };

async function invokeOnce(p: PlatformAdapter, name: string): Promise<InvocationResult> {
  try {
    return await p.invoke({ id: name, name }, arrival, never);
  } finally {
    await p.teardown();
  }
}

describe('error excerpts of the HTTP adapters', () => {
  test('the same characters of an error body, whatever the adapter', async () => {
    const results = {
      http: await invokeOnce(new HttpPlatform({ url: `${url}/{function}` }), 'fn'),
      knative: await invokeOnce(new KnativePlatform({ ingressUrl: url }), 'fn'),
      openfaas: await invokeOnce(new OpenFaasPlatform({ gatewayUrl: url }), 'fn'),
    };
    const expected = 'é'.repeat(EXCERPT_CHARS);
    for (const [adapter, r] of Object.entries(results)) {
      assert.equal(r.outcome, 'error', adapter);
      assert.equal(r.httpStatus, 503, adapter);
      assert.ok(r.error?.endsWith(`: ${expected}`), `${adapter}: ${r.error}`);
      assert.ok(!r.error?.endsWith(`${expected}é`), `${adapter}: no more than ${EXCERPT_CHARS} characters`);
    }
    // Knative and OpenFaaS send one payload.
    assert.deepEqual(
      bodies.slice(1).map((b) => JSON.parse(b)),
      [
        { size: '1k', seq: 3, durationMs: 5, memoryMb: 64 },
        { size: '1k', seq: 3, durationMs: 5, memoryMb: 64 },
      ],
    );
  });
});
