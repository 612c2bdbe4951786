import { openAsBlob } from 'node:fs';
import { type RecordBatch, type Schema, tableFromIPC } from 'apache-arrow';
import { Encoding, ParquetFile, type RecordBatch as WasmRecordBatch } from 'parquet-wasm';
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import { chunksOf } from '../util/web-stream.js';

/** What a Parquet file's footer says, read without its data. */
export interface ParquetFacts {
  rows: number;
  rowGroups: number;
  /** The Arrow schema (with its key/value metadata) the file was written from. */
  schema: Schema;
  /** Encodings per column, of the first row group. */
  encodings: Record<string, string[]>;
  keyValue: Record<string, string>;
}

async function openParquet(path: string): Promise<ParquetFile> {
  try {
    return await ParquetFile.fromFile(await openAsBlob(path));
  } catch (err) {
    throw new FaasloadError('E_DATASET', `${path}: not a readable Parquet file (${messageOf(err)})`, {
      cause: err,
    });
  }
}

/** Reads the footer of a Parquet file: row count, row groups, schema, encodings. */
export async function parquetFacts(path: string): Promise<ParquetFacts> {
  const file = await openParquet(path);
  try {
    const meta = file.metadata();
    const fileMeta = meta.fileMetadata();
    const encodings: Record<string, string[]> = {};
    if (meta.numRowGroups() > 0) {
      const group = meta.rowGroup(0);
      for (let i = 0; i < group.numColumns(); i++) {
        const column = group.column(i);
        encodings[column.columnPath().join('.')] = column.encodings().map((e) => Encoding[e] ?? String(e));
      }
    }
    const keyValue = Object.fromEntries(fileMeta.keyValueMetadata() as Map<string, string>);
    // The Arrow schema of the file, from an empty read (no row group decoded).
    const empty = await file.read({ limit: 0 });
    const schema = tableFromIPC(empty.intoIPCStream()).schema;
    return { rows: Number(fileMeta.numRows()), rowGroups: meta.numRowGroups(), schema, encodings, keyValue };
  } finally {
    file.free();
  }
}

/**
 * The record batches of a Parquet file, `batchRows` at a time, as apache-arrow batches: memory
 * is bounded by a batch and the row group being decoded, whatever the file's size.
 */
export async function* parquetBatches(
  path: string,
  options: { batchRows?: number; columns?: string[] } = {},
): AsyncGenerator<RecordBatch> {
  const file = await openParquet(path);
  try {
    const stream = await file.stream({
      batchSize: options.batchRows ?? 65536,
      ...(options.columns ? { columns: options.columns } : {}),
    });
    for await (const batch of chunksOf<WasmRecordBatch>(stream)) {
      yield* tableFromIPC(batch.intoIPCStream()).batches;
    }
  } finally {
    file.free();
  }
}
