import { open, rename, rm } from 'node:fs/promises';
import {
  Compression,
  EnabledStatistics,
  Encoding,
  Table,
  transformParquetStream,
  WriterPropertiesBuilder,
  WriterVersion,
  writeParquet,
} from 'parquet-wasm';
import { chunksOf } from '../util/web-stream.js';
import { VERSION } from '../version.js';
import type { ColumnKind, ColumnSpec } from './columns.js';
import { type IpcFrame, type IpcScan, readFrames, scanIpcStream } from './ipc-scan.js';

/** Rows per Parquet row group: large enough for good compression, small enough to skip by. */
export const ROW_GROUP_ROWS = 128 * 1024;

/**
 * How a column is laid out in Parquet (before zstd):
 * - delta: DELTA_BINARY_PACKED, no dictionary: timestamps, sequence numbers, durations in µs;
 * - dictionary: dictionary pages (falling back to plain past 256 KiB of dictionary): names,
 *   statuses, anything with few distinct values;
 * - byte_stream_split: floats: a dictionary while it stays under 256 KiB per row group (few
 *   distinct values: memory sizes, whole-ms times), else BYTE_STREAM_SPLIT (many distinct values);
 * - byte_stream_split_only: floats known to be mostly distinct (drawn from a distribution):
 *   BYTE_STREAM_SPLIT from the start, never a dictionary (one would be slower and larger, and a
 *   table that raises dictionaryPageBytes would keep it for the whole row group);
 * - plain: no dictionary (high-cardinality strings such as random ids, booleans).
 */
export type ParquetEncoding =
  | 'delta'
  | 'dictionary'
  | 'byte_stream_split'
  | 'byte_stream_split_only'
  | 'plain';

/**
 * How a column's pages are compressed: zstd (the default: smallest), or snappy, which
 * parquet-wasm runs several times faster for columns that zstd barely shrinks more (floats
 * drawn from a distribution, after BYTE_STREAM_SPLIT: 4% larger, a fifth of the plan's
 * encoding time saved). Every Parquet reader reads both.
 */
export type ParquetCodec = 'zstd' | 'snappy';

/** The encoding of a column whose spec does not choose one. */
export function defaultEncoding(kind: ColumnKind): ParquetEncoding {
  switch (kind) {
    case 'int64':
    case 'timestamp_us':
      return 'delta';
    case 'float64':
      return 'byte_stream_split';
    case 'bool':
      return 'plain';
    case 'int32':
    case 'utf8':
      return 'dictionary';
  }
}

/** The encoding each column gets: its spec's choice, else its kind's default. */
export function columnEncodings(columns: readonly ColumnSpec[]): Record<string, ParquetEncoding> {
  return Object.fromEntries(columns.map((c) => [c.name, c.encoding ?? defaultEncoding(c.kind)]));
}

/** Dictionary bytes per column chunk before a column falls back to its other encoding. */
export const DICTIONARY_PAGE_BYTES = 256 * 1024;

/** Choices a table may make for its Parquet file. */
export interface ParquetTableOptions {
  /**
   * Dictionary bytes per column chunk (row group) before a dictionary column falls back to
   * plain (strings) or BYTE_STREAM_SPLIT (floats); applies to every column of the table.
   * Default DICTIONARY_PAGE_BYTES. Raise it for a table whose ids repeat but are many (the
   * plan's function column: tens of thousands of ids in a row group).
   */
  dictionaryPageBytes?: number;
  /**
   * Rows per row group; default ROW_GROUP_ROWS. Larger groups store a dictionary column's
   * dictionary fewer times (the plan's function ids), at the cost of the writer holding a larger
   * group in memory and readers skipping by coarser groups.
   */
  rowGroupRows?: number;
}

