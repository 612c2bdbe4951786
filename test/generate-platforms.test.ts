/**
 * `generate --platform openfaas` and `--platform lambda` against fake servers on 127.0.0.1: each
 * row holds what that platform reports (docs/generate.md, "What each platform gives") and null
 * for the rest. The fakes answer with a body that carries a measured wrapper's targets: these
 * platforms do not hand the answer back (no ReturnsActionResults), so the targets stay null.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { parquetBatches } from '../src/dataset/parquet-read.js';
import { TARGETS_FIELD } from '../src/generate/action-code.js';
import { generate } from '../src/generate/run.js';
import { closedAfterEach, scratchDir } from './helpers/cleanup.js';

const dir = scratchDir('faasload-generate-platforms-');
const closers = closedAfterEach();
const TEST = { timeout: 60_000 };

type Row = Record<string, unknown>;

/** A body as a measured wrapper would answer: faasload must not read it on these platforms. */
const WRAPPED_ANSWER = JSON.stringify({
  checksum: 'f00d',
  timings: { computeMs: 5 },
  [TARGETS_FIELD]: { functionMs: 7, cpuUserUs: 900, peakRssBytes: 1_000_000, minorFaults: 3 },
});

/** The in-instance targets, null on every platform that does not return the action's answer. */
const TARGETS = [
  'function_ms',
  'compute_ms',
  'cpu_user_us',
  'cpu_system_us',
  'peak_rss_bytes',
  'peak_rss_delta_bytes',
  'peak_rss_method',
  'cgroup_peak_bytes',
  'minor_faults',
  'major_faults',
  'voluntary_ctx_switches',
  'involuntary_ctx_switches',
  'block_read_bytes',
  'block_write_bytes',
  'net_rx_bytes',
  'net_tx_bytes',
  'checksum',
];

async function readRows(out: string): Promise<Row[]> {
  const rows: Row[] = [];
  const parts = join(out, 'executions');
  for (const file of readdirSync(parts).filter((f) => f.endsWith('.parquet'))) {
    for await (const batch of parquetBatches(join(parts, file))) {
      for (const r of batch) rows.push(r!.toJSON() as Row);
    }
  }
  return rows.sort((a, b) => Number(a.index) - Number(b.index));
}

/** A server on 127.0.0.1 port 0 whose handler gets each request with its body; its URL. */
async function fake(
  handle: (req: IncomingMessage, url: URL, body: string, res: ServerResponse) => void,
): Promise<string> {
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, new URL(req.url!, 'http://x'), Buffer.concat(chunks).toString(), res));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

function writePlan(name: string, text: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

test('openfaas: rows with the gateway call id and X-Duration-Seconds; the rest null', TEST, async () => {
  const invoked: { path: string; body: Record<string, unknown> }[] = [];
  let calls = 0;
  const url = await fake((req, url, body, res) => {
    // generate deploys nothing here: it checks that each function exists.
    if (req.method === 'GET' && url.pathname.startsWith('/system/function/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ name: url.pathname.split('/').pop(), replicas: 1 }));
    }
    if (req.method === 'POST' && url.pathname.startsWith('/function/')) {
      invoked.push({ path: url.pathname, body: JSON.parse(body) as Record<string, unknown> });
      calls++;
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-call-id': `call-${calls}`,
        'x-duration-seconds': (0.012 * calls).toFixed(3),
      });
      return res.end(WRAPPED_ANSWER);
    }
    res.writeHead(404).end('not found');
  });
  const planPath = writePlan(
    'of',
    `seed: 3
functions:
  - name: thumbs
    action: thumbs
    runs: 2
    inputs: { generator: image, count: 2, size: 16, distinct: true }
  - name: hash
    runs: 2
    inputs: { count: 2, size: { range_int: [64, 128] } }
`,
  );
  const out = join(dir, 'of');
  const r = await generate({
    planPath,
    out,
    platform: 'openfaas',
    platformOptions: { openfaas: { gatewayUrl: url } },
    monitor: { monitors: 'none' },
  });
  assert.deepEqual([r.status, r.rows, r.errors], ['complete', 4, 0]);
  const rows = await readRows(out);
  assert.equal(rows.length, 4);
  assert.deepEqual(invoked.map((i) => i.path).sort(), [
    '/function/gen-hash',
    '/function/gen-hash',
    '/function/thumbs',
    '/function/thumbs',
  ]);
  const byCall = new Map(rows.map((x) => [x.activation_id, x]));
  for (let call = 1; call <= 4; call++) {
    const x = byCall.get(`call-${call}`);
    assert.ok(x, `a row has X-Call-Id call-${call}`);
    assert.equal(x.outcome, 'ok');
    assert.equal(x.platform, 'openfaas');
    assert.ok(Math.abs(Number(x.exec_ms) - 12 * call) < 1e-6, `exec_ms ${x.exec_ms} from X-Duration-Seconds`);
    assert.ok(Number(x.latency_us) > 0);
    for (const k of [
      'cold_start',
      'init_ms',
      'wait_ms',
      'instance_id',
      'billed_ms',
      'platform_max_memory_mb',
    ])
      assert.equal(x[k], null, `${k} is null on openfaas`);
    for (const k of TARGETS) assert.equal(x[k], null, `${k} is null on openfaas`);
  }
  // The function gets its input's seed and size.
  for (const { body } of invoked) assert.match(String(body.seed), /^\d+$/);
});

