/**
 * The AWS Lambda platform against a small Lambda endpoint on 127.0.0.1 that checks every
 * request's SigV4 signature (recomputed here with @smithy/signature-v4 and the known test keys:
 * a wrong one is 403 InvalidSignatureException, as AWS answers) and follows the Invoke API:
 * RequestResponse with the log tail (X-Amz-Log-Result, REPORT line with Init Duration on a cold
 * start), Event (202), X-Amz-Function-Error, 404 ResourceNotFoundException, 429
 * TooManyRequestsException, 500 ServiceException; GetFunction for deploy; credentials from the
 * environment and from a profile; a replay of the Azure 2019 sample through the CLI.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { FaasloadError } from '../src/errors.js';
import { LambdaPlatform, parseReport, resolveAwsIdentity } from '../src/platforms/lambda/index.js';
import type { Arrival } from '../src/schedule/types.js';
import { closedAfterEach, scratchDir } from './helpers/cleanup.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR } from './helpers/paths.js';

const TEST = { timeout: 30_000 };
const never = new AbortController().signal;
// AWS's documented example keys: not real credentials.
const KEYS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const REGION = 'eu-west-3';
const ENV = {
  AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
  AWS_REGION: REGION,
};
const dir = scratchDir('faasload-lambda-');
const closers = closedAfterEach();

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  signatureOk: boolean;
}

/** Recomputes the request's signature from its signed headers and compares the Authorization. */
async function checkSignature(req: IncomingMessage, url: URL, body: string, port: number): Promise<boolean> {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/lambda\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m || m[1] !== KEYS.accessKeyId || m[3] !== REGION) return false;
  const amzDate = String(req.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const headers: Record<string, string> = {};
  for (const h of m[4]!.split(';')) headers[h] = String(req.headers[h]);
  const signer = new SignatureV4({ service: 'lambda', region: REGION, credentials: KEYS, sha256: Sha256 });
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const again = await signer.sign(
    {
      method: req.method!,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path: url.pathname,
      query,
      headers,
      body,
    },
    { signingDate },
  );
  return again.headers.authorization === auth;
}

async function fakeLambda(functions: string[]) {
  const seen: Seen[] = [];
  const calls = new Map<string, number>();
  let port = 0;
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      const url = new URL(req.url!, 'http://x');
      const signatureOk = await checkSignature(req, url, body, port);
      seen.push({ method: req.method!, path: url.pathname, headers: req.headers, body, signatureOk });
      const requestId = randomUUID();
      const fail = (status: number, type: string, message: string) =>
        res
          .writeHead(status, {
            'content-type': 'application/json',
            'x-amzn-requestid': requestId,
            'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.awslambda/`,
          })
          .end(JSON.stringify({ Type: 'User', message }));
      if (!signatureOk) {
        return fail(
          403,
          'InvalidSignatureException',
          'The request signature we calculated does not match the signature you provided.',
        );
      }
      const m = /^\/2015-03-31\/functions\/([^/]+)(\/invocations)?$/.exec(url.pathname);
      if (!m) return fail(404, 'UnknownOperationException', 'unknown operation');
      const name = decodeURIComponent(m[1]!);
      if (!functions.includes(name)) {
        return fail(
          404,
          'ResourceNotFoundException',
          `Function not found: arn:aws:lambda:${REGION}:123456789012:function:${name}`,
        );
      }
      if (!m[2]) {
        return res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ Configuration: { FunctionName: name } }));
      }
      if (name === 'busy') return fail(429, 'TooManyRequestsException', 'Rate Exceeded.');
      if (name === 'broken') return fail(500, 'ServiceException', 'internal failure');
      const type = req.headers['x-amz-invocation-type'];
      if (type === 'Event') return res.writeHead(202, { 'x-amzn-requestid': requestId }).end();
      const n = (calls.get(name) ?? 0) + 1;
      calls.set(name, n);
      const init = n === 1 ? '\tInit Duration: 152.31 ms' : '';
      const log = `START RequestId: ${requestId} Version: $LATEST\nEND RequestId: ${requestId}\nREPORT RequestId: ${requestId}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB${init}\t\n`;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
        'x-amz-executed-version': '$LATEST',
      };
      if (req.headers['x-amz-log-type'] === 'Tail')
        headers['x-amz-log-result'] = Buffer.from(log).toString('base64');
      if (name === 'fails') {
        headers['x-amz-function-error'] = 'Unhandled';
        return res.writeHead(200, headers).end('{"errorMessage":"boom","errorType":"Error"}');
      }
      res.writeHead(200, headers).end('{"ok":true}');
    });
  });
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  port = (srv.address() as AddressInfo).port;
  closers.push(async () => {
    srv.closeAllConnections();
    await new Promise((done) => srv.close(done));
  });
  return { url: `http://127.0.0.1:${port}`, seen };
}

function arrival(seq: number): Arrival {
  return { seq, fn: 0, atUs: 0, durationMs: 5, memoryMb: 64 };
}

