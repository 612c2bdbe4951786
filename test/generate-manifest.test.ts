/**
 * A generation's manifest is a manifest like a run's: written whole or not at all (the dataset's
 * atomic write), and read by the one reader, which tells a generation's folder from a run's.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readManifest } from '../src/dataset/read-run.js';
import { verifyRun } from '../src/dataset/verify.js';
import type { FaasloadError } from '../src/errors.js';
import { generate } from '../src/generate/run.js';

const dir = mkdtempSync(join(tmpdir(), 'faasload-generate-manifest-'));

/** One catalog function, three small inputs: a session takes about a second. */
const PLAN = `
seed: 3
concurrency: 1
functions:
  - name: json
    runs: 3
    inputs: { count: 3, size: { range_int: [10, 20] }, distinct: true }
`;

describe("a generation's manifest", { timeout: 120_000 }, () => {
  const planPath = join(dir, 'plan.yaml');
  writeFileSync(planPath, PLAN);
  const out = join(dir, 'gen');
  const options = {
    planPath,
    out,
    platformOptions: { runtime: 'process' as const },
    monitor: { monitors: 'none' },
  };

  test('is written atomically: a failed write leaves the previous manifest whole, and says which file', async () => {
    const first = await generate(options);
    assert.equal(first.status, 'complete');
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    // The temporary file cannot be made (a directory holds its name): the write fails before
    // manifest.json is touched.
    mkdirSync(join(out, 'manifest.json.partial'));
    await assert.rejects(generate({ ...options, resume: true }), (err: FaasloadError) => {
      assert.equal(err.code, 'E_DATASET');
      assert.match(err.message, /manifest\.json: could not write the manifest/);
      return true;
    });
    assert.equal(readFileSync(join(out, 'manifest.json'), 'utf8'), before);
  });

  test('is told from a run folder by the dataset tools, which say where its table is', async () => {
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.equal(m.command, 'generate');
    assert.equal(m.tables.executions.rows, 3);
    assert.equal(m.counts.done, 3);
    assert.equal(m.generation.sessions.length, 1);
    await assert.rejects(readManifest(out), /a generation's manifest .*executions/);
    await assert.rejects(verifyRun(out), /a generation's manifest/);
  });
});