test(
  'lambda: rows with the request id and the REPORT line (Duration, Init Duration, billed, memory); the rest null',
  TEST,
  async () => {
    // No credentials from this machine's files: the environment's (AWS's documented example keys).
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'eu-west-3',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_CONFIG_FILE: join(dir, 'no-config'),
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    closers.push(async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    const invoked: string[] = [];
    const warm = new Set<string>();
    let calls = 0;
    const url = await fake((req, url, _body, res) => {
      if (!String(req.headers.authorization).startsWith('AWS4-HMAC-SHA256 ')) {
        res.writeHead(403, { 'x-amzn-errortype': 'MissingAuthenticationTokenException' });
        return res.end('{"message":"unsigned"}');
      }
      const name = decodeURIComponent(url.pathname.split('/')[3] ?? '');
      if (req.method === 'GET' && /^\/2015-03-31\/functions\/[^/]+$/.test(url.pathname)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ Configuration: { FunctionName: name } }));
      }
      if (req.method === 'POST' && url.pathname.endsWith('/invocations')) {
        invoked.push(name);
        calls++;
        const cold = !warm.has(name);
        warm.add(name);
        const id = `req-${calls}`;
        const report = `REPORT RequestId: ${id}\tDuration: ${10 + calls}.50 ms\tBilled Duration: ${11 + calls} ms\tMemory Size: 128 MB\tMax Memory Used: ${60 + calls} MB${cold ? '\tInit Duration: 150.25 ms' : ''}\t\n`;
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-amzn-requestid': id,
          'x-amz-log-result': Buffer.from(`START RequestId: ${id}\n${report}`).toString('base64'),
        });
        return res.end(WRAPPED_ANSWER);
      }
      res.writeHead(404, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      res.end('{"message":"not found"}');
    });
    const planPath = writePlan(
      'lambda',
      `seed: 5
concurrency: 1
functions:
  - name: resize
    action: resize
    runs: 3
    inputs: { generator: image, count: 3, size: 16, distinct: true }
`,
    );
    const out = join(dir, 'lambda');
    const r = await generate({
      planPath,
      out,
      platform: 'lambda',
      platformOptions: { lambda: { endpoint: url } },
      monitor: { monitors: 'none' },
    });
    assert.deepEqual([r.status, r.rows, r.errors], ['complete', 3, 0]);
    assert.deepEqual(invoked, ['resize', 'resize', 'resize']);
    const rows = await readRows(out);
    assert.deepEqual(
      rows.map((x) => [
        x.activation_id,
        x.cold_start,
        x.init_ms,
        x.exec_ms,
        x.billed_ms,
        x.platform_max_memory_mb,
      ]),
      [1, 2, 3].map((call) => [
        `req-${call}`,
        call === 1,
        call === 1 ? 150.25 : null,
        10.5 + call,
        11 + call,
        60 + call,
      ]),
    );
    for (const x of rows) {
      assert.equal(x.outcome, 'ok');
      assert.equal(x.platform, 'lambda');
      assert.ok(Number(x.latency_us) > 0);
      for (const k of ['wait_ms', 'instance_id']) assert.equal(x[k], null, `${k} is null on lambda`);
      for (const k of TARGETS) assert.equal(x[k], null, `${k} is null on lambda`);
    }
  },
);