describe('Lambda: the log tail', () => {
  test('REPORT fields, Init Duration only when cold', () => {
    const r = parseReport(
      'START RequestId: abc-1 Version: $LATEST\nREPORT RequestId: abc-1\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB\tMax Memory Used: 64 MB\tInit Duration: 99.90 ms\t\n',
    );
    assert.deepEqual(r, {
      requestId: 'abc-1',
      durationMs: 1.5,
      billedDurationMs: 2,
      memorySizeMb: 256,
      maxMemoryUsedMb: 64,
      initDurationMs: 99.9,
    });
    const warm = parseReport(
      'REPORT RequestId: x\tDuration: 3.00 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t',
    );
    assert.equal(warm?.initDurationMs, undefined);
    assert.equal(warm?.durationMs, 3);
    assert.equal(parseReport('no report here'), undefined);
  });
});

describe('Lambda: credentials', () => {
  test('the environment first, then a profile of the shared files; none is E_USAGE', async () => {
    const env = await resolveAwsIdentity({}, { ...ENV, AWS_SESSION_TOKEN: 'tok' });
    assert.deepEqual(env.credentials, { ...KEYS, sessionToken: 'tok' });
    assert.equal(env.region, REGION);
    const creds = join(dir, 'credentials');
    const config = join(dir, 'config');
    writeFileSync(
      creds,
      '[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n[bench]\naws_access_key_id = AKIABENCH\naws_secret_access_key = s2\n',
    );
    writeFileSync(config, '[profile bench]\nregion = ap-south-1\n[profile sso]\nsso_session = corp\n');
    const files = { AWS_SHARED_CREDENTIALS_FILE: creds, AWS_CONFIG_FILE: config };
    const bench = await resolveAwsIdentity({ profile: 'bench' }, { ...files, ...ENV });
    assert.equal(bench.credentials.accessKeyId, 'AKIABENCH');
    assert.equal(bench.region, REGION, 'AWS_REGION wins over the profile');
    const viaEnv = await resolveAwsIdentity({}, { ...files, AWS_PROFILE: 'bench' });
    assert.equal(viaEnv.source, 'profile bench');
    assert.equal(viaEnv.region, 'ap-south-1');
    await assert.rejects(
      resolveAwsIdentity({ profile: 'sso' }, files),
      /uses sso_session, which faasload does not follow/,
    );
    await assert.rejects(resolveAwsIdentity({ profile: 'none' }, files), (e: unknown) => {
      assert.ok(e instanceof FaasloadError && e.code === 'E_USAGE');
      assert.match(e.message, /no AWS credentials/);
      return true;
    });
  });
});

