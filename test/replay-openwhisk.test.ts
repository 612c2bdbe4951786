/**
 * The OpenWhisk client against faasload's own OpenWhisk API: a replay through the CLI with
 * --platform openwhisk reaches the embedded server (started here on 127.0.0.1), deploys the
 * trace's functions as actions, and brings back each activation's platform view; the key never
 * reaches the dataset.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OpenWhiskServer, startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2021_FILE } from './helpers/paths.js';

let server: OpenWhiskServer;
let dir: string;
before(async () => {
  server = await startOpenWhiskServer({ port: 0 });
  dir = await mkdtemp(join(tmpdir(), 'faasload-ow-'));
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('replay on an OpenWhisk (the embedded one)', () => {
  it('deploys, invokes and records the platform view of every activation', async () => {
    const out = join(dir, 'run');
    const r = await runCli([
      'replay',
      AZURE2021_FILE,
      ...['--to', '5m', '--speed', '100', '--warp-durations', '--max-duration', '50ms'],
      ...[
        '--platform',
        'openwhisk',
        '--apihost',
        server.apiHost,
        '--auth',
        server.auth,
        '--out',
        out,
        '--json',
      ],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    assert.ok(rows.length > 10, `${rows.length} rows`);
    assert.equal(
      rows.filter((x) => x.outcome === 'ok').length,
      rows.length,
      JSON.stringify(rows.find((x) => x.outcome !== 'ok')),
    );
    const cold = rows.filter((x) => x.cold_start === true);
    const functions = new Set(rows.map((x) => x.function));
    assert.ok(cold.length >= functions.size, 'every function starts cold at least once');
    assert.ok(cold.every((x) => (x.init_ms as number) > 0));
    assert.ok(rows.filter((x) => x.cold_start === false).every((x) => x.init_ms === null));
    assert.ok(rows.every((x) => /^[0-9a-f]{32}$/.test(String(x.activation_id))));
    // The server knows each activation the dataset names.
    const res = await fetch(`${server.apiHost}/api/v1/namespaces/_/activations/${rows[0]!.activation_id}`, {
      headers: { authorization: `Basic ${Buffer.from(server.auth).toString('base64')}` },
    });
    assert.equal(res.status, 200);
    const manifest = await readFile(join(out, 'manifest.json'), 'utf8');
    assert.equal(JSON.parse(manifest).platform.kind, 'openwhisk');
    assert.ok(!manifest.includes(server.auth.split(':')[1]!), 'the key is not in the manifest');
  });

  it('deploy leaves the actions a replay needs; teardown removes them and only them', async () => {
    const auth = `Basic ${Buffer.from(server.auth).toString('base64')}`;
    const actions = `${server.apiHost}/api/v1/namespaces/_/actions`;
    const list = async () =>
      (
        (await (await fetch(`${actions}?limit=200`, { headers: { authorization: auth } })).json()) as {
          name: string;
        }[]
      ).map((a) => a.name);
    const mine = await fetch(`${actions}/not-faasloads`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ exec: { kind: 'nodejs:20', code: 'function main() { return {}; }' } }),
    });
    assert.equal(mine.status, 200);
    const flags = ['--apihost', server.apiHost, '--auth', server.auth];
    const d = await runCli(['deploy', AZURE2021_FILE, '--functions', '5', '--sample', 'top', ...flags]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^deployed 5 actions to http:\/\/127\.0\.0\.1:\d+\n$/);
    assert.equal((await list()).filter((n) => n.startsWith('fn-')).length, 5);
    const t = await runCli(['teardown', ...flags]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^deleted 5 actions/);
    assert.deepEqual(await list(), ['not-faasloads']);
  });
});
