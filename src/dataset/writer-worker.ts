/**
 * The writer thread: encodes the batches its parent thread's TableWriters stage, appends them to
 * each table's Arrow IPC stream and hands them to the table's Parquet writer (parquet-stream.ts),
 * so that none of this runs on the dispatcher's thread. Messages are handled in order, one chain
 * of writes per table; a write that fails cuts the file back to its last complete message. The
 * Parquet file is finished at close; if its writer failed, the stream is converted instead.
 */
import { type FileHandle, open, rm } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { makeData, RecordBatch, type Schema, Struct } from 'apache-arrow';
import { Arena, arrowSchema, type ColumnSpec, encodeColumn, ipcStream } from './columns.js';
import type { ParquetStream } from './parquet-stream.js';
import { type StagedBatch, type StagingSlot, stagedBuffers, stagingSlots } from './staging.js';
import type { FromWriter, ToWriter } from './writer-protocol.js';

const port = parentPort!;
const post = (m: FromWriter) => port.postMessage(m);

class StreamTable {
  private readonly schema: Schema;
  private readonly file: Promise<FileHandle>;
  private chain: Promise<void>;
  /** Where the schema message ends in a serialized stream. */
  private readonly schemaBytes: number;
  private readonly slots: StagingSlot[];
  /** Buffers of the batch being encoded; free again once it is serialized. */
  private readonly arena = new Arena();
  private writtenBytes = 0;
  private lastSyncMs = Date.now();
  private failure: string | undefined;
  private parquet: ParquetStream | undefined;
  private parquetFailed = false;

  constructor(
    private readonly id: number,
    private readonly path: string,
    private readonly parquetPath: string,
    private readonly columns: readonly ColumnSpec[],
    private readonly metadata: Record<string, string>,
    private readonly syncIntervalMs: number,
  ) {
    this.schema = arrowSchema(columns, new Map(Object.entries(metadata)));
    this.slots = stagingSlots(columns);
    const schemaOnly = ipcStream(this.schema, []);
    this.schemaBytes = schemaOnly.length - 8;
    this.file = open(path, 'w');
    this.chain = this.file.then(
      async (fh) => void (await this.write(fh, schemaOnly.subarray(0, this.schemaBytes))),
      (err: Error) => this.fail(err.message),
    );
  }

  /**
   * Encodes and appends one batch (`encode` gives it as a one-batch IPC stream), then hands it to
   * the Parquet writer; acks it either way.
   */
  append(rows: number, bytes: number, encode: () => Uint8Array, recycled?: StagedBatch): void {
    this.chain = this.chain.then(async () => {
      let ok = false;
      if (!this.failure) {
        try {
          const stream = encode();
          ok = await this.write(await this.file, stream.subarray(this.schemaBytes, stream.length - 8));
          if (ok) await this.toParquet(stream);
        } catch (err) {
          this.fail((err as Error).message);
        }
      }
      // Encoded (serialized, copied) by now: the staged arrays can go back to be filled again.
      if (recycled)
        port.postMessage({ op: 'ack', table: this.id, rows, bytes, ok, recycled }, stagedBuffers(recycled));
      else post({ op: 'ack', table: this.id, rows, bytes, ok });
    });
  }

  /** Feeds the Parquet file being written; if that fails, close() converts the stream instead. */
  private async toParquet(stream: Uint8Array): Promise<void> {
    if (this.parquetFailed || this.parquet?.failed) {
      this.parquetFailed = true;
      return;
    }
    try {
      if (!this.parquet) {
        const { ParquetStream } = await import('./parquet-stream.js');
        this.parquet = new ParquetStream(this.parquetPath, this.columns, this.metadata);
      }
      this.parquet.push(stream);
      await this.parquet.room();
    } catch {
      this.parquetFailed = true;
    }
  }

  batch(m: Extract<ToWriter, { op: 'batch' }>): void {
    this.append(
      m.batch.length,
      m.bytes,
      () => {
        const fields = this.schema.fields;
        this.arena.reset();
        const children = this.columns.map((spec, i) =>
          encodeColumn(spec, fields[i]!.type, this.slots[i]!, m.batch, this.arena),
        );
        const data = makeData({ type: new Struct(fields), length: m.batch.length, nullCount: 0, children });
        return ipcStream(this.schema, [new RecordBatch(this.schema, data)]);
      },
      m.batch,
    );
  }

  after(f: () => void | Promise<void>): Promise<void> {
    this.chain = this.chain.then(f);
    return this.chain;
  }

  /** Appends bytes; on failure cuts the file back to the last complete message. */
  private async write(fh: FileHandle, bytes: Uint8Array): Promise<boolean> {
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, this.writtenBytes + done);
        done += bytesWritten;
      }
      this.writtenBytes += bytes.length;
      if (Date.now() - this.lastSyncMs >= this.syncIntervalMs) {
        this.lastSyncMs = Date.now();
        await fh.datasync();
      }
      return true;
    } catch (err) {
      await fh.truncate(this.writtenBytes).catch(() => {});
      this.fail((err as Error).message);
      return false;
    }
  }

  fail(message: string): void {
    if (this.failure) return;
    this.failure = message;
    post({ op: 'failed', table: this.id, message });
  }

  /** Finishes the stream and, unless it failed, the Parquet file (else converts the stream), and removes the stream. */
  async close(): Promise<void> {
    await this.chain;
    const fh = await this.file.catch(() => undefined);
    if (fh) {
      if (!this.failure) await fh.datasync().catch((err: Error) => this.fail(err.message));
      await fh.close();
    }
    if (this.failure) {
      await this.parquet?.abort();
      post({ op: 'closed', table: this.id });
      return;
    }
    try {
      const done =
        this.parquet && !this.parquetFailed ? await this.parquet.finish().catch(() => undefined) : undefined;
      if (done === undefined) {
        await this.parquet?.abort();
        const { arrowsToParquet } = await import('./parquet.js');
        await arrowsToParquet(this.path, this.parquetPath, {
          columns: this.columns,
          metadata: this.metadata,
        });
      }
      await rm(this.path);
      post({ op: 'closed', table: this.id });
    } catch (err) {
      post({ op: 'closed', table: this.id, parquetError: (err as Error).message });
    }
  }
}

const tables = new Map<number, StreamTable>();
port.on('message', (m: ToWriter) => {
  if (m.op === 'open') {
    tables.set(
      m.table,
      new StreamTable(m.table, m.path, m.parquetPath, m.columns, m.metadata, m.syncIntervalMs),
    );
    return;
  }
  const t = tables.get(m.table)!;
  switch (m.op) {
    case 'batch':
      return t.batch(m);
    case 'stream':
      return t.append(m.rows, m.bytes, () => m.stream);
    case 'fail':
      return void t.after(() => t.fail(m.message));
    case 'drain':
      return void t.after(() => post({ op: 'drained', table: m.table, token: m.token }));
    case 'close':
      tables.delete(m.table);
      return void t.close();
  }
});
