/**
 * One typed manifest: each command's manifest round-trips through the one writer and the one
 * reader, manifests of earlier versions are still read (their command taken from their shape), a
 * malformed one is an E_DATASET error naming the file, and a section's field the compiler does
 * not know (a typo, or another command's section) does not compile.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type AnyManifest,
  hostFacts,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestCommand,
  writeManifest,
} from '../src/dataset/manifest.js';
import { readManifestFile } from '../src/dataset/manifest-read.js';
import { readManifest } from '../src/dataset/read-run.js';
import type { FaasloadError } from '../src/errors.js';
import type { SimulationFacts } from '../src/simulate/run.js';

const root = mkdtempSync(join(tmpdir(), 'faasload-manifest-'));
let folders = 0;
async function folder(): Promise<string> {
  const dir = join(root, `m${folders++}`);
  await mkdir(dir);
  return dir;
}

const PLAN = {
  seed: 5,
  fromUs: 0,
  toUs: 60_000_000,
  speed: 2,
  warpDurations: false,
  scale: 1,
  sample: 'representative' as const,
  iat: 'exponential' as const,
  shift: false,
};

/** The fields every command's manifest has. */
function common<C extends ManifestCommand>(command: C) {
  return {
    manifestVersion: MANIFEST_VERSION,
    command,
    tool: { name: 'faasload' as const, version: '0.0.0-test' },
    runId: `20260101T000000Z-${command}`,
    commandLine: ['faasload', command],
    seed: 5,
    trace: { format: 'azure2021', files: [{ path: 'trace.csv', bytes: 10, sha256: 'ab'.repeat(32) }] },
    platform: { kind: 'local', address: 'http://127.0.0.1:3233' },
    host: hostFacts(),
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:00.000Z',
    status: 'complete' as const,
    counts: { planned: 7 },
    tables: {
      invocations: {
        file: 'invocations.parquet',
        rows: 7,
        schemaVersion: '7',
        columns: [{ name: 'seq', kind: 'int64' as const, nullable: false, doc: 'position in the plan' }],
      },
    },
    warnings: ['one warning'],
  };
}

const REPLAY: Manifest<'replay'> = {
  ...common('replay'),
  config: { trace: 'trace.csv', onDuplicate: 'refuse', keepAliveMs: 600_000, plan: PLAN },
  shard: { index: 1, count: 2, planned: 7, plannedPerShard: [6, 7] },
  startAt: { at: '2026-01-01T00:00:00.000Z', toleranceMs: 1000, lateMs: 0, waitedMs: 12 },
};

const SIMULATE: Manifest<'simulate'> = {
  ...common('simulate'),
  config: {
    kind: 'simulate',
    trace: 'trace.csv',
    onDuplicate: 'refuse',
    plan: PLAN,
    policies: ['fixed:10m'],
    unit: 'function',
    platformModel: 'ideal',
    model: {
      coldStartMs: 500,
      execOverheadMs: 0,
      concurrency: 'inf',
      maxInstances: null,
      defaultMemoryMb: 256,
      defaultDurationMs: 1000,
    },
    horizonUs: 60_000_000,
  },
  simulation: {
    simulateSeconds: 0.5,
    invocationsPerSecond: 14,
    policies: [],
    missingDurations: 0,
    missingMemory: 1,
  },
  figures: ['figures/app-cold-start-cdf.svg'],
};

const GENERATE: Manifest<'generate'> = {
  ...common('generate'),
  config: { plan: 'plan.yaml', platform: 'local', resume: false, monitors: ['host'], graceMs: 30_000 },
  generation: {
    plan: { sha256: 'cd'.repeat(32), document: { seed: 5, functions: [] } },
    sessions: [{ session: 1, startedAt: '2026-01-01T00:00:00.000Z', rows: 7, status: 'complete' }],
  },
};

const MERGE: Manifest<'merge'> = {
  ...common('merge'),
  config: { merge: ['a', 'b'] },
  merged: { runs: [{ dir: 'a', runId: 'ra', status: 'complete', planned: 7 }] },
};

