import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeData, RecordBatch, Struct } from 'apache-arrow';
import { FaasloadError } from '../errors.js';
import { VERSION } from '../version.js';
import { type ColumnSpec, encodeColumn } from './columns.js';
import { hostFacts, MANIFEST_VERSION, type Manifest, writeManifest } from './manifest.js';
import { parquetBatches } from './parquet-read.js';
import { type RunManifest, readManifest } from './read-run.js';
import { BatchStager, stagingSlots } from './staging.js';
import { TableWriter } from './table-writer.js';
import { METADATA_KEYS } from './tables.js';

/** The column a merge puts first in every table: which run the row comes from. */
export const RUN_COLUMN: ColumnSpec = {
  name: 'run',
  kind: 'utf8',
  nullable: false,
  doc: 'the run id (manifest runId) this row comes from',
  encoding: 'dictionary',
};

export interface MergeReport {
  out: string;
  runs: number;
  tables: { table: string; rows: number }[];
  shards?: { count: number; missing: number[]; planned?: number };
}

/**
 * One dataset from several runs or shards: each table present in every run becomes one table
 * with a `run` column first, rows in the order of the runs given; the manifest lists the runs
 * (`merged`) and sums their counts. Runs that are shards of one plan (replay --shard I/N: same
 * count, same plan) give `merged.shards`, so that `dataset verify` checks that their union is
 * the whole plan. Memory: one batch at a time, whatever the runs' sizes.
 */
export async function mergeRuns(runs: readonly string[], out: string): Promise<MergeReport> {
  const [firstDir, ...otherDirs] = runs;
  if (firstDir === undefined)
    throw new FaasloadError('E_USAGE', 'dataset merge: name at least one run folder');
  const first = await readRun(firstDir);
  const sources: MergedRun[] = [first];
  for (const dir of otherDirs) sources.push(await readRun(dir));
  const shards = shardFacts(first, sources);
  if (existsSync(out) && (await readdir(out)).length > 0) {
    throw new FaasloadError('E_USAGE', `--out ${out}: the folder is not empty; pick a new one`);
  }
  await mkdir(out, { recursive: true });

  const runId = `merge-${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${sources.length}-runs`;
  const tables = commonTables(first, sources);
  const warnings: string[] = [];
  for (const { manifest: m } of sources) {
    for (const t of Object.keys(m.tables)) {
      if (!tables.some((c) => c.name === t))
        warnings.push(`table ${t} of run ${m.runId} is not in every run: left out`);
    }
  }
  const manifests = sources.map((s) => s.manifest);
  const [earliest = first.manifest.startedAt] = manifests.map((m) => m.startedAt).sort();
  const merged: Manifest<'merge'> = {
    manifestVersion: MANIFEST_VERSION,
    command: 'merge',
    tool: { name: 'faasload', version: VERSION },
    runId,
    commandLine: ['dataset', 'merge', ...runs, '--out', out],
    config: { merge: [...runs] },
    seed: first.manifest.seed,
    trace: first.manifest.trace,
    platform: first.manifest.platform,
    host: hostFacts(),
    startedAt: earliest,
    endedAt: new Date().toISOString(),
    // complete when every run is; else the first failed run's status, or the first other one's.
    status:
      manifests.find((m) => m.status === 'failed')?.status ??
      manifests.find((m) => m.status !== 'complete')?.status ??
      'complete',
    counts: sumCounts(manifests),
    tables: {},
    warnings,
    merged: {
      runs: sources.map(({ dir, manifest: m }) => ({
        dir,
        runId: m.runId,
        status: m.status,
        planned: m.counts.planned ?? 0,
        ...(m.shard ? { shard: m.shard } : {}),
      })),
      ...(shards ? { shards } : {}),
    },
  };

  const report: MergeReport = { out, runs: runs.length, tables: [] };
  for (const { name, fact: firstFact, parts } of tables) {
    const columns = firstFact.columns;
    const signature = (cs: readonly ColumnSpec[]) => cs.map((c) => `${c.name}:${c.kind}`).join(',');
    for (const { dir, fact } of parts) {
      if (signature(fact.columns) !== signature(columns)) {
        throw new FaasloadError(
          'E_DATASET',
          `${dir}: table ${name} has other columns than in ${first.dir} (schema version ${fact.schemaVersion} against ${firstFact.schemaVersion}): cannot merge`,
        );
      }
    }
    const all = [RUN_COLUMN, ...columns];
    const writer = new TableWriter({
      dir: out,
      name,
      columns: all,
      metadata: {
        [METADATA_KEYS.schemaVersion]: firstFact.schemaVersion,
        [METADATA_KEYS.runId]: runId,
        'faasload.merged_from': manifests.map((m) => m.runId).join(','),
      },
      whenBehind: 'wait',
      // The manifest comes last: out is not a run folder yet, and the runs merged are untouched.
      recovery: `remove ${out} and run the same faasload dataset merge again`,
    });
    const fields = writer.schema.fields;
    const [runField] = fields;
    const [runSlot] = stagingSlots([RUN_COLUMN]);
    if (runField === undefined || runSlot === undefined)
      throw new Error('merge: the run column has no field');
    for (const { dir, manifest, fact } of parts) {
      const run = { [RUN_COLUMN.name]: manifest.runId };
      for await (const batch of parquetBatches(join(dir, fact.file))) {
        const stager = new BatchStager([RUN_COLUMN], batch.numRows);
        for (let r = 0; r < batch.numRows; r++) stager.append(run);
        const runColumn = encodeColumn(RUN_COLUMN, runField.type, runSlot, stager.take());
        const children = [runColumn, ...batch.data.children];
        const data = makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children });
        writer.addBatch(new RecordBatch(writer.schema, data));
        await writer.writable();
      }
    }
    const table = await writer.close();
    merged.tables[name] = {
      file: table.file,
      rows: table.rows,
      schemaVersion: firstFact.schemaVersion,
      columns: all,
    };
    report.tables.push({ table: name, rows: table.rows });
  }
  await writeManifest(out, merged);
  if (shards) report.shards = shards;
  return report;
}

