/**
 * The Knative platform against a small Knative ingress on 127.0.0.1 that routes by Host as
 * Kourier does (NAME.NAMESPACE.DOMAIN; an unknown host is 404), answers with the revision and pod
 * headers, and has a throttled (429) and a broken (503) Service; manifests read back as YAML;
 * kubectl replaced by a script that records its arguments; a replay of the Azure 2019 sample.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { FaasloadError } from '../src/errors.js';
import { KnativePlatform, type KnativeService } from '../src/platforms/knative/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';
import { closedAfterEach, scratchDir } from './helpers/cleanup.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR } from './helpers/paths.js';

const TEST = { timeout: 30_000 };
const never = new AbortController().signal;
const dir = scratchDir('faasload-kn-');
const closers = closedAfterEach();

interface Seen {
  method: string;
  url: string;
  host: string;
  body: string;
  contentType: string | undefined;
}

/** Serves any Service whose host ends with .NAMESPACE.DOMAIN (or only `known` when given). */
async function ingress(
  opts: { namespace?: string; domain?: string; known?: string[]; podHeader?: boolean } = {},
) {
  const seen: Seen[] = [];
  const suffix = `.${opts.namespace ?? 'default'}.${opts.domain ?? 'example.com'}`;
  const srv = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const host = req.headers.host ?? '';
      seen.push({
        method: req.method!,
        url: req.url!,
        host,
        body: Buffer.concat(chunks).toString(),
        contentType: req.headers['content-type'],
      });
      const name = host.endsWith(suffix) ? host.slice(0, -suffix.length) : undefined;
      if (!name || (opts.known && !opts.known.includes(name))) return res.writeHead(404).end();
      if (name === 'busy')
        return res.writeHead(429, { 'content-type': 'text/plain' }).end('Too Many Requests');
      if (name === 'broken') return res.writeHead(503).end('no healthy upstream');
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-knative-revision': `${name}-00001`,
      };
      if (opts.podHeader !== false) headers['x-pod-name'] = `${name}-00001-deployment-5d9f7-abcde`;
      res.writeHead(200, headers).end('{"ok":true}');
    });
  });
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  closers.push(async () => {
    srv.closeAllConnections();
    await new Promise((done) => srv.close(done));
  });
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

function arrival(seq: number): Arrival {
  return { seq, fn: 0, atUs: 0, durationMs: 5, memoryMb: 64 };
}

