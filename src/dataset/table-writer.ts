import { type FileHandle, open, rm } from 'node:fs/promises';
import { makeData, RecordBatch, RecordBatchStreamWriter, type Schema, Struct } from 'apache-arrow';
import { FaasloadError } from '../errors.js';
import { arrowSchema, type CellValue, ColumnBuilder, type ColumnSpec, rowAppender } from './columns.js';
import { arrowsToParquet } from './parquet.js';

export type Row = Record<string, CellValue>;

/** k6's Output lifecycle: add() never blocks the caller; close() finishes the table. */
export interface TableSink<R> {
  add(rows: readonly R[]): void;
  close(): Promise<TableSummary>;
}

export interface TableSummary {
  table: string;
  /** Rows in the final file. */
  rows: number;
  /** The final file (Parquet), relative to the run folder. */
  file: string;
}

export interface TableWriterOptions {
  /** Folder of the run; the table becomes <dir>/<name>.arrows during the run, <name>.parquet after. */
  dir: string;
  name: string;
  columns: readonly ColumnSpec[];
  /** Key/value metadata written into the schema and the Parquet footer (schema version, run id). */
  metadata?: Record<string, string>;
  /** Rows per Arrow record batch; a batch is also written at least every flushIntervalMs. */
  batchRows?: number;
  flushIntervalMs?: number;
  /**
   * Bytes of encoded batches allowed to wait for the disk. Past it the disk is not keeping up:
   * the writer fails (onError) instead of growing memory. Default 64 MiB.
   */
  maxPendingBytes?: number;
  /** The stream is flushed to stable storage (fdatasync) at most this often. Default 5 s. */
  syncIntervalMs?: number;
  /** Called once, at the first failure (full disk, write error, disk too slow). */
  onError?: (error: FaasloadError) => void;
}

export const TABLE_WRITER_DEFAULTS = {
  batchRows: 8192,
  flushIntervalMs: 1000,
  maxPendingBytes: 64 * 1024 * 1024,
  syncIntervalMs: 5000,
} as const;

/**
 * Buffers rows into Arrow record batches (typed arrays, one Schema) and streams them to an Arrow
 * IPC stream file while the run goes on, so a crash keeps every batch written; close() turns the
 * stream into Parquet (bounded memory, see parquet.ts) and removes it.
 *
 * Hot path: add() only copies cells into typed arrays; a flush (every batchRows rows or
 * flushIntervalMs) wraps them as Arrow data and serializes the batch on the caller's thread
 * (measured by `npm run bench -- dataset`: a few ms per 8192 rows); the file writes are async.
 * Bounded memory: at most maxPendingBytes wait for the disk. A failure (ENOSPC, EIO, a disk
 * too slow) is reported once through onError and by close(); the stream is cut back to its last
 * complete batch, rows added afterwards are counted as lost, and nothing already written is lost.
 */
export class TableWriter implements TableSink<Row> {
  readonly schema: Schema;
  readonly arrowsPath: string;
  private readonly builders: ColumnBuilder[];
  private readonly append: (row: Row) => void;
  private readonly timer: NodeJS.Timeout;
  private readonly o: Required<Omit<TableWriterOptions, 'metadata' | 'onError'>> & TableWriterOptions;
  private readonly file: Promise<FileHandle>;
  /** Serializes the writes: each batch is appended after the previous one. */
  private chain: Promise<void>;
  private schemaBytes = 0;
  private writtenBytes = 0;
  private pendingBytes = 0;
  private lastSyncMs = Date.now();
  private added = 0;
  private written = 0;
  private lost = 0;
  private closed = false;
  private failure: FaasloadError | undefined;

  constructor(options: TableWriterOptions) {
    this.o = { ...TABLE_WRITER_DEFAULTS, ...options };
    this.schema = arrowSchema(options.columns, new Map(Object.entries(options.metadata ?? {})));
    this.builders = options.columns.map((c) => new ColumnBuilder(c));
    this.append = rowAppender(this.builders);
    this.arrowsPath = `${options.dir}/${options.name}.arrows`;
    // The schema message starts the stream; it is what a batch's serialization is cut after.
    const schemaOnly = serialize(this.schema, []);
    this.schemaBytes = schemaOnly.length - 8;
    this.file = open(this.arrowsPath, 'w');
    this.chain = this.file.then(
      (fh) => this.writeBytes(fh, schemaOnly.subarray(0, this.schemaBytes), 0),
      (err: Error) => this.fail(err),
    );
    this.timer = setInterval(() => this.flush(), this.o.flushIntervalMs);
    this.timer.unref();
  }

  /** Rows given to add(), written to the stream, and lost (added after a failure). */
  get counts(): { added: number; written: number; lost: number } {
    return { added: this.added, written: this.written, lost: this.lost };
  }

  /** The first failure, if any. */
  get error(): FaasloadError | undefined {
    return this.failure;
  }

