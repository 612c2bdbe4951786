/**
 * The writer thread: encodes the batches its parent thread's TableWriters stage, appends them to
 * each table's Arrow IPC stream and hands them to the table's Parquet writer (parquet-stream.ts),
 * so that none of this runs on the dispatcher's thread. Messages are handled in order, one chain
 * of writes per table; a write that fails cuts the file back to its last complete message. The
 * Parquet file is finished at close; if its writer failed, the stream is converted instead.
 * A table opened without crashSafe (ParquetTable) skips the stream: its batches go to the
 * Parquet writer alone, and a failure keeps nothing.
 */
import { type FileHandle, open, rm } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { makeData, RecordBatch, type Schema, Struct } from 'apache-arrow';
import { messageOf } from '../util/message.js';
import { Arena, arrowSchema, type ColumnSpec, encodeColumn, ipcStream } from './columns.js';
import type { ParquetTableOptions } from './parquet.js';
import type { ParquetStream } from './parquet-stream.js';
import {
  type FixedDictionaries,
  type StagedBatch,
  type StagingSlot,
  stagedBuffers,
  stagingSlots,
} from './staging.js';
import type { FromWriter, ToWriter } from './writer-protocol.js';

if (parentPort === null) throw new Error('writer-worker.js runs in a worker thread (see writer-thread.ts)');
const port = parentPort;
const post = (m: FromWriter) => port.postMessage(m);

/** Acks one batch; a staged batch's arrays go back to be filled again. */
function ack(table: number, rows: number, bytes: number, ok: boolean, recycled?: StagedBatch): void {
  if (recycled) port.postMessage({ op: 'ack', table, rows, bytes, ok, recycled }, stagedBuffers(recycled));
  else post({ op: 'ack', table, rows, bytes, ok });
}

/** Per column, its fixed dictionary as UTF-8, encoded once when the table opens (or undefined). */
type FixedEntries = readonly (readonly Uint8Array[] | undefined)[];

function fixedEntries(columns: readonly ColumnSpec[], dictionaries: FixedDictionaries): FixedEntries {
  return columns.map((c) => dictionaries[c.name]?.map((text) => Buffer.from(text, 'utf8')));
}

/** Encodes a staged batch as a one-batch IPC stream (schema, batch, end marker), in `arena`'s buffers. */
function encodeStaged(
  schema: Schema,
  columns: readonly ColumnSpec[],
  slots: readonly StagingSlot[],
  fixed: FixedEntries,
  arena: Arena,
  batch: StagedBatch,
): Uint8Array {
  const fields = schema.fields;
  arena.reset();
  const children = columns.map((spec, i) =>
    encodeColumn(spec, fields[i]!.type, slots[i]!, batch, arena, fixed[i]),
  );
  const data = makeData({ type: new Struct(fields), length: batch.length, nullCount: 0, children });
  return ipcStream(schema, [new RecordBatch(schema, data)]);
}

class StreamTable {
  private readonly schema: Schema;
  private readonly file: Promise<FileHandle>;
  private chain: Promise<void>;
  /** Where the schema message ends in a serialized stream. */
  private readonly schemaBytes: number;
  private readonly slots: StagingSlot[];
  private readonly fixed: FixedEntries;
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
    private readonly parquetOptions: ParquetTableOptions,
    dictionaries: FixedDictionaries,
  ) {
    this.schema = arrowSchema(columns, new Map(Object.entries(metadata)));
    this.slots = stagingSlots(columns);
    this.fixed = fixedEntries(columns, dictionaries);
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
          this.fail(messageOf(err));
        }
      }
      // Encoded (serialized, copied) by now: the staged arrays can go back to be filled again.
      ack(this.id, rows, bytes, ok, recycled);
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
        this.parquet = new ParquetStream(this.parquetPath, this.columns, this.metadata, this.parquetOptions);
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
      () => encodeStaged(this.schema, this.columns, this.slots, this.fixed, this.arena, m.batch),
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
      this.fail(messageOf(err));
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
          ...this.parquetOptions,
        });
      }
      await rm(this.path);
      post({ op: 'closed', table: this.id });
    } catch (err) {
      post({ op: 'closed', table: this.id, parquetError: messageOf(err) });
    }
  }
}