describe('Knative platform: invoke', () => {
  test('POSTs to the ingress with Host NAME.NAMESPACE.DOMAIN; the pod is the instance', TEST, async () => {
    const k = await ingress({ namespace: 'bench', domain: 'kn.local' });
    const p = new KnativePlatform({
      ingressUrl: k.url,
      namespace: 'bench',
      domain: 'kn.local',
      path: '/run',
    });
    closers.push(() => p.teardown());
    const fn: FunctionSpec = { id: 'a/b', name: 'fn-0-ab' };
    const r = await p.invoke(fn, arrival(7), never);
    assert.equal(r.outcome, 'ok', r.error);
    assert.equal(r.httpStatus, 200);
    assert.equal(r.instanceId, 'fn-0-ab-00001-deployment-5d9f7-abcde');
    assert.ok(r.endedAtUs >= r.sentAtUs);
    assert.equal(k.seen[0]!.host, 'fn-0-ab.bench.kn.local');
    assert.equal(k.seen[0]!.url, '/run');
    assert.equal(k.seen[0]!.contentType, 'application/json');
    assert.deepEqual(JSON.parse(k.seen[0]!.body), { seq: 7, durationMs: 5, memoryMb: 64 });
  });

  test('without a pod header the revision is the instance', TEST, async () => {
    const k = await ingress({ podHeader: false });
    const p = new KnativePlatform({ ingressUrl: k.url });
    closers.push(() => p.teardown());
    const r = await p.invoke({ id: 'x', name: 'svc' }, arrival(0), never);
    assert.equal(r.instanceId, 'svc-00001');
  });

  test('an unknown Service (404), throttling (429) and 503 are errors with the status', TEST, async () => {
    const k = await ingress({ known: ['busy', 'broken'] });
    const p = new KnativePlatform({ ingressUrl: k.url });
    closers.push(() => p.teardown());
    const missing = await p.invoke({ id: 'x', name: 'nope' }, arrival(0), never);
    assert.equal(missing.outcome, 'error');
    assert.equal(missing.httpStatus, 404);
    assert.equal(missing.error, 'HTTP 404');
    const busy = await p.invoke({ id: 'x', name: 'busy' }, arrival(1), never);
    assert.equal(busy.httpStatus, 429);
    assert.equal(busy.error, 'HTTP 429: Too Many Requests');
    const broken = await p.invoke({ id: 'x', name: 'broken' }, arrival(2), never);
    assert.equal(broken.outcome, 'error');
    assert.equal(broken.error, 'HTTP 503: no healthy upstream');
  });

  test('an unreachable ingress is an error naming it and the host', TEST, async () => {
    const p = new KnativePlatform({ ingressUrl: 'http://127.0.0.1:9', connectTimeoutMs: 2000 });
    closers.push(() => p.teardown());
    const r = await p.invoke({ id: 'x', name: 'svc' }, arrival(0), never);
    assert.equal(r.outcome, 'error');
    assert.match(
      r.error!,
      /^POST http:\/\/127\.0\.0\.1:9 \(Host svc\.default\.example\.com\): .*ECONNREFUSED/,
    );
  });

  test('invalid options are one E_USAGE error naming each', () => {
    assert.throws(
      () =>
        new KnativePlatform({ ingressUrl: 'ftp://x', namespace: 'Bad_NS', manifestsDir: dir, apply: false }),
      (e: unknown) => {
        assert.ok(e instanceof FaasloadError && e.code === 'E_USAGE');
        assert.match(e.message, /ingress URL: 'ftp:\/\/x'/);
        assert.match(e.message, /namespace: 'Bad_NS'/);
        return true;
      },
    );
  });
});

describe('Knative platform: deploy', () => {
  test('writes one Service manifest per function; kubectl apply and delete when asked', TEST, async () => {
    const k = await ingress();
    const manifests = join(dir, 'manifests');
    const log = join(dir, 'kubectl.log');
    const kubectl = join(dir, 'kubectl');
    writeFileSync(kubectl, `#!/bin/sh\necho "$@" >> ${log}\n`);
    chmodSync(kubectl, 0o755);
    const p = new KnativePlatform({
      ingressUrl: k.url,
      namespace: 'bench',
      image: 'registry.local/fn:1',
      manifestsDir: manifests,
      apply: true,
      kubectl,
    });
    const fns: FunctionSpec[] = [
      { id: 'app/f0', name: 'fn-0-f0', memoryMb: 256, concurrency: 4 },
      { id: 'app/f1', name: 'fn-1-f1' },
    ];
    await p.deploy(fns, never);
    assert.deepEqual(readdirSync(manifests).sort(), ['fn-0-f0.yaml', 'fn-1-f1.yaml']);
    const s = parse(readFileSync(join(manifests, 'fn-0-f0.yaml'), 'utf8')) as KnativeService;
    assert.equal(s.apiVersion, 'serving.knative.dev/v1');
    assert.equal(s.kind, 'Service');
    assert.equal(s.metadata.name, 'fn-0-f0');
    assert.equal(s.metadata.namespace, 'bench');
    assert.equal(s.metadata.annotations['faasload/function'], 'app/f0');
    const c = s.spec.template.spec.containers[0]!;
    assert.equal(c.image, 'registry.local/fn:1');
    assert.deepEqual(c.resources, { requests: { memory: '256Mi' }, limits: { memory: '256Mi' } });
    assert.deepEqual(c.env, [{ name: 'FAASLOAD_FUNCTION', value: 'app/f0' }]);
    assert.equal(s.spec.template.spec.containerConcurrency, 4);
    const s1 = parse(readFileSync(join(manifests, 'fn-1-f1.yaml'), 'utf8')) as KnativeService;
    assert.equal(s1.spec.template.spec.containers[0]!.resources, undefined);
    assert.equal(readFileSync(log, 'utf8'), `apply -f ${manifests}\n`);
    await p.teardown();
    assert.equal(
      readFileSync(log, 'utf8'),
      `apply -f ${manifests}\ndelete --ignore-not-found -f ${manifests}\n`,
    );
  });

  test('manifests without an image are E_USAGE at deploy', TEST, async () => {
    const p = new KnativePlatform({ ingressUrl: 'http://127.0.0.1:9', manifestsDir: join(dir, 'm3') });
    closers.push(() => p.teardown());
    await assert.rejects(p.deploy([{ id: 'a', name: 'a' }], never), /needs an image \(--knative-image\)/);
  });

  test('apply without kubectl is E_PLATFORM saying it was not found', TEST, async () => {
    const p = new KnativePlatform({
      ingressUrl: 'http://127.0.0.1:9',
      image: 'x',
      manifestsDir: join(dir, 'm2'),
      apply: true,
      kubectl: join(dir, 'no-such-kubectl'),
    });
    closers.push(() => p.teardown());
    await assert.rejects(p.deploy([{ id: 'a', name: 'a' }], never), /no-such-kubectl was not found/);
  });
});

