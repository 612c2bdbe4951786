import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import type { ColumnKind, ColumnSpec } from './columns.js';
import { readFrames, scanIpcStream } from './ipc-scan.js';
import { writeManifest } from './manifest.js';
import { arrowsToParquet } from './parquet.js';
import { type RecoveryFact, readManifest } from './read-run.js';
import { METADATA_KEYS, tableDefinition } from './tables.js';

export interface RecoveredTable {
  table: string;
  rows: number;
  batches: number;
  /** The stream's end marker was there: the writer had finished it. */
  ended: boolean;
  /** Bytes of a last batch cut short, left out (0 when none). */
  droppedBytes: number;
  droppedReason?: string;
}

export interface RecoveryReport {
  dir: string;
  tables: RecoveredTable[];
}

/**
 * After a crash (kill -9, power loss, a full disk): turns every <table>.arrows stream of a run
 * folder into <table>.parquet, keeping every complete record batch and leaving out (and
 * reporting) a last batch cut short, then records it in the manifest (`recovered`, the tables'
 * row counts). The manifest's status is left as the run left it (a crashed replay's is
 * 'failed'). Idempotent: a folder with no stream is reported with no tables.
 */
export async function recoverRun(dir: string): Promise<RecoveryReport> {
  const manifest = await readManifest(dir);
  const streams = (await readdir(dir)).filter((f) => f.endsWith('.arrows')).sort();
  const report: RecoveryReport = { dir, tables: [] };
  if (streams.length === 0) return report;
  const fact: RecoveryFact = manifest.recovered ?? { at: '', tables: {} };
  for (const file of streams) {
    const name = file.slice(0, -'.arrows'.length);
    const path = join(dir, file);
    const scan = await scanIpcStream(path);
    if (!scan.schema) {
      throw new FaasloadError(
        'E_DATASET',
        `${path}: no Arrow schema at its start (${scan.fileBytes} bytes): nothing can be recovered from it`,
      );
    }
    const schema = tableFromIPC(await readFrames(path, scan.schema, [])).schema;
    const definition = tableDefinition(name);
    const known = manifest.tables[name]?.columns ?? definition?.columns ?? [];
    const columns: ColumnSpec[] = schema.fields.map(
      (f) =>
        known.find((c) => c.name === f.name) ?? {
          name: f.name,
          kind: kindOf(String(f.type)),
          nullable: f.nullable,
          doc: '',
        },
    );
    const metadata = Object.fromEntries(schema.metadata);
    let conversion: Awaited<ReturnType<typeof arrowsToParquet>>;
    try {
      conversion = await arrowsToParquet(path, join(dir, `${name}.parquet`), { columns, metadata, scan });
    } catch (err) {
      throw new FaasloadError('E_DATASET', `${path}: could not be turned into Parquet (${messageOf(err)})`, {
        cause: err,
      });
    }
    await rm(path);
    const recovered: RecoveredTable = {
      table: name,
      rows: conversion.rows,
      batches: conversion.batches,
      ended: conversion.ended,
      droppedBytes: conversion.truncated?.bytes ?? 0,
      ...(conversion.truncated
        ? { droppedReason: `${conversion.truncated.reason} at byte ${conversion.truncated.offset}` }
        : {}),
    };
    report.tables.push(recovered);
    const { table: _t, ...entry } = recovered;
    fact.tables[name] = entry;
    manifest.tables[name] = {
      file: `${name}.parquet`,
      rows: conversion.rows,
      schemaVersion: metadata[METADATA_KEYS.schemaVersion] ?? definition?.version ?? 'unknown',
      columns,
    };
  }
  fact.at = new Date().toISOString();
  manifest.recovered = fact;
  manifest.warnings = [
    ...(manifest.warnings ?? []),
    ...report.tables
      .filter((t) => t.droppedBytes > 0)
      .map(
        (t) =>
          `recover: ${t.table}: a last batch cut short was left out (${t.droppedReason}, ${t.droppedBytes} bytes)`,
      ),
  ];
  await writeManifest(dir, manifest);
  return report;
}

/** The column kind of an Arrow type, for a stream whose table faasload does not know. */
export function kindOf(arrowType: string): ColumnKind {
  if (arrowType.startsWith('Timestamp')) return 'timestamp_us';
  const kinds: Record<string, ColumnKind> = {
    Int64: 'int64',
    Int32: 'int32',
    Float64: 'float64',
    Bool: 'bool',
    Utf8: 'utf8',
  };
  return kinds[arrowType] ?? 'utf8';
}
