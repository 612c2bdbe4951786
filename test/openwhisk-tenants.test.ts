/**
 * The OpenWhisk adapter's tenants (one key and namespace per user, functions routed by their
 * owner), its wsk properties file option, its TLS option (a real HTTPS server on 127.0.0.1 with a
 * self-signed certificate made by openssl here) and its wskdeploy-style manifests. Against a small
 * multi-key OpenWhisk on 127.0.0.1 whose requests are checked against the swagger, and end to end
 * against two embedded platforms (one per tenant) through the CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type OpenWhiskServer, startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import { FaasloadError } from '../src/errors.js';
import {
  createOpenWhisk,
  fnv1a,
  OpenWhiskPlatform,
  OpenWhiskTenantsPlatform,
  parseManifest,
  parseTenants,
  routeTenant,
} from '../src/platforms/openwhisk/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import { loadPlan } from '../src/run/load-plan.js';
import { functionSpecs } from '../src/run/names.js';
import type { Arrival } from '../src/schedule/types.js';
import { closedAfterEach, scratchDir } from './helpers/cleanup.js';
import { runCli } from './helpers/cli.js';
import { checkRequest, validate } from './helpers/openwhisk-swagger.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR } from './helpers/paths.js';

const TEST = { timeout: 30_000 };
const never = new AbortController().signal;
const KEYS = {
  alice: '11111111-1111-4111-8111-111111111111:AliceKeyAliceKeyAliceKey0123456789',
  bob: '22222222-2222-4222-8222-222222222222:BobKeyBobKeyBobKeyBobKey0123456789',
} as const;
const NS = { alice: 'alice-ns', bob: 'bob-ns' } as const;
const dir = scratchDir('faasload-owt-');

const closers = closedAfterEach();

function arrival(seq: number): Arrival {
  return { seq, fn: 0, atUs: 0, durationMs: 1, memoryMb: 0 };
}

interface Seen {
  method: string;
  path: string;
  tenant: string | undefined;
  body: string;
}

/**
 * A multi-tenant OpenWhisk: each key is a subject with its own namespace ('_' means it); a key
 * used on another namespace is 403, an unknown key 401. Actions, packages and activations are kept
 * per namespace. Every request is checked against the swagger (problems).
 */
async function multiTenantFake(tls?: { key: string; cert: string }) {
  const seen: Seen[] = [];
  const problems: string[] = [];
  const store = new Map<string, Record<string, unknown>>();
  let next = 1;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const url = new URL(req.url!, 'http://x');
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const given = Buffer.from(
        (req.headers.authorization ?? '').replace(/^Basic /, ''),
        'base64',
      ).toString();
      const tenant = (Object.keys(KEYS) as (keyof typeof KEYS)[]).find((t) => KEYS[t] === given);
      seen.push({ method: req.method!, path: url.pathname, tenant, body });
      if (!tenant) return reply(401, { error: 'The supplied authentication is invalid.' });
      problems.push(...checkRequest(req.method!, url, req.headers, body));
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/(actions|packages|activations)\/(.+)$/.exec(url.pathname);
      if (!m) return reply(404, { error: 'no route' });
      const ns = decodeURIComponent(m[1]!) === '_' ? NS[tenant] : decodeURIComponent(m[1]!);
      if (ns !== NS[tenant]) return reply(403, { error: 'not authorized' });
      const key = `${ns}/${m[2]}/${decodeURIComponent(m[3]!)}`;
      if (req.method === 'PUT') {
        store.set(key, JSON.parse(body) as Record<string, unknown>);
        return reply(200, { ...JSON.parse(body), namespace: ns, version: '0.0.1' });
      }
      if (req.method === 'DELETE') return store.delete(key) ? reply(200, {}) : reply(404, { error: 'gone' });
      if (req.method === 'GET') {
        const rec = store.get(key);
        return rec ? reply(200, rec) : reply(404, { error: 'not yet' });
      }
      if (!store.has(key)) return reply(404, { error: 'The requested resource does not exist.' });
      const id = (next++).toString(16).padStart(32, '0');
      const record = {
        namespace: ns,
        name: m[3]!,
        version: '0.0.1',
        publish: false,
        subject: tenant,
        activationId: id,
        start: Date.now(),
        end: Date.now() + 9,
        duration: 9,
        statusCode: 0,
        response: { status: 'success', success: true, result: { tenant } },
        logs: [],
        annotations: [
          { key: 'waitTime', value: 3 },
          { key: 'initTime', value: 4 },
        ],
      };
      problems.push(...validate(record, { $ref: '#/definitions/Activation' }, 'record'));
      store.set(`${ns}/activations/${id}`, record);
      if (url.searchParams.get('blocking') === 'true') return reply(200, record);
      return reply(202, { activationId: id });
    });
  };
  const srv = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  const port = (srv.address() as AddressInfo).port;
  closers.push(async () => {
    srv.closeAllConnections();
    await new Promise((done) => srv.close(done));
    assert.deepEqual(problems, [], 'requests and records follow the swagger');
  });
  return { base: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, seen, store };
}

function tenantsFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('OpenWhisk tenants: routing', () => {
  test('FNV-1a gives its published values; listed owners win; one owner, one tenant', () => {
    assert.equal(fnv1a(''), 0x811c9dc5);
    assert.equal(fnv1a('a'), 0xe40c292c);
    assert.equal(fnv1a('foobar'), 0xbf9cf968);
    const tenants = [
      { name: 'a', auth: 'x:y', owners: ['app-1'] },
      { name: 'b', auth: 'x:z' },
      { name: 'c', auth: 'x:w' },
    ];
    assert.equal(routeTenant(tenants, { id: 'f', owner: 'app-1' }), 0);
    for (let i = 0; i < 50; i++) {
      const owner = `owner-${i}`;
      const t = routeTenant(tenants, { id: `f${i}`, owner });
      assert.equal(t, fnv1a(owner) % 3);
      assert.equal(routeTenant(tenants, { id: `other${i}`, owner }), t, 'same owner, same tenant');
    }
    const spread = new Set(Array.from({ length: 50 }, (_, i) => routeTenant(tenants, { id: `g${i}` })));
    assert.equal(spread.size, 3, 'unowned functions spread over every tenant by id');
  });

  test('deploy and invoke use each tenant key and namespace only for its own functions', TEST, async () => {
    const f = await multiTenantFake();
    const tenants = parseTenants(
      `apihost: ${f.base}\ntenants:\n  - name: alice\n    auth: ${KEYS.alice}\n    namespace: ${NS.alice}\n    owners: [app-0]\n  - name: bob\n    auth: ${KEYS.bob}\n`,
      'tenants.yaml',
    );
    const p = new OpenWhiskTenantsPlatform(tenants, { pollIntervalMs: 5 });
    closers.push(() => p.teardown());
    const specs: FunctionSpec[] = Array.from({ length: 12 }, (_, i) => ({
      id: `app-${i % 6}/f${i}`,
      name: `fn-${i}`,
      owner: `app-${i % 6}`,
    }));
    await p.deploy(specs, never);
    const expected = new Map(specs.map((s) => [s.name, tenants[p.tenantOf(s)]!.name]));
    assert.equal(expected.get('fn-0'), 'alice', 'a listed owner goes to its tenant');
    assert.deepEqual(new Set(expected.values()), new Set(['alice', 'bob']), 'both tenants get functions');
    for (const s of specs) {
      const r = await p.invoke(s, arrival(0), never);
      assert.equal(r.outcome, 'ok', r.error);
      assert.equal(r.waitMs, 3);
      assert.equal(r.initMs, 4);
      assert.equal(r.execMs, 5);
    }
    for (const req of f.seen) {
      const name = req.path.split('/').at(-1)!;
      assert.equal(req.tenant, expected.get(name), `${req.method} ${req.path} with its tenant's key`);
      const ns = req.path.split('/')[4];
      assert.equal(ns, req.tenant === 'alice' ? NS.alice : '_', 'alice names her namespace, bob uses _');
    }
    assert.match(p.address, /^http:\/\/127\.0\.0\.1:\d+ \(tenants: alice, bob\)$/);
    await p.teardown();
    assert.equal(
      [...f.store.keys()].filter((k) => k.includes('/actions/')).length,
      0,
      'teardown deletes all',
    );
  });

  test('non-blocking per tenant: each activation is polled with its own key', TEST, async () => {
    const f = await multiTenantFake();
    const p = createOpenWhisk({
      tenantsFile: tenantsFile(
        'nb.yaml',
        `tenants:\n  - {name: alice, auth: "${KEYS.alice}", apihost: "${f.base}", owners: [u1]}\n  - {name: bob, auth: "${KEYS.bob}", apihost: "${f.base}", owners: [u2]}\n`,
      ),
      blocking: false,
      pollIntervalMs: 5,
    });
    closers.push(() => p.teardown());
    const a: FunctionSpec = { id: 'u1/a', name: 'a', owner: 'u1' };
    const b: FunctionSpec = { id: 'u2/b', name: 'b', owner: 'u2' };
    await p.deploy([a, b], never);
    const [ra, rb] = await Promise.all([p.invoke(a, arrival(0), never), p.invoke(b, arrival(1), never)]);
    assert.equal(ra.outcome, 'ok');
    assert.equal(rb.outcome, 'ok');
    assert.equal(ra.httpStatus, 202);
    const polls = f.seen.filter((s) => s.method === 'GET' && s.path.includes('/activations/'));
    assert.ok(polls.some((s) => s.path.endsWith(ra.activationId!) && s.tenant === 'alice'));
    assert.ok(polls.some((s) => s.path.endsWith(rb.activationId!) && s.tenant === 'bob'));
  });

  test('a bad tenants file names every problem and never a key', () => {
    assert.throws(
      () =>
        parseTenants(
          `tenants:\n  - {name: a, auth: nocolon}\n  - {name: a, auth: "${KEYS.bob}", owners: [o]}\n  - {name: c, auth: "${KEYS.bob}", owners: [o]}\n`,
          't.yaml',
        ),
      (e: unknown) => {
        assert.ok(e instanceof FaasloadError && e.code === 'E_USAGE');
        assert.match(e.message, /t\.yaml/);
        assert.match(e.message, /tenant a: auth must be 'UUID:KEY'/);
        assert.match(e.message, /tenant a: name used twice/);
        assert.match(e.message, /owner 'o' listed by a and c/);
        assert.ok(!e.message.includes('AliceKey') && !e.message.includes('BobKey'));
        return true;
      },
    );
    assert.throws(() => parseTenants('tenants: []', 't.yaml'), /expected 'tenants:'/);
    assert.throws(
      () => createOpenWhisk({ tenantsFile: join(dir, 'missing.yaml') }),
      /cannot read the tenants file .*missing\.yaml: ENOENT/,
    );
    assert.throws(
      () =>
        createOpenWhisk({
          tenantsFile: tenantsFile('x.yaml', 'tenants: [{name: a, auth: "u:k"}]'),
          auth: 'u:k',
        }),
      /--auth and --tenants/,
    );
    assert.throws(
      () =>
        createOpenWhisk({
          tenantsFile: tenantsFile('nohost.yaml', 'tenants: [{name: a, auth: "u:kkkk"}]'),
          configFile: '',
        }),
      /tenant a: no API host/,
    );
  });
});

