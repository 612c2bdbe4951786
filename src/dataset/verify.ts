import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../util/message.js';
import type { ColumnKind } from './columns.js';
import { parquetBatches, parquetFacts } from './parquet-read.js';
import { type RunManifest, readManifest } from './read-run.js';
import { METADATA_KEYS } from './tables.js';

export interface TableCheck {
  table: string;
  file: string;
  rows: number | null;
  expectedRows: number;
}

export interface VerifyReport {
  dir: string;
  ok: boolean;
  /** What is wrong: a missing file, a schema or a row count that differs, planned != rows. */
  problems: string[];
  /** Worth knowing, not wrong: a recovered run, a stopped one. */
  notes: string[];
  tables: TableCheck[];
}

const ARROW_TYPES: Record<ColumnKind, string> = {
  int64: 'Int64',
  int32: 'Int32',
  float64: 'Float64',
  bool: 'Bool',
  utf8: 'Utf8',
  timestamp_us: 'Timestamp<MICROSECOND, UTC>',
};

/**
 * Checks a run folder (a replay's, a recovered or a merged one) against its manifest: every
 * table's file is there and is Parquet, its schema is the manifest's (names, types,
 * nullability, schema version), its row count is the manifest's, no stream is left
 * unconverted, and planned = rows: invocations holds each planned seq exactly once (for a
 * merge of shards, the union is the whole plan: seq 0 to planned - 1).
 */
export async function verifyRun(dir: string): Promise<VerifyReport> {
  const manifest = await readManifest(dir);
  const report: VerifyReport = { dir, ok: true, problems: [], notes: [], tables: [] };
  const problem = (text: string) => report.problems.push(text);

  const streams = (await readdir(dir)).filter((f) => f.endsWith('.arrows'));
  for (const s of streams) {
    problem(
      `${join(dir, s)}: an Arrow stream not turned into Parquet (a crash?): run faasload dataset recover ${dir}`,
    );
  }
  if (manifest.recovered) {
    const dropped = Object.entries(manifest.recovered.tables).filter(([, t]) => t.droppedBytes > 0);
    report.notes.push(
      `recovered after a crash on ${manifest.recovered.at}${dropped.length ? `; a last batch cut short was left out of ${dropped.map(([n]) => n).join(', ')}` : ''}`,
    );
  }
  if (manifest.status !== 'complete') report.notes.push(`the run's status is ${manifest.status}`);

  for (const [name, table] of Object.entries(manifest.tables)) {
    const path = join(dir, table.file);
    const check: TableCheck = { table: name, file: table.file, rows: null, expectedRows: table.rows };
    report.tables.push(check);
    if (!table.file.endsWith('.parquet')) {
      problem(`${path}: the manifest names ${table.file} for ${name}, not a Parquet file`);
      continue;
    }
    if (!existsSync(path)) {
      problem(`${path}: missing (the manifest lists table ${name})`);
      continue;
    }
    let facts: Awaited<ReturnType<typeof parquetFacts>>;
    try {
      facts = await parquetFacts(path);
    } catch (err) {
      problem(messageOf(err));
      continue;
    }
    check.rows = facts.rows;
    if (facts.rows !== table.rows) problem(`${path}: ${facts.rows} rows, the manifest says ${table.rows}`);
    const got = facts.schema.fields.map(
      (f) => `${f.name}:${String(f.type)}:${f.nullable ? 'null' : 'not null'}`,
    );
    const want = table.columns.map(
      (c) => `${c.name}:${ARROW_TYPES[c.kind]}:${c.nullable ? 'null' : 'not null'}`,
    );
    const missing = want.filter((w) => !got.includes(w));
    const extra = got.filter((g) => !want.includes(g));
    if (missing.length > 0 || extra.length > 0) {
      problem(
        `${path}: schema differs from the manifest's${missing.length ? `; expected ${missing.join(', ')}` : ''}${extra.length ? `; found ${extra.join(', ')}` : ''}`,
      );
    }
    const version =
      facts.keyValue[METADATA_KEYS.schemaVersion] ?? facts.schema.metadata.get(METADATA_KEYS.schemaVersion);
    if (version !== undefined && version !== table.schemaVersion) {
      problem(`${path}: schema version ${version}, the manifest says ${table.schemaVersion}`);
    }
    if (name === 'invocations' && check.rows !== null)
      await checkPlanned(path, manifest, facts.rows, problem);
  }
  if (!manifest.tables.invocations) problem(`${join(dir, 'manifest.json')}: lists no invocations table`);
  report.ok = report.problems.length === 0;
  return report;
}

/** planned = rows, and each planned seq once; for a merge of shards, seq 0 to planned - 1. */
async function checkPlanned(path: string, m: RunManifest, rows: number, problem: (t: string) => void) {
  const shards = m.merged?.shards;
  if (shards && shards.missing.length > 0) {
    problem(
      `${path}: shards ${shards.missing.join(', ')} of ${shards.count} are not in the merge: not the whole plan`,
    );
  }
  const planned = shards?.planned ?? m.shard?.planned ?? m.counts.planned;
  if (planned === undefined) {
    problem(`${path}: the manifest has no planned count`);
    return;
  }
  if (rows !== planned) {
    problem(
      `${path}: ${rows} rows for ${planned} planned invocations (${rows < planned ? `${planned - rows} missing` : `${rows - planned} too many`})`,
    );
  }
  // Distinct runs merged each have their own seq 0, 1, ...: only the row count is checked.
  if (m.merged && !m.merged.shards) return;
  const seqs = new Float64Array(rows);
  let n = 0;
  for await (const batch of parquetBatches(path, { columns: ['seq'] })) {
    const column = batch.getChild('seq');
    if (!column) break;
    for (const v of column.toArray() as BigInt64Array) if (n < rows) seqs[n++] = Number(v);
  }
  seqs.sort();
  let duplicates = 0;
  for (let i = 1; i < n; i++) if (seqs[i] === seqs[i - 1]) duplicates++;
  if (duplicates > 0) problem(`${path}: ${duplicates} seq values appear more than once`);
  const wholePlan = m.merged ? m.merged.shards !== undefined : m.shard === undefined;
  if (
    wholePlan &&
    duplicates === 0 &&
    n === planned &&
    n > 0 &&
    (seqs[0] !== 0 || seqs[n - 1] !== planned - 1)
  ) {
    problem(
      `${path}: seq runs from ${seqs[0]} to ${seqs[n - 1]}, not 0 to ${planned - 1}: the rows are not the whole plan`,
    );
  }
}
