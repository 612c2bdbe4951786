import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ColumnSpec } from '../src/dataset/columns.js';
import { scanIpcStream } from '../src/dataset/ipc-scan.js';
import { readManifest } from '../src/dataset/read-run.js';
import { recoverRun } from '../src/dataset/recover.js';
import { TableWriter } from '../src/dataset/table-writer.js';
import { createClock } from '../src/dispatch/pacing.js';
import type { FaasloadError } from '../src/errors.js';
import { replay } from '../src/run/replay.js';
import { cannotRun, need } from './helpers/cannot-run.js';
import { FakePlatform } from './helpers/fakes.js';
import { readParquetTable } from './helpers/parquet.js';
import { REPO_ROOT } from './helpers/paths.js';

/**
 * A full disk, for real: a 256 KiB tmpfs mounted for these tests (root only). Where mounting is
 * refused the tests say so and skip, and fail under CI.
 */
const WHAT = 'FULL-DISK TESTS';
let mnt = '';
let mountError = await need('root', WHAT);
const mount = (size: string, remount = false) =>
  execFileSync('mount', ['-t', 'tmpfs', '-o', `${remount ? 'remount,' : ''}size=${size}`, 'tmpfs', mnt], {
    stdio: 'pipe',
  });
if (!mountError) {
  try {
    mnt = await mkdtemp(join(tmpdir(), 'faasload-fulldisk-'));
    mount('256k');
  } catch (err) {
    mountError = cannotRun(WHAT, `cannot mount a tmpfs (${(err as Error).message.split('\n')[0]})`);
  }
}

after(async () => {
  if (!mountError) execFileSync('umount', [mnt]);
  if (mnt) await rm(mnt, { recursive: true, force: true });
});

const COLUMNS: ColumnSpec[] = [
  { name: 'seq', kind: 'int64', nullable: false, doc: '' },
  { name: 'note', kind: 'utf8', nullable: false, doc: '' },
];

describe('a full disk', { skip: mountError ?? false }, () => {
  before(async () => {
    for (const f of await readdir(mnt)) await rm(join(mnt, f), { recursive: true });
  });

  it('fails the writer with the file named, keeps the stream to its last complete batch, and recover makes it Parquet', async () => {
    const dir = mnt;
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ runId: 'full', status: 'failed', counts: {}, tables: {}, warnings: [] }),
    );
    const errors: FaasloadError[] = [];
    const w = new TableWriter({
      dir,
      name: 't',
      columns: COLUMNS,
      batchRows: 500,
      onError: (e) => errors.push(e),
    });
    let seq = 0;
    // Random text does not compress: 500 rows of ~100 bytes are ~50 KiB a batch; 256 KiB fill up.
    for (let b = 0; b < 40 && errors.length === 0; b++) {
      w.add(Array.from({ length: 500 }, () => ({ seq: seq++, note: Math.random().toString(36).repeat(8) })));
      await w.drain();
    }
    assert.equal(errors.length, 1, 'the failure is reported once');
    assert.equal(errors[0]!.code, 'E_DATASET');
    assert.match(
      errors[0]!.message,
      new RegExp(`${w.arrowsPath.replaceAll('/', '\\/')}: .*(ENOSPC|no space)`, 'i'),
    );
    const { written, lost } = w.counts;
    assert.ok(written > 0 && written % 500 === 0, `complete batches written: ${written}`);
    assert.ok(lost >= 500);
    w.add([{ seq: -1, note: 'after' }]);
    assert.equal(w.counts.lost, lost + 1, 'rows after the failure are counted as lost');
    await assert.rejects(w.close(), (err: FaasloadError) => {
      assert.equal(err.code, 'E_DATASET');
      assert.match(
        err.message,
        /t\.arrows: .*; \d+ rows are kept in complete batches \(faasload dataset recover /,
      );
      return true;
    });
    const scan = await scanIpcStream(w.arrowsPath);
    assert.equal(scan.truncated, undefined, 'the partial batch was cut off');
    assert.equal(scan.rows, written);
    mount('4m', true);
    const r = await recoverRun(dir);
    assert.equal(r.tables[0]!.rows, written);
    const t = await readParquetTable(join(dir, 't.parquet'));
    assert.deepEqual(
      Array.from(t.getChild('seq')!.toArray() as BigInt64Array, Number),
      Array.from({ length: written }, (_, i) => i),
    );
    mount('256k', true);
  });

  it('fails an offline writer (no stream) with the Parquet file named and says nothing is kept', async () => {
    const errors: FaasloadError[] = [];
    const w = new TableWriter({
      dir: mnt,
      name: 'plan',
      columns: COLUMNS,
      batchRows: 4096,
      crashSafe: false,
      whenBehind: 'wait',
      recovery: 'run it again',
      onError: (e) => errors.push(e),
    });
    let seq = 0;
    // Random text past a row group (128k rows, ~10 MB) cannot fit in 256 KiB.
    for (let b = 0; b < 60 && errors.length === 0; b++) {
      w.add(Array.from({ length: 4096 }, () => ({ seq: seq++, note: Math.random().toString(36).repeat(2) })));
      await w.writable();
    }
    await assert.rejects(w.close(), (err: FaasloadError) => {
      assert.equal(err.code, 'E_DATASET');
      assert.match(
        err.message,
        new RegExp(
          `${w.path.replaceAll('/', '\\/')}: .*(ENOSPC|no space).*; nothing is kept .*: run it again$`,
          'i',
        ),
      );
      return true;
    });
    assert.equal(errors.length, 1, 'the failure is reported once');
    assert.deepEqual(
      (await readdir(mnt)).filter((f) => f.startsWith('plan')),
      [],
      'no partial file is left, and no stream was written',
    );
  });

  it('stops a replay whose disk fills: status failed, and the error names the stream', async () => {
    for (const f of await readdir(mnt)) await rm(join(mnt, f), { recursive: true });
    // Leave ~40 KiB: enough for the manifest and a few one-second batches of a 30 s replay.
    await writeFile(join(mnt, 'filler'), Buffer.alloc(256 * 1024 - 40 * 1024));
    const out = join(mnt, 'run');
    const clock = createClock('precise');
    const started = Date.now();
    await assert.rejects(
      replay({
        trace: join(REPO_ROOT, 'traces', 'sample-azure2021.csv'),
        speed: 20,
        out,
        clock,
        platformAdapter: new FakePlatform(clock, () => ({ error: 'x'.repeat(400), outcome: 'error' })),
      }),
      (err: FaasloadError) => {
        assert.equal(err.code, 'E_DATASET');
        assert.match(err.message, /invocations\.arrows: .*(ENOSPC|no space)/i);
        return true;
      },
    );
    assert.ok(Date.now() - started < 20_000, 'the run stopped early (it was planned for 30 s)');
    const m = await readManifest(out);
    assert.equal(m.status, 'failed');
  });
});