describe('OpenWhisk: a wsk properties file (--wskprops)', () => {
  test('is read instead of ~/.wskprops; without a key the error names it', TEST, async () => {
    const f = await multiTenantFake();
    const props = join(dir, 'props');
    writeFileSync(props, `APIHOST=${f.base}\nAUTH=${KEYS.bob}\n`);
    const p = createOpenWhisk({ configFile: props, pollIntervalMs: 5 });
    closers.push(() => p.teardown());
    assert.equal(p.address, f.base);
    const fn: FunctionSpec = { id: 'x', name: 'x' };
    await p.deploy([fn], never);
    assert.equal((await p.invoke(fn, arrival(0), never)).outcome, 'ok');
    assert.ok(f.seen.every((s) => s.tenant === 'bob'));
    const empty = join(dir, 'empty-props');
    writeFileSync(empty, `APIHOST=${f.base}\n`);
    const saved = { ...process.env };
    for (const k of ['WHISK_AUTH', '__OW_API_KEY']) delete process.env[k];
    try {
      assert.throws(() => createOpenWhisk({ configFile: empty }), /APIHOST and AUTH in .*empty-props/);
    } finally {
      Object.assign(process.env, saved);
    }
  });
});

describe('OpenWhisk: TLS', () => {
  test(
    'a self-signed controller certificate is refused by default and accepted with insecure',
    TEST,
    async () => {
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
          ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
        ],
        { stdio: 'ignore' },
      );
      const f = await multiTenantFake({ key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') });
      assert.match(f.base, /^https:/);
      const fn: FunctionSpec = { id: 'x', name: 'x' };
      const strict = new OpenWhiskPlatform({ apiHost: f.base, auth: KEYS.alice });
      closers.push(() => strict.teardown());
      await assert.rejects(strict.deploy([fn], never), (e: unknown) => {
        assert.ok(e instanceof FaasloadError && e.code === 'E_PLATFORM');
        assert.match(e.message, /cannot reach OpenWhisk at https:\/\/127\.0\.0\.1:\d+/);
        assert.match(e.message, /self[- ]signed certificate/i);
        return true;
      });
      assert.equal(f.seen.length, 0, 'nothing was sent over the unverified connection');
      const r = await strict.invoke(fn, arrival(0), never);
      assert.equal(r.outcome, 'error');
      assert.match(r.error!, /self[- ]signed certificate/i);
      const loose = new OpenWhiskPlatform({ apiHost: f.base, auth: KEYS.alice, insecure: true });
      closers.push(() => loose.teardown());
      await loose.deploy([fn], never);
      const ok = await loose.invoke(fn, arrival(1), never);
      assert.equal(ok.outcome, 'ok', ok.error);
      assert.equal(ok.initMs, 4);
    },
  );
});

