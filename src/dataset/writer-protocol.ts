import type { ColumnSpec } from './columns.js';
import type { ParquetTableOptions } from './parquet.js';
import type { FixedDictionaries, StagedBatch } from './staging.js';

/** Messages from a thread's TableWriters to its writer thread (writer-worker.ts). */
export type ToWriter =
  | {
      op: 'open';
      table: number;
      path: string;
      parquetPath: string;
      columns: readonly ColumnSpec[];
      metadata: Record<string, string>;
      syncIntervalMs: number;
      /** Stream every batch to `path` as Arrow IPC (crash-safe); false: Parquet only. */
      crashSafe: boolean;
      parquet: ParquetTableOptions;
      /** utf8 columns whose batches give indexes into these texts (staging.ts), sent once. */
      dictionaries: FixedDictionaries;
    }
  /** Rows staged on the caller's thread; `bytes` is what they hold in memory until acked. */
  | { op: 'batch'; table: number; batch: StagedBatch; bytes: number }
  /** A record batch already serialized, as a one-batch IPC stream (schema, batch, end marker). */
  | { op: 'stream'; table: number; stream: Uint8Array; rows: number; bytes: number }
  /** The caller gave up on the table (e.g. the writer is not keeping up): drop what follows. */
  | { op: 'fail'; table: number; message: string }
  | { op: 'drain'; table: number; token: number }
  | { op: 'close'; table: number };

/** Messages from the writer thread back. */
export type FromWriter =
  /** A batch is written (ok) or dropped after a failure. */
  | {
      op: 'ack';
      table: number;
      rows: number;
      bytes: number;
      ok: boolean;
      /** The staged batch's arrays, handed back to be filled again (fewer allocations, fewer GCs). */
      recycled?: StagedBatch;
    }
  /**
   * The first failure of a table (sent before the ack of the batch it hit); `threadDied`: the
   * writer thread is gone and nothing more will be answered.
   */
  | { op: 'failed'; table: number; message: string; threadDied?: boolean }
  | { op: 'drained'; table: number; token: number }
  /** close() is done: Parquet written, or why not (`parquetError`: the stream is complete and kept). */
  | { op: 'closed'; table: number; parquetError?: string };