/** A run folder to merge, and its manifest. */
interface MergedRun {
  dir: string;
  manifest: RunManifest;
}

/** Reads a run's manifest; a run whose tables are still Arrow streams is refused. */
async function readRun(dir: string): Promise<MergedRun> {
  const manifest = await readManifest(dir);
  const [stream] = (await readdir(dir)).filter((f) => f.endsWith('.arrows'));
  if (stream !== undefined) {
    throw new FaasloadError(
      'E_DATASET',
      `${join(dir, stream)}: not turned into Parquet yet: run faasload dataset recover ${dir} first`,
    );
  }
  return { dir, manifest };
}

type TableFact = RunManifest['tables'][string];

/** The tables every run has, in the first run's order, each with every run's part. */
function commonTables(first: MergedRun, sources: readonly MergedRun[]) {
  return Object.entries(first.manifest.tables).flatMap(([name, fact]) => {
    const parts = sources.flatMap((s) => {
      const theirs: TableFact | undefined = s.manifest.tables[name];
      return theirs ? [{ ...s, fact: theirs }] : [];
    });
    return parts.length === sources.length ? [{ name, fact, parts }] : [];
  });
}

/** When every run is a shard of one plan: their count and the missing ones; an error when they clash. */
function shardFacts(first: MergedRun, sources: readonly MergedRun[]) {
  const s0 = first.manifest.shard;
  const sharded = sources.flatMap((s) => (s.manifest.shard ? [{ ...s, shard: s.manifest.shard }] : []));
  if (sharded.length === 0) return undefined;
  if (s0 === undefined || sharded.length !== sources.length) {
    const whole = sources.filter((s) => !s.manifest.shard).map((s) => s.dir);
    throw new FaasloadError(
      'E_USAGE',
      `dataset merge: ${whole.join(', ')} ran the whole plan, the others one shard each: merge shards of one plan, or whole runs`,
    );
  }
  const m0 = first.manifest;
  const seen = new Map<number, string>();
  for (const { dir, manifest: m, shard: s } of sharded) {
    const samePlan =
      s.count === s0.count && m.seed === m0.seed && JSON.stringify(planOf(m)) === JSON.stringify(planOf(m0));
    if (!samePlan) {
      throw new FaasloadError(
        'E_USAGE',
        `dataset merge: ${dir} (shard ${s.index}/${s.count}, seed ${m.seed}) is not a shard of the same plan as ${first.dir} (shard ${s0.index}/${s0.count}, seed ${m0.seed})`,
      );
    }
    if (seen.has(s.index)) {
      throw new FaasloadError(
        'E_USAGE',
        `dataset merge: ${seen.get(s.index)} and ${dir} are both shard ${s.index}/${s.count}`,
      );
    }
    seen.set(s.index, dir);
  }
  const missing = Array.from({ length: s0.count }, (_, i) => i).filter((i) => !seen.has(i));
  const planned = s0.plannedPerShard?.reduce((a, b) => a + b, 0);
  return { count: s0.count, missing, ...(planned !== undefined ? { planned } : {}) };
}

/** The plan a run fired (null for a merge). */
function planOf(m: RunManifest): unknown {
  return m.command === 'merge' ? null : (m.config.plan ?? null);
}

function sumCounts(manifests: readonly RunManifest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of manifests) {
    for (const [k, v] of Object.entries(m.counts))
      if (typeof v === 'number') counts[k] = (counts[k] ?? 0) + v;
  }
  // Shards deploy disjoint sets of functions (counts.functions is the shard's own), so every
  // count, that one included, adds up.
  return counts;
}
