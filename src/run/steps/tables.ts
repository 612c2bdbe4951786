/**
 * Opening and closing a run's tables, for replay, simulate and generate: each table's writer gets
 * the run's metadata (schema version, run id), and each closed table its manifest entry.
 */
import { basename } from 'node:path';
import type { ColumnSpec } from '../../dataset/columns.js';
import type { TableFact } from '../../dataset/manifest.js';
import { type Row, TableWriter, type TableWriterOptions } from '../../dataset/table-writer.js';
import { METADATA_KEYS } from '../../dataset/tables.js';

/** One table of the run `runId` in `dir`: its writer, with the run's metadata. */
export function openTable(
  run: { dir: string; runId: string },
  name: string,
  columns: readonly ColumnSpec[],
  schemaVersion: string,
  options: Omit<TableWriterOptions, 'dir' | 'name' | 'columns' | 'metadata'> = {},
): TableWriter {
  return new TableWriter({
    ...options,
    dir: run.dir,
    name,
    columns,
    metadata: { [METADATA_KEYS.schemaVersion]: schemaVersion, [METADATA_KEYS.runId]: run.runId },
  });
}

/** Closes a table into its manifest entry; `columns` as the manifest records them. */
export async function closeTable(
  writer: TableWriter,
  schemaVersion: string,
  columns: TableFact['columns'],
): Promise<TableFact> {
  const t = await writer.close();
  return { file: t.file, rows: t.rows, schemaVersion, columns };
}

/**
 * Closes a table that may have failed (a full disk): its manifest entry either way (the stream
 * and the rows written when it failed), and the failure.
 */
export async function closeTableKeeping(
  writer: TableWriter,
  schemaVersion: string,
  columns: TableFact['columns'],
): Promise<{ fact: TableFact; error?: unknown }> {
  try {
    return { fact: await closeTable(writer, schemaVersion, columns) };
  } catch (error) {
    const file = basename(writer.arrowsPath);
    return { fact: { file, rows: writer.counts.written, schemaVersion, columns }, error };
  }
}

/** A table written whole at once (rows already in memory): its manifest entry. */
export async function writeTable(
  run: { dir: string; runId: string },
  name: string,
  columns: readonly ColumnSpec[],
  schemaVersion: string,
  rows: readonly Row[],
  options: Omit<TableWriterOptions, 'dir' | 'name' | 'columns' | 'metadata'> = {},
): Promise<TableFact> {
  const writer = openTable(run, name, columns, schemaVersion, options);
  writer.add(rows);
  return closeTable(writer, schemaVersion, columns);
}