/**
 * A table written straight to Parquet, for an offline producer that can make its rows again:
 * no Arrow stream on disk, so each batch is encoded once (to IPC, which parquet-wasm reads) and
 * written once. A failure (unwritable path, full disk) is reported at the batch that meets it;
 * the partial file is then removed: nothing is kept.
 */
class ParquetTable {
  private readonly schema: Schema;
  private readonly slots: StagingSlot[];
  private readonly fixed: FixedEntries;
  private readonly arena = new Arena();
  private chain: Promise<void>;
  private parquet: ParquetStream | undefined;
  private failure: string | undefined;

  constructor(
    private readonly id: number,
    parquetPath: string,
    private readonly columns: readonly ColumnSpec[],
    metadata: Record<string, string>,
    options: ParquetTableOptions,
    dictionaries: FixedDictionaries,
  ) {
    this.schema = arrowSchema(columns, new Map(Object.entries(metadata)));
    this.slots = stagingSlots(columns);
    this.fixed = fixedEntries(columns, dictionaries);
    this.chain = import('./parquet-stream.js').then(
      ({ ParquetStream }) => {
        this.parquet = new ParquetStream(parquetPath, columns, metadata, options);
      },
      (err: Error) => this.fail(err.message),
    );
  }

  /** Hands one batch to the Parquet writer and waits for room (backpressure); acks it either way. */
  append(rows: number, bytes: number, encode: () => Uint8Array, recycled?: StagedBatch): void {
    this.chain = this.chain.then(async () => {
      let ok = false;
      const parquet = this.parquet;
      if (!this.failure && parquet) {
        try {
          if (!parquet.failed) {
            parquet.push(encode());
            await parquet.room();
          }
          if (parquet.failed) this.fail(parquet.failure?.message ?? 'the Parquet writer failed');
          else ok = true;
        } catch (err) {
          this.fail(messageOf(err));
        }
      }
      ack(this.id, rows, bytes, ok, recycled);
    });
  }

  batch(m: Extract<ToWriter, { op: 'batch' }>): void {
    this.append(
      m.batch.length,
      m.bytes,
      () => encodeStaged(this.schema, this.columns, this.slots, this.fixed, this.arena, m.batch),
      m.batch,
    );
  }

  after(f: () => void | Promise<void>): Promise<void> {
    this.chain = this.chain.then(f);
    return this.chain;
  }

  fail(message: string): void {
    if (this.failure) return;
    this.failure = message;
    post({ op: 'failed', table: this.id, message });
  }

  /** Finishes the file, or after a failure removes what was written of it. */
  async close(): Promise<void> {
    await this.chain;
    if (!this.failure && this.parquet) {
      try {
        await this.parquet.finish();
      } catch (err) {
        this.fail(messageOf(err));
      }
    }
    if (this.failure) await this.parquet?.abort();
    post({ op: 'closed', table: this.id });
  }
}

const tables = new Map<number, StreamTable | ParquetTable>();
port.on('message', (m: ToWriter) => {
  if (m.op === 'open') {
    tables.set(
      m.table,
      m.crashSafe
        ? new StreamTable(
            m.table,
            m.path,
            m.parquetPath,
            m.columns,
            m.metadata,
            m.syncIntervalMs,
            m.parquet,
            m.dictionaries,
          )
        : new ParquetTable(m.table, m.parquetPath, m.columns, m.metadata, m.parquet, m.dictionaries),
    );
    return;
  }
  const t = tables.get(m.table);
  if (t === undefined) {
    // A message for a table this thread never opened (or already closed): a protocol bug.
    post({ op: 'failed', table: m.table, message: `writer thread: no open table ${m.table} for ${m.op}` });
    return;
  }
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