/** zstd, 128k-row groups, per-column encodings, and the key/value metadata (schema version, run id). */
export function writerProperties(
  columns: readonly ColumnSpec[],
  metadata: Record<string, string>,
  options: ParquetTableOptions = {},
) {
  let b = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setMaxRowGroupSize(options.rowGroupRows ?? ROW_GROUP_ROWS)
    .setWriterVersion(WriterVersion.V1)
    .setCreatedBy(`faasload ${VERSION}`)
    // Min/max per column chunk (row group), not per page: readers skip row groups by them, and
    // page-level statistics cost about a fifth of the writing time.
    .setStatisticsEnabled(EnabledStatistics.Chunk)
    // A column past this much dictionary per row group has many distinct values: it falls
    // back to its other encoding (BYTE_STREAM_SPLIT for floats, plain for strings) early.
    .setDictionaryPageSizeLimit(options.dictionaryPageBytes ?? DICTIONARY_PAGE_BYTES)
    .setKeyValueMetadata(new Map(Object.entries(metadata)));
  for (const c of columns) if (c.codec === 'snappy') b = b.setColumnCompression(c.name, Compression.SNAPPY);
  for (const [name, encoding] of Object.entries(columnEncodings(columns))) {
    b = b.setColumnDictionaryEnabled(name, encoding === 'dictionary' || encoding === 'byte_stream_split');
    if (encoding === 'delta') b = b.setColumnEncoding(name, Encoding.DELTA_BINARY_PACKED);
    if (encoding === 'byte_stream_split' || encoding === 'byte_stream_split_only')
      b = b.setColumnEncoding(name, Encoding.BYTE_STREAM_SPLIT);
    if (encoding === 'plain') b = b.setColumnEncoding(name, Encoding.PLAIN);
  }
  return b.build();
}

export interface ParquetConversion {
  rows: number;
  batches: number;
  parquetBytes: number;
  /** What the scan of the stream found cut short at its end (a crash, a full disk), if anything. */
  truncated?: IpcScan['truncated'];
  ended: boolean;
}

/** Batches of the stream handed to the Parquet writer at once: about one row group. */
function groups(frames: readonly IpcFrame[]): IpcFrame[][] {
  const out: IpcFrame[][] = [];
  let group: IpcFrame[] = [];
  let rows = 0;
  let bytes = 0;
  for (const f of frames) {
    group.push(f);
    rows += f.rows;
    bytes += f.bytes;
    if (rows >= ROW_GROUP_ROWS || bytes >= 32 * 1024 * 1024) {
      out.push(group);
      group = [];
      rows = 0;
      bytes = 0;
    }
  }
  if (group.length > 0) out.push(group);
  return out;
}

/**
 * Turns an Arrow IPC stream file into a Parquet file, one group of batches (about a row group)
 * at a time, so memory stays bounded by a row group whatever the table's size. Every complete
 * batch is kept; bytes after the last complete message (a batch cut short) are left out and
 * reported in `truncated`. Writes <parquetPath>.partial and renames it, so a Parquet file that
 * exists is complete. `columns` chooses the encodings (a column it does not name gets its
 * Arrow type's default).
 */
export async function arrowsToParquet(
  arrowsPath: string,
  parquetPath: string,
  options: {
    columns: readonly ColumnSpec[];
    metadata?: Record<string, string>;
    scan?: IpcScan;
  } & ParquetTableOptions,
): Promise<ParquetConversion> {
  const scan = options.scan ?? (await scanIpcStream(arrowsPath));
  const schema = scan.schema;
  if (!schema) {
    throw new Error(`${arrowsPath}: no Arrow schema at its start (${scan.fileBytes} bytes)`);
  }
  const props = writerProperties(options.columns, options.metadata ?? {}, options);
  const partial = `${parquetPath}.partial`;
  const out = await open(partial, 'w');
  let parquetBytes = 0;
  try {
    const todo = groups(scan.frames.filter((f) => f.kind === 'batch'));
    if (todo.length === 0) {
      // No rows: the writer still needs the schema, which an empty stream cannot give it.
      const bytes = writeParquet(Table.fromIPCStream(await readFrames(arrowsPath, schema, [])), props);
      await out.write(bytes);
      parquetBytes = bytes.length;
    } else {
      let next = 0;
      const batches = new ReadableStream({
        async pull(controller) {
          const group = todo[next++];
          if (!group) {
            controller.close();
            return;
          }
          const table = Table.fromIPCStream(await readFrames(arrowsPath, schema, group));
          // Freed now, not by the garbage collector (see parquet-stream.ts): the batches keep
          // their buffers until the writer drops them.
          try {
            for (const batch of table.recordBatches()) controller.enqueue(batch);
          } finally {
            table.free();
          }
        },
      });
      const parquet = await transformParquetStream(batches, props);
      for await (const chunk of chunksOf<Uint8Array>(parquet)) {
        await out.write(chunk);
        parquetBytes += chunk.length;
      }
    }
    await out.sync();
  } catch (err) {
    await out.close();
    await rm(partial, { force: true });
    throw err;
  }
  await out.close();
  await rename(partial, parquetPath);
  return {
    rows: scan.rows,
    batches: scan.frames.length,
    parquetBytes,
    ended: scan.ended,
    ...(scan.truncated ? { truncated: scan.truncated } : {}),
  };
}
