/**
 * The replay's young generation (--semi-space-mb): when bin/faasload.js starts node again with a
 * larger semi-space (src/cli/relaunch.ts), and that the replay's manifest records what its
 * dispatcher really ran with, read from V8's heap, and the scavenge that empties it before time zero.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LaunchContext, relaunchArgs } from '../src/cli/relaunch.js';
import { watchGc } from '../src/run/gc-watch.js';
import { SEMI_SPACE_DEFAULT_MB, scavengeBeforeStart, validSemiSpaceMb } from '../src/run/young-generation.js';
import { runCli } from './helpers/cli.js';

const plain: LaunchContext = { execArgv: [], nodeOptions: undefined, relaunched: undefined };
const flags = (mb: number) => [`--min-semi-space-size=${mb}`, `--max-semi-space-size=${mb}`];

describe('young generation of the replay', () => {
  test('replay is started again with the semi-space asked for, or the default', () => {
    assert.deepEqual(relaunchArgs(['replay', 't.csv'], plain), flags(SEMI_SPACE_DEFAULT_MB));
    assert.deepEqual(relaunchArgs(['replay', 't.csv', '--semi-space-mb', '64'], plain), flags(64));
    assert.deepEqual(relaunchArgs(['replay', '--semi-space-mb=8', 't.csv'], plain), flags(8));
  });

  test('not started again: other commands, --help, 0, node flags of the user, a child, a bad value', () => {
    assert.equal(relaunchArgs(['schedule', 't.csv'], plain), undefined);
    assert.equal(relaunchArgs([], plain), undefined);
    assert.equal(relaunchArgs(['replay', '--help'], plain), undefined);
    assert.equal(relaunchArgs(['replay', 't.csv', '--semi-space-mb', '0'], plain), undefined);
    assert.equal(
      relaunchArgs(['replay', 't.csv'], { ...plain, execArgv: ['--max-semi-space-size=128'] }),
      undefined,
    );
    assert.equal(
      relaunchArgs(['replay', 't.csv'], { ...plain, nodeOptions: '--inspect --max_semi_space_size=8' }),
      undefined,
    );
    assert.equal(relaunchArgs(['replay', 't.csv'], { ...plain, relaunched: '1' }), undefined);
    // Left to the command's validation, which runs unlaunched and reports it.
    assert.equal(relaunchArgs(['replay', 't.csv', '--semi-space-mb', '3'], plain), undefined);
    assert.equal(relaunchArgs(['replay', 't.csv', '--semi-space-mb'], plain), undefined);
  });

  test('valid sizes: 0 or a power of two up to 256', () => {
    for (const mb of [0, 1, 2, 16, 32, 256]) assert.ok(validSemiSpaceMb(mb), String(mb));
    for (const mb of [-1, 3, 24, 512, 1.5, Number.NaN]) assert.ok(!validSemiSpaceMb(mb), String(mb));
  });

  test('watchGc counts the scavenges of this thread, with their pauses', async () => {
    const watch = watchGc();
    for (let i = 0; i < 3; i++) assert.equal(typeof scavengeBeforeStart(), 'number');
    await new Promise((resolve) => setTimeout(resolve, 50)); // entries are delivered asynchronously
    const gc = watch.stop();
    assert.ok(gc.scavenges.count >= 3, `${gc.scavenges.count} scavenges seen`);
    assert.ok(gc.scavenges.maxMs > 0 && gc.scavenges.maxMs <= gc.scavenges.totalMs);
  });

  describe('through the CLI', () => {
    let dir: string;
    let server: Server;
    let url: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'faasload-young-'));
      server = createServer((req, res) => {
        req.resume();
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/{function}`;
      const rows = Array.from({ length: 20 }, (_, i) => (i / 100).toFixed(3));
      await writeFile(join(dir, 'trace.csv'), `time\n${rows.join('\n')}\n`);
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    });

    const replay = (name: string, extra: string[]) =>
      runCli([
        'replay',
        join(dir, 'trace.csv'),
        ...['--format', 'csv', '--time-column', 'time', '--time-unit', 's'],
        ...['--platform', 'http', '--url', url, '--method', 'GET', '--pacing', 'timer'],
        ...['--out', join(dir, name), '--json'],
        ...extra,
      ]);
    const youngGeneration = async (name: string) =>
      JSON.parse(await readFile(join(dir, name, 'manifest.json'), 'utf8')).dispatch.youngGeneration;

    test('the manifest records the semi-space the dispatcher ran with, and that it took effect', async () => {
      const r = await replay('default', []);
      assert.equal(r.code, 0, r.stderr);
      const big = await youngGeneration('default');
      assert.equal(big.semiSpaceMb, SEMI_SPACE_DEFAULT_MB);
      assert.equal(big.relaunched, true);
      assert.ok(big.newSpaceMb >= SEMI_SPACE_DEFAULT_MB, `new space ${big.newSpaceMb} MB`);
      assert.equal(typeof big.scavengeBeforeStartMs, 'number', 'emptied before time zero');
      const { gc } = JSON.parse(await readFile(join(dir, 'default', 'manifest.json'), 'utf8')).dispatch;
      assert.equal(typeof gc.scavenges.count, 'number', 'the run counts its collections');
      assert.ok(gc.scavenges.maxMs <= gc.scavenges.totalMs);
      assert.ok(big.scavengeBeforeStartMs >= 0 && big.scavengeBeforeStartMs < 1_000);

      const n = await replay('node-default', ['--semi-space-mb', '0']);
      assert.equal(n.code, 0, n.stderr);
      const small = await youngGeneration('node-default');
      assert.equal(small.semiSpaceMb, null);
      assert.equal(small.relaunched, false);
      assert.ok(small.newSpaceMb < big.newSpaceMb, `${small.newSpaceMb} MB, ${big.newSpaceMb} MB relaunched`);
      assert.equal(typeof small.scavengeBeforeStartMs, 'number');
    });

    test('a bad --semi-space-mb is a usage error', async () => {
      const r = await replay('bad', ['--semi-space-mb', '24']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--semi-space-mb: expected 0 or a power of two from 1 to 256, got 24/);
    });
  });
});
