import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeSyntheticRun } from '../scripts/bench/synthetic-run.js';
import { REPO_ROOT } from './helpers/paths.js';

/**
 * The report reads tables batch by batch, so its JavaScript heap does not grow with the run:
 * `faasload report` of 400,000 invocations runs in an 80 MB V8 heap. Reading the tables whole
 * (as the report did) needs about 128 MB for this run and aborts at 80; the report alone needs
 * under 64 MB (Vega and its modules are most of it). The time and RSS goals for 10 M rows are
 * measured by `npm run bench -- report`, not here.
 */
let dir: string;
let run: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-report-bounded-'));
  run = join(dir, 'run');
  await writeSyntheticRun({ dir: run, rows: 400_000, functions: 800, seed: 1, traceDir: join(dir, 'trace') });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('faasload report in bounded memory', () => {
  it('reports 400,000 invocations within an 80 MB heap', () => {
    const r = spawnSync(
      process.execPath,
      ['--max-old-space-size=80', join(REPO_ROOT, 'bin', 'faasload.js'), 'report', run, '--no-png'],
      { encoding: 'utf8', timeout: 300_000 },
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    assert.match(r.stdout, /^planned\s+400000$/m);
  });
});
