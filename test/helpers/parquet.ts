import { readFile } from 'node:fs/promises';
import { type Table, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';

/** Reads a Parquet file back through parquet-wasm's reader into an apache-arrow Table. */
export async function readParquetTable(path: string): Promise<Table> {
  return tableFromIPC(readParquet(await readFile(path)).intoIPCStream());
}

/** The rows of a table as plain objects (int64 as bigint, timestamps as epoch ms numbers). */
export function rowsOf(table: Table): Record<string, unknown>[] {
  return table.toArray().map((r) => r.toJSON() as Record<string, unknown>);
}