describe('Lambda: invoke', () => {
  test(
    'RequestResponse: signed, the log tail mapped (cold with Init Duration, then warm)',
    TEST,
    async () => {
      const l = await fakeLambda(['fn-0']);
      const p = new LambdaPlatform({ endpoint: l.url }, ENV);
      closers.push(() => p.teardown());
      await p.deploy([{ id: 'a', name: 'fn-0' }], never);
      const cold = await p.invoke({ id: 'a', name: 'fn-0' }, arrival(1), never);
      assert.equal(cold.outcome, 'ok', cold.error);
      assert.equal(cold.httpStatus, 200);
      assert.equal(cold.coldStart, true);
      assert.equal(cold.initMs, 152.31);
      assert.equal(cold.execMs, 12.34);
      assert.match(cold.activationId!, /^[0-9a-f-]{36}$/);
      const warm = await p.invoke({ id: 'a', name: 'fn-0' }, arrival(2), never);
      assert.equal(warm.coldStart, false);
      assert.equal(warm.initMs, undefined);
      assert.ok(
        l.seen.every((s) => s.signatureOk),
        'every request is signed right',
      );
      const post = l.seen.find((s) => s.method === 'POST')!;
      assert.equal(post.path, '/2015-03-31/functions/fn-0/invocations');
      assert.equal(post.headers['x-amz-invocation-type'], 'RequestResponse');
      assert.equal(post.headers['x-amz-log-type'], 'Tail');
      assert.deepEqual(JSON.parse(post.body), { seq: 1, durationMs: 5, memoryMb: 64 });
    },
  );

  test('Event: 202 with the request id; a qualifier and a prefix', TEST, async () => {
    const l = await fakeLambda(['bench-fn-0']);
    const p = new LambdaPlatform(
      { endpoint: l.url, invocationType: 'Event', qualifier: 'live', functionPrefix: 'bench-' },
      ENV,
    );
    closers.push(() => p.teardown());
    const r = await p.invoke({ id: 'a', name: 'fn-0' }, arrival(0), never);
    assert.equal(r.outcome, 'ok', r.error);
    assert.equal(r.httpStatus, 202);
    assert.ok(r.activationId);
    assert.equal(r.execMs, undefined);
    const post = l.seen[0]!;
    assert.equal(post.path, '/2015-03-31/functions/bench-fn-0/invocations');
    assert.equal(post.headers['x-amz-log-type'], undefined);
    assert.ok(post.signatureOk);
  });

  test('404, 429, 500 and a function error are errors with the type and the message', TEST, async () => {
    const l = await fakeLambda(['busy', 'broken', 'fails']);
    const p = new LambdaPlatform({ endpoint: l.url }, ENV);
    closers.push(() => p.teardown());
    const missing = await p.invoke({ id: 'a', name: 'nope' }, arrival(0), never);
    assert.equal(missing.httpStatus, 404);
    assert.match(
      missing.error!,
      /^HTTP 404 ResourceNotFoundException: Function not found: arn:aws:lambda:.*:function:nope$/,
    );
    const busy = await p.invoke({ id: 'a', name: 'busy' }, arrival(1), never);
    assert.equal(busy.error, 'HTTP 429 TooManyRequestsException: Rate Exceeded.');
    const broken = await p.invoke({ id: 'a', name: 'broken' }, arrival(2), never);
    assert.equal(broken.error, 'HTTP 500 ServiceException: internal failure');
    const fails = await p.invoke({ id: 'a', name: 'fails' }, arrival(3), never);
    assert.equal(fails.outcome, 'error');
    assert.equal(fails.httpStatus, 200);
    assert.equal(fails.error, 'function error Unhandled: {"errorMessage":"boom","errorType":"Error"}');
    assert.equal(fails.execMs, 12.34, 'the platform view is kept for a failed function');
  });

  test('a wrong secret fails the signature check: 403 InvalidSignatureException', TEST, async () => {
    const l = await fakeLambda(['fn-0']);
    const p = new LambdaPlatform({ endpoint: l.url }, { ...ENV, AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    closers.push(() => p.teardown());
    const r = await p.invoke({ id: 'a', name: 'fn-0' }, arrival(0), never);
    assert.equal(r.httpStatus, 403);
    assert.match(r.error!, /^HTTP 403 InvalidSignatureException: The request signature we calculated/);
    assert.ok(!r.error!.includes('not-the-secret'));
    await assert.rejects(
      p.deploy([{ id: 'a', name: 'fn-0' }], never),
      /checking function 'fn-0': HTTP 403 InvalidSignatureException/,
    );
  });

  test('deploy names the functions that do not exist', TEST, async () => {
    const l = await fakeLambda(['fn-0']);
    const p = new LambdaPlatform({ endpoint: l.url }, ENV);
    closers.push(() => p.teardown());
    await assert.rejects(
      p.deploy(
        [
          { id: 'a', name: 'fn-0' },
          { id: 'b', name: 'fn-1' },
        ],
        never,
      ),
      /1 function\(s\) do not exist \(deploy them first\): fn-1/,
    );
  });
});

describe('Lambda: replay', () => {
  test('a replay of the Azure 2019 sample against the signed endpoint is complete', {
    timeout: 120_000,
  }, async () => {
    const l = await fakeLambda([]);
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    const out = join(dir, 'run');
    try {
      // First learn the names from a dry deploy failure, then serve them.
      const probe = await runCli([
        'replay',
        AZURE2019_DIR,
        ...[
          '--to',
          '2m',
          '--functions',
          '8',
          '--platform',
          'lambda',
          '--lambda-endpoint',
          l.url,
          '--out',
          join(dir, 'probe'),
        ],
      ]);
      assert.equal(probe.code, 4, probe.stderr);
      assert.match(probe.stderr, /8 function\(s\) do not exist/);
      const wanted = new Set(l.seen.map((s) => decodeURIComponent(s.path.split('/')[3]!)));
      assert.equal(wanted.size, 8);
      const l2 = await fakeLambda([...wanted]);
      const r = await runCli([
        'replay',
        AZURE2019_DIR,
        ...['--to', '2m', '--functions', '8', '--speed', '30', '--max-duration', '20ms'],
        ...['--platform', 'lambda', '--lambda-endpoint', l2.url, '--out', out, '--json'],
      ]);
      assert.equal(r.code, 0, r.stderr);
      const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
      assert.equal(rows.length, (JSON.parse(r.stdout) as { planned: number }).planned);
      const bad = rows.filter((x) => x.outcome !== 'ok');
      assert.equal(bad.length, 0, String(bad[0]?.error));
      assert.ok(rows.every((x) => x.exec_ms === 12.34));
      assert.equal(
        rows.filter((x) => x.cold_start === true).length,
        wanted.size,
        'one cold start per function',
      );
      assert.ok(l2.seen.every((s) => s.signatureOk));
      const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
      assert.equal(JSON.parse(manifest).platform.kind, 'lambda');
      assert.ok(!manifest.includes(KEYS.secretAccessKey), 'the secret is not in the manifest');
    } finally {
      for (const k of Object.keys(ENV)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