describe('one typed manifest', () => {
  for (const manifest of [REPLAY, SIMULATE, GENERATE, MERGE] satisfies AnyManifest[]) {
    test(`a ${manifest.command} manifest round-trips through writeManifest and readManifestFile`, async () => {
      const dir = await folder();
      await writeManifest(dir, manifest);
      const read = await readManifestFile(dir);
      assert.deepEqual(read, manifest);
    });
  }

  test('the command narrows the manifest read: its config and sections', async () => {
    const dir = await folder();
    await writeManifest(dir, SIMULATE);
    const m = await readManifestFile(dir);
    assert.equal(m.command, 'simulate');
    if (m.command !== 'simulate') return;
    // Typed without a cast: the simulation's own config and section.
    assert.equal(m.config.platformModel, 'ideal');
    assert.equal(m.simulation?.missingMemory, 1);
  });

  test('a missing, unparsable or foreign manifest is an E_DATASET error naming the file', async () => {
    const dir = await folder();
    const error = (pattern: RegExp) => (err: FaasloadError) => {
      assert.equal(err.code, 'E_DATASET');
      assert.match(err.message, pattern);
      return true;
    };
    await assert.rejects(readManifestFile(join(dir, 'nope')), error(/nope: no such run folder/));
    await assert.rejects(readManifestFile(dir), error(/manifest\.json: no manifest/));
    writeFileSync(join(dir, 'manifest.json'), '{"runId": ');
    await assert.rejects(readManifestFile(dir), error(/manifest\.json: not valid JSON/));
    writeFileSync(join(dir, 'manifest.json'), '[1, 2]');
    await assert.rejects(readManifestFile(dir), error(/manifest\.json: not a faasload manifest/));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...REPLAY, command: 'replayy' }));
    await assert.rejects(readManifestFile(dir), error(/manifest\.json: command "replayy" is none of/));
  });
});

describe('manifests of earlier versions', () => {
  /** A manifest as version 1 wrote it: no command. */
  const v1 = <C extends ManifestCommand>(m: Manifest<C>) => {
    const { command: _command, ...rest } = m;
    return { ...rest, manifestVersion: '1' };
  };

  for (const manifest of [REPLAY, SIMULATE, MERGE]) {
    test(`a version 1 ${manifest.command} manifest is read, its command taken from its shape`, async () => {
      const dir = await folder();
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(v1(manifest)));
      const read = await readManifestFile(dir);
      assert.equal(read.command, manifest.command);
      assert.deepEqual(read, { ...manifest, manifestVersion: '1' });
      // The dataset tools read it too.
      assert.equal((await readManifest(dir)).runId, manifest.runId);
    });
  }

  test('a version 1 manifest without warnings (a hand-made crashed folder) gets none', async () => {
    const dir = await folder();
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ runId: 'crash', status: 'failed', counts: { planned: 3 }, tables: {} }),
    );
    const read = await readManifestFile(dir);
    assert.equal(read.command, 'replay');
    assert.deepEqual(read.warnings, []);
  });

  test("a generation's manifest as generate wrote it before (kind: generation) is read in the current shape", async () => {
    const dir = await folder();
    const columns = [{ name: 'index', kind: 'int64', nullable: false, doc: 'execution index' }];
    const sessions = [
      {
        session: 1,
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:00:09.000Z',
        warnings: [],
      },
      {
        session: 2,
        startedAt: '2026-01-02T00:00:00.000Z',
        endedAt: '2026-01-02T00:00:05.000Z',
        warnings: ['w'],
      },
    ];
    const old = {
      tool: { name: 'faasload', version: '0.1.0' },
      kind: 'generation',
      plan: { sha256: 'ef'.repeat(32), document: { seed: 9, functions: [] } },
      status: 'complete',
      total: 12,
      done: 12,
      errors: 1,
      sessions,
      tables: {
        executions: { files: 'executions/part-*.parquet', schemaVersion: '3', columns },
      },
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(old));
    const m = await readManifestFile(dir);
    assert.equal(m.command, 'generate');
    if (m.command !== 'generate') return;
    assert.equal(m.seed, 9);
    assert.equal(m.status, 'complete');
    assert.deepEqual(m.counts, { total: 12, done: 12, errors: 1 });
    assert.deepEqual(m.tables.executions, {
      file: 'executions',
      rows: 12,
      files: 'executions/part-*.parquet',
      schemaVersion: '3',
      columns,
    });
    assert.deepEqual(m.generation?.plan, old.plan);
    assert.deepEqual(m.generation?.sessions, sessions);
    assert.equal(m.startedAt, sessions[0]?.startedAt);
    assert.equal(m.endedAt, sessions[1]?.endedAt);
    assert.deepEqual(m.warnings, ['w']);
    // The file itself is left as it was.
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), old);
  });
});

describe('the compiler holds the sections (checked when the tests are built)', () => {
  test('a misspelled field, or another command’s section, does not compile', () => {
    const facts: SimulationFacts = {
      simulateSeconds: 1,
      invocationsPerSecond: 1,
      policies: [],
      missingDurations: 0,
      missingMemory: 0,
      // @ts-expect-error a typo in a section's field
      missingMemry: 0,
    };
    const sim: Manifest<'simulate'> = { ...SIMULATE, simulation: facts };
    // @ts-expect-error a simulation has no dispatch section (replay's)
    sim.dispatch = { pacing: 'timer' };
    // @ts-expect-error a replay's config has no policies (simulate's)
    const replay: Manifest<'replay'> = { ...REPLAY, config: { ...REPLAY.config, policies: [] } };
    // @ts-expect-error a typo in a config field
    replay.config.keepAliveMS = 1;
    // @ts-expect-error a generation has no shard
    const generation: Manifest<'generate'> = { ...GENERATE, shard: { index: 0, count: 1 } };
    assert.ok(sim && replay && generation);
  });
});
