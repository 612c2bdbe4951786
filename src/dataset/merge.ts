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
import { BatchStager } from './staging.js';
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
  if (runs.length === 0) throw new FaasloadError('E_USAGE', 'dataset merge: name at least one run folder');
  const manifests: RunManifest[] = [];
  for (const dir of runs) {
    const m = await readManifest(dir);
    const streams = (await readdir(dir)).filter((f) => f.endsWith('.arrows'));
    if (streams.length > 0) {
      throw new FaasloadError(
        'E_DATASET',
        `${join(dir, streams[0]!)}: not turned into Parquet yet: run faasload dataset recover ${dir} first`,
      );
    }
    manifests.push(m);
  }
  const shards = shardFacts(runs, manifests);
  if (existsSync(out) && (await readdir(out)).length > 0) {
    throw new FaasloadError('E_USAGE', `--out ${out}: the folder is not empty; pick a new one`);
  }
  await mkdir(out, { recursive: true });

  const first = manifests[0]!;
  const runId = `merge-${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${manifests.length}-runs`;
  const names = Object.keys(first.tables).filter((t) => manifests.every((m) => m.tables[t]));
  const warnings: string[] = [];
  for (const m of manifests) {
    for (const t of Object.keys(m.tables)) {
      if (!names.includes(t)) warnings.push(`table ${t} of run ${m.runId} is not in every run: left out`);
    }
  }
  const merged: Manifest<'merge'> = {
    manifestVersion: MANIFEST_VERSION,
    command: 'merge',
    tool: { name: 'faasload', version: VERSION },
    runId,
    commandLine: ['dataset', 'merge', ...runs, '--out', out],
    config: { merge: [...runs] },
    seed: first.seed,
    trace: first.trace,
    platform: first.platform,
    host: hostFacts(),
    startedAt: manifests.map((m) => m.startedAt).sort()[0]!,
    endedAt: new Date().toISOString(),
    status: manifests.every((m) => m.status === 'complete')
      ? 'complete'
      : (manifests.find((m) => m.status === 'failed') ?? manifests.find((m) => m.status !== 'complete'))!
          .status,
    counts: sumCounts(manifests),
    tables: {},
    warnings,
    merged: {
      runs: manifests.map((m, i) => ({
        dir: runs[i]!,
        runId: m.runId,
        status: m.status,
        planned: m.counts.planned ?? 0,
        ...(m.shard ? { shard: m.shard } : {}),
      })),
      ...(shards ? { shards } : {}),
    },
  };

  const report: MergeReport = { out, runs: runs.length, tables: [] };
  for (const name of names) {
    const columns = first.tables[name]!.columns;
    manifests.forEach((m, i) => {
      const theirs = m.tables[name]!.columns.map((c) => `${c.name}:${c.kind}`).join(',');
      if (theirs !== columns.map((c) => `${c.name}:${c.kind}`).join(',')) {
        throw new FaasloadError(
          'E_DATASET',
          `${runs[i]}: table ${name} has other columns than in ${runs[0]} (schema version ${m.tables[name]!.schemaVersion} against ${first.tables[name]!.schemaVersion}): cannot merge`,
        );
      }
    });
    const all = [RUN_COLUMN, ...columns];
    const writer = new TableWriter({
      dir: out,
      name,
      columns: all,
      metadata: {
        [METADATA_KEYS.schemaVersion]: first.tables[name]!.schemaVersion,
        [METADATA_KEYS.runId]: runId,
        'faasload.merged_from': manifests.map((m) => m.runId).join(','),
      },
      whenBehind: 'wait',
      // The manifest comes last: out is not a run folder yet, and the runs merged are untouched.
      recovery: `remove ${out} and run the same faasload dataset merge again`,
    });
    const fields = writer.schema.fields;
    for (let i = 0; i < runs.length; i++) {
      const path = join(runs[i]!, manifests[i]!.tables[name]!.file);
      const run = { [RUN_COLUMN.name]: manifests[i]!.runId };
      for await (const batch of parquetBatches(path)) {
        const stager = new BatchStager([RUN_COLUMN], batch.numRows);
        for (let r = 0; r < batch.numRows; r++) stager.append(run);
        const runColumn = encodeColumn(RUN_COLUMN, fields[0]!.type, stager.slots[0]!, stager.take());
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
      schemaVersion: first.tables[name]!.schemaVersion,
      columns: all,
    };
    report.tables.push({ table: name, rows: table.rows });
  }
  await writeManifest(out, merged);
  if (shards) report.shards = shards;
  return report;
}

/** When every run is a shard of one plan: their count and the missing ones; an error when they clash. */
function shardFacts(runs: readonly string[], manifests: readonly RunManifest[]) {
  const sharded = manifests.filter((m) => m.shard);
  if (sharded.length === 0) return undefined;
  if (sharded.length !== manifests.length) {
    const whole = runs.filter((_, i) => !manifests[i]!.shard);
    throw new FaasloadError(
      'E_USAGE',
      `dataset merge: ${whole.join(', ')} ran the whole plan, the others one shard each: merge shards of one plan, or whole runs`,
    );
  }
  const m0 = manifests[0]!;
  const s0 = m0.shard!;
  const seen = new Map<number, string>();
  manifests.forEach((m, i) => {
    const s = m.shard!;
    const samePlan =
      s.count === s0.count && m.seed === m0.seed && JSON.stringify(planOf(m)) === JSON.stringify(planOf(m0));
    if (!samePlan) {
      throw new FaasloadError(
        'E_USAGE',
        `dataset merge: ${runs[i]} (shard ${s.index}/${s.count}, seed ${m.seed}) is not a shard of the same plan as ${runs[0]} (shard ${s0.index}/${s0.count}, seed ${m0.seed})`,
      );
    }
    if (seen.has(s.index)) {
      throw new FaasloadError(
        'E_USAGE',
        `dataset merge: ${seen.get(s.index)} and ${runs[i]} are both shard ${s.index}/${s.count}`,
      );
    }
    seen.set(s.index, runs[i]!);
  });
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