describe('Knative platform: replay', () => {
  test('a replay of the Azure 2019 sample through the ingress is complete', {
    timeout: 120_000,
  }, async () => {
    const k = await ingress();
    const out = join(dir, 'run');
    const manifests = join(dir, 'replay-manifests');
    const r = await runCli([
      'replay',
      AZURE2019_DIR,
      ...['--to', '2m', '--functions', '8', '--speed', '30', '--max-duration', '20ms'],
      ...['--platform', 'knative', '--knative-url', k.url, '--knative-image', 'fn:1'],
      ...['--knative-manifests', manifests, '--out', out, '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    const summary = JSON.parse(r.stdout) as { planned: number };
    assert.equal(rows.length, summary.planned);
    assert.ok(rows.length >= 20);
    assert.ok(rows.every((x) => x.outcome === 'ok' && x.http_status === 200));
    assert.ok(rows.every((x) => String(x.instance_id) === `${x.target}-00001-deployment-5d9f7-abcde`));
    assert.equal(k.seen.length, rows.length);
    assert.deepEqual(
      new Set(k.seen.map((s) => s.host)),
      new Set(rows.map((x) => `${x.target}.default.example.com`)),
    );
    assert.equal(readdirSync(manifests).length, 8);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.platform.kind, 'knative');
  });

  test('--knative-url is required and knative flags need --platform knative', {
    timeout: 90_000,
  }, async () => {
    const a = await runCli(['replay', AZURE2019_DIR, '--platform', 'knative']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--platform knative needs --knative-url/);
    const b = await runCli(['replay', AZURE2019_DIR, '--knative-url', 'http://127.0.0.1:1']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--knative-url only apply to --platform knative/);
  });
});

describe('Knative platform: deploy and teardown commands', () => {
  test('deploy writes and applies the Services; teardown deletes them with kubectl', {
    timeout: 60_000,
  }, async () => {
    const manifests = join(dir, 'cli-manifests');
    const log = join(dir, 'cli-kubectl.log');
    const bin = mkdtempSync(join(tmpdir(), 'faasload-kubectl-'));
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\necho "$@" >> ${log}\n`);
    chmodSync(join(bin, 'kubectl'), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      const flags = [
        '--platform',
        'knative',
        '--knative-url',
        'http://127.0.0.1:9',
        '--knative-manifests',
        manifests,
        '--knative-apply',
      ];
      const d = await runCli([
        'deploy',
        AZURE2019_DIR,
        '--functions',
        '3',
        ...flags,
        '--knative-image',
        'fn:1',
      ]);
      assert.equal(d.code, 0, d.stderr);
      assert.equal(readdirSync(manifests).length, 3);
      assert.equal(
        readFileSync(log, 'utf8'),
        `apply -f ${manifests}\n`,
        'deploy leaves the Services applied',
      );
      const t = await runCli(['teardown', ...flags]);
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stdout, /^deleted 3 actions/);
      assert.equal(
        readFileSync(log, 'utf8'),
        `apply -f ${manifests}\ndelete --ignore-not-found -f ${manifests}\n`,
      );
    } finally {
      process.env.PATH = saved;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