  add(rows: readonly Row[]): void {
    this.added += rows.length;
    if (this.failure || this.closed) {
      this.lost += rows.length;
      return;
    }
    const append = this.append;
    for (const row of rows) append(row);
    if ((this.builders[0]?.length ?? 0) >= this.o.batchRows) this.flush();
  }

  /**
   * Appends a record batch built elsewhere (merge, conversions): its columns must be the
   * table's, in order, with the same types. Rows added before it are flushed first.
   */
  addBatch(batch: RecordBatch): void {
    this.flush();
    this.added += batch.numRows;
    if (this.failure || this.closed) {
      this.lost += batch.numRows;
      return;
    }
    this.queue(new RecordBatch(this.schema, batch.data), batch.numRows);
  }

  /** Encodes the buffered rows as one record batch and queues it for the file. */
  flush(): void {
    const length = this.builders[0]?.length ?? 0;
    if (length === 0) return;
    if (this.failure) {
      this.lost += length;
      for (const b of this.builders) b.clear();
      return;
    }
    const children = this.builders.map((b, i) => b.flush(this.schema.fields[i]!.type));
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children });
    this.queue(new RecordBatch(this.schema, data), length);
  }

  private queue(batch: RecordBatch, length: number): void {
    const stream = serialize(this.schema, [batch]);
    const bytes = stream.subarray(this.schemaBytes, stream.length - 8);
    if (this.pendingBytes + bytes.length > this.o.maxPendingBytes) {
      this.lost += length;
      this.fail(
        new Error(
          `the disk is not keeping up: ${(this.pendingBytes / 1048576).toFixed(1)} MiB of batches are waiting to be written (limit ${(this.o.maxPendingBytes / 1048576).toFixed(0)} MiB)`,
        ),
      );
      return;
    }
    this.pendingBytes += bytes.length;
    this.chain = this.chain.then(async () => {
      if (this.failure) {
        this.lost += length;
        this.pendingBytes -= bytes.length;
        return;
      }
      const fh = await this.file;
      await this.writeBytes(fh, bytes, length);
      this.pendingBytes -= bytes.length;
    });
  }

  /** Resolves when every batch queued so far is written (or failed): backpressure for bulk writers. */
  async drain(): Promise<void> {
    await this.chain;
  }

  /** Appends one message; on failure cuts the file back to the last complete message. */
  private async writeBytes(fh: FileHandle, bytes: Uint8Array, rows: number): Promise<void> {
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, this.writtenBytes + done);
        done += bytesWritten;
      }
      this.writtenBytes += bytes.length;
      this.written += rows;
      if (Date.now() - this.lastSyncMs >= this.o.syncIntervalMs) {
        this.lastSyncMs = Date.now();
        await fh.datasync();
      }
    } catch (err) {
      this.lost += rows;
      await fh.truncate(this.writtenBytes).catch(() => {});
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = new FaasloadError('E_DATASET', `${this.arrowsPath}: ${err.message}`, { cause: err });
    this.o.onError?.(this.failure);
  }

  /**
   * Writes the last batch, waits for the file, converts it to Parquet and removes the stream.
   * Throws an E_DATASET error naming the file after a failure; the stream then keeps every
   * complete batch for `faasload dataset recover`.
   */
  async close(): Promise<TableSummary> {
    clearInterval(this.timer);
    this.flush();
    this.closed = true;
    await this.chain;
    const fh = await this.file.catch(() => undefined);
    if (fh) {
      if (!this.failure) await fh.datasync().catch((err: Error) => this.fail(err));
      await fh.close();
    }
    const { dir, name } = this.o;
    if (this.failure) {
      const lost = this.lost > 0 ? `; ${this.lost} rows after it could not be written` : '';
      throw new FaasloadError(
        'E_DATASET',
        `${this.failure.message}; ${this.written} rows are kept in complete batches (faasload dataset recover ${dir})${lost}`,
        { cause: this.failure },
      );
    }
    const parquetPath = `${dir}/${name}.parquet`;
    try {
      await arrowsToParquet(this.arrowsPath, parquetPath, {
        columns: this.o.columns,
        metadata: this.o.metadata ?? {},
      });
    } catch (err) {
      throw new FaasloadError(
        'E_DATASET',
        `${parquetPath}: could not write Parquet (${(err as Error).message}); the rows are kept in ${this.arrowsPath} (faasload dataset recover ${dir})`,
        { cause: err },
      );
    }
    await rm(this.arrowsPath);
    return { table: name, rows: this.written, file: `${name}.parquet` };
  }
}

/** One IPC stream (schema, batches, end marker) in memory. */
function serialize(schema: Schema, batches: RecordBatch[]): Uint8Array {
  const w = new RecordBatchStreamWriter();
  w.reset(undefined, schema);
  for (const b of batches) w.write(b);
  w.finish();
  return w.toUint8Array(true);
}