describe('OpenWhisk: wskdeploy-style manifests', () => {
  const code = join(dir, 'hello.js');
  writeFileSync(code, 'function main(p) { return { hello: p.name }; }\n');
  const py = join(dir, 'echo.py');
  writeFileSync(py, 'def main(args):\n    return args\n');
  const MANIFEST = `project:
  name: demo
  packages:
    demo-pkg:
      inputs:
        region: eu
      actions:
        hello:
          function: hello.js
          runtime: nodejs:20
          inputs:
            name: World
            greeting: { type: string, default: Hi }
          limits: { memorySize: 256, timeout: 5000, logSize: 5, concurrentActivations: 2 }
        echo:
          function: echo.py
    default:
      actions:
        top:
          function: hello.js
          main: main
`;

  test('reads packages, actions, code, kinds (given or from the extension), limits and inputs', () => {
    const m = parseManifest(MANIFEST, join(dir, 'manifest.yaml'));
    assert.equal(m.packages.length, 2);
    const [pkg, def] = m.packages;
    assert.equal(pkg!.name, 'demo-pkg');
    assert.deepEqual(pkg!.parameters, [{ key: 'region', value: 'eu' }]);
    const hello = pkg!.actions[0]!;
    assert.equal(hello.name, 'demo-pkg/hello');
    assert.equal(hello.kind, 'nodejs:20');
    assert.equal(hello.code, readFileSync(code, 'utf8'));
    assert.deepEqual(hello.limits, { memory: 256, timeout: 5000, logs: 5, concurrency: 2 });
    assert.deepEqual(hello.parameters, [
      { key: 'name', value: 'World' },
      { key: 'greeting', value: 'Hi' },
    ]);
    assert.equal(pkg!.actions[1]!.kind, 'python:default');
    assert.equal(def!.name, undefined);
    assert.equal(def!.actions[0]!.name, 'top');
    assert.equal(def!.actions[0]!.kind, 'nodejs:default');
  });

  test('every problem of a manifest is named at once', () => {
    const bad = `packages:
  p:
    actions:
      a: { function: missing.js }
      b: { function: hello.js, limits: { memorySize: -1, cpu: 2 } }
      c: { function: hello.bin }
`;
    assert.throws(
      () => parseManifest(bad, join(dir, 'bad.yaml')),
      (e: unknown) => {
        assert.ok(e instanceof FaasloadError && e.code === 'E_USAGE');
        assert.match(e.message, /bad\.yaml/);
        assert.match(e.message, /packages\.p\.actions\.a\.function: cannot read .*missing\.js: ENOENT/);
        assert.match(e.message, /actions\.b\.limits\.memorySize: -1 is not a positive integer/);
        assert.match(e.message, /actions\.b\.limits\.cpu: unknown/);
        assert.match(e.message, /actions\.c\.runtime: required/);
        return true;
      },
    );
    assert.throws(() => parseManifest('a: [', 'x.yaml'), /x\.yaml: not a YAML manifest/);
    assert.throws(() => parseManifest('name: x', 'x.yaml'), /no packages/);
  });

  test(
    'deploys the package before its actions, with the swagger bodies; teardown deletes them',
    TEST,
    async () => {
      const f = await multiTenantFake();
      const p = new OpenWhiskPlatform({ apiHost: f.base, auth: KEYS.bob });
      closers.push(() => p.teardown());
      const names = await p.deployManifest(parseManifest(MANIFEST, join(dir, 'manifest.yaml')), never);
      assert.deepEqual(names, ['demo-pkg/hello', 'demo-pkg/echo', 'top']);
      const puts = f.seen
        .filter((s) => s.method === 'PUT')
        .map((s) => s.path.replace(/^.*\/namespaces\/_\//, ''));
      assert.equal(puts[0], 'packages/demo-pkg');
      assert.deepEqual(
        new Set(puts.slice(1)),
        new Set(['actions/demo-pkg/hello', 'actions/demo-pkg/echo', 'actions/top']),
      );
      const hello = f.store.get('bob-ns/actions/demo-pkg/hello')!;
      assert.deepEqual(hello.exec, { kind: 'nodejs:20', code: readFileSync(code, 'utf8'), main: 'main' });
      assert.deepEqual(hello.limits, { memory: 256, timeout: 5000, logs: 5, concurrency: 2 });
      assert.deepEqual(hello.parameters, [
        { key: 'name', value: 'World' },
        { key: 'greeting', value: 'Hi' },
      ]);
      assert.deepEqual(f.store.get('bob-ns/packages/demo-pkg')!.parameters, [{ key: 'region', value: 'eu' }]);
      const r = await p.invoke({ id: 'h', name: 'demo-pkg/hello' }, arrival(0), never);
      assert.equal(r.outcome, 'ok', r.error);
      await p.teardown();
      const deletes = f.seen
        .filter((s) => s.method === 'DELETE')
        .map((s) => s.path.replace(/^.*\/namespaces\/_\//, ''));
      assert.equal(deletes.at(-1), 'packages/demo-pkg', 'the package goes after its actions');
      assert.equal(deletes.length, 4);
      assert.equal(f.store.size - [...f.store.keys()].filter((k) => k.includes('/activations/')).length, 0);
    },
  );
});

describe('OpenWhisk tenants end to end (two embedded platforms, one per tenant)', () => {
  let servers: OpenWhiskServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  test('a replay of the Azure 2019 sample sends each function to its tenant only', {
    timeout: 180_000,
  }, async () => {
    servers = [await startOpenWhiskServer({ port: 0 }), await startOpenWhiskServer({ port: 0 })];
    const [sa, sb] = servers as [OpenWhiskServer, OpenWhiskServer];
    const file = tenantsFile(
      'e2e.yaml',
      `tenants:\n  - {name: alice, auth: "${sa.auth}", apihost: "${sa.apiHost}"}\n  - {name: bob, auth: "${sb.auth}", apihost: "${sb.apiHost}"}\n`,
    );
    // 22 invocations of 8 representative functions over 2 minutes of trace, in 12 s.
    const plan = ['--to', '2m', '--functions', '8', '--speed', '10', '--max-duration', '20ms'];
    const out = join(dir, 'run');
    const r = await runCli([
      'replay',
      AZURE2019_DIR,
      ...plan,
      ...['--platform', 'openwhisk', '--tenants', file, '--non-blocking', '--poll-interval', '10ms'],
      ...['--out', out, '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    assert.ok(rows.length >= 20, `${rows.length} rows`);
    const bad = rows.filter((x) => x.outcome !== 'ok');
    assert.equal(bad.length, 0, `${bad.length} not ok, e.g. ${bad[0]?.outcome}: ${bad[0]?.error}`);
    assert.ok(rows.every((x) => /^[0-9a-f]{32}$/.test(String(x.activation_id))));
    assert.ok(rows.every((x) => typeof x.exec_ms === 'number' && typeof x.wait_ms === 'number'));
    // Where each function should have gone, from the same plan.
    const { plan: p } = await loadPlan({
      trace: AZURE2019_DIR,
      toUs: 120e6,
      functions: 8,
      speed: 10,
    });
    const specs = functionSpecs(p.functions);
    const tenants = parseTenants(readFileSync(file, 'utf8'), file);
    const activationsOf = async (s: OpenWhiskServer) => {
      const res = await fetch(`${s.apiHost}/api/v1/namespaces/_/activations?limit=200`, {
        headers: { authorization: `Basic ${Buffer.from(s.auth).toString('base64')}` },
      });
      return new Set(((await res.json()) as { name: string }[]).map((a) => a.name));
    };
    const ran = [await activationsOf(sa), await activationsOf(sb)];
    const used = new Set(rows.map((x) => String(x.target)));
    for (const s of specs.filter((x) => used.has(x.name))) {
      const t = routeTenant(tenants, s);
      assert.ok(ran[t]!.has(s.name), `${s.name} (owner ${s.owner}) ran on tenant ${tenants[t]!.name}`);
      assert.ok(!ran[1 - t]!.has(s.name), `${s.name} never ran on the other tenant`);
    }
    assert.ok(ran[0]!.size > 0 && ran[1]!.size > 0, 'both tenants ran functions');
    const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
    for (const s of servers) assert.ok(!manifest.includes(s.auth.split(':')[1]!), 'no key in the manifest');
  });

  test('deploy --manifest and teardown --manifest through the CLI', { timeout: 60_000 }, async () => {
    const s = await startOpenWhiskServer({ port: 0 });
    servers.push(s);
    writeFileSync(join(dir, 'm.js'), 'function main(p) { return { twice: 2 * (p.n ?? 1) }; }\n');
    const file = join(dir, 'cli-manifest.yaml');
    writeFileSync(
      file,
      'packages:\n  default:\n    actions:\n      twice:\n        function: m.js\n        runtime: nodejs:20\n        limits: { memorySize: 128, timeout: 3000 }\n',
    );
    const props = join(dir, 'cli-props');
    writeFileSync(props, `APIHOST=${s.apiHost}\nAUTH=${s.auth}\n`);
    const d = await runCli(['deploy', '--manifest', file, '--wskprops', props]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^deployed 1 actions to http:\/\/127\.0\.0\.1:\d+\n$/);
    const auth = { authorization: `Basic ${Buffer.from(s.auth).toString('base64')}` };
    const res = await fetch(`${s.apiHost}/api/v1/namespaces/_/actions/twice?blocking=true&result=true`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"n":21}',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { twice: 42 });
    const t = await runCli(['teardown', '--manifest', file, '--wskprops', props]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^deleted 1 actions/);
    const gone = await fetch(`${s.apiHost}/api/v1/namespaces/_/actions/twice`, { headers: auth });
    assert.equal(gone.status, 404);
  });
});
