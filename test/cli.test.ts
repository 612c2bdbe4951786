import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { AZURE2021_FILE } from './helpers/paths.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('faasload CLI errors', () => {
  it('names a missing trace file (exit 3)', async () => {
    const r = await runCli(['replay', join(dir, 'nope.csv')]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /nope\.csv/);
  });

  it('rejects an unknown --format (exit 2) and lists the known ones', async () => {
    const r = await runCli(['replay', AZURE2021_FILE, '--format', 'huawei9']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /azure2021/);
  });

  it('says it cannot tell the format of an unknown header (exit 3)', async () => {
    const f = join(dir, 'odd.csv');
    await writeFile(f, 'a,b,c\n1,2,3\n');
    const r = await runCli(['replay', f]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /format/);
  });

  it('names the file and line of a malformed row (exit 3)', async () => {
    const f = join(dir, 'bad.csv');
    await writeFile(f, 'app,func,end_timestamp,duration\na,f,1.5,0.5\na,f,oops,0.1\n');
    const r = await runCli(['replay', f, '--out', join(dir, 'bad-run')]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /bad\.csv:3/);
  });

  it('reports every bad flag value at once (exit 2)', async () => {
    const r = await runCli([
      'replay',
      AZURE2021_FILE,
      '--speed',
      '-1',
      '--from',
      'soon',
      '--max-in-flight',
      '0',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--speed/);
    assert.match(r.stderr, /--from: 'soon' is not a duration/);
    assert.match(r.stderr, /--max-in-flight/);
  });

  it('rejects an unknown platform and an unknown flag (exit 2)', async () => {
    const p = await runCli(['replay', AZURE2021_FILE, '--platform', 'lambda9']);
    assert.equal(p.code, 2, p.stderr);
    assert.match(p.stderr, /local/);
    const f = await runCli(['replay', AZURE2021_FILE, '--sped', '2']);
    assert.equal(f.code, 2, f.stderr);
    assert.match(f.stderr, /sped/);
  });

  it('refuses an --out folder that already holds files (exit 2)', async () => {
    const out = join(dir, 'taken');
    await runCli(['replay', AZURE2021_FILE, '--to', '1s', '--max-duration', '50ms', '--out', out]);
    const r = await runCli(['replay', AZURE2021_FILE, '--to', '1s', '--out', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not empty/);
  });

  it('asks for a command, and documents replay in --help', async () => {
    const none = await runCli([]);
    assert.equal(none.code, 2);
    const help = await runCli(['replay', '--help']);
    assert.equal(help.code, 0);
    for (const flag of [
      '--from',
      '--to',
      '--speed',
      '--warp-durations',
      '--max-duration',
      '--seed',
      '--platform',
      '--out',
    ]) {
      assert.ok(help.stdout.includes(flag), `--help lacks ${flag}`);
    }
  });
});
