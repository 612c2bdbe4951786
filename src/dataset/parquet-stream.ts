import { open, rename, rm } from 'node:fs/promises';
import { makeData, RecordBatch, Struct } from 'apache-arrow';
import { Table, transformParquetStream } from 'parquet-wasm';
import { chunksOf } from '../util/web-stream.js';
import { arrowSchema, type ColumnSpec, ipcStream } from './columns.js';
import { type ParquetTableOptions, writerProperties } from './parquet.js';

/**
 * Hands the batches of a one-batch IPC stream to the Parquet writer. The writer takes each batch
 * (they share the table's buffers); the table itself is freed now, not when the garbage collector
 * finalizes it: the writer thread allocates little on the JS heap, so collections are rare and
 * tables would pile up in WebAssembly memory (which never shrinks), hundreds of MB over a day's plan.
 */
function enqueueAll(controller: ReadableStreamDefaultController, stream: Uint8Array): void {
  const table = Table.fromIPCStream(stream);
  try {
    for (const batch of table.recordBatches()) controller.enqueue(batch);
  } finally {
    table.free();
  }
}

/** A one-batch IPC stream of no rows, with the table's schema and metadata. */
function emptyStream(columns: readonly ColumnSpec[], metadata: Record<string, string>): Uint8Array {
  const schema = arrowSchema(columns, new Map(Object.entries(metadata)));
  const children = schema.fields.map((f) => makeData({ type: f.type, length: 0 }));
  const data = makeData({ type: new Struct(schema.fields), length: 0, nullCount: 0, children });
  return ipcStream(schema, [new RecordBatch(schema, data)]);
}

/** Batches that may wait for the Parquet writer before the writer thread stops taking more. */
const MAX_QUEUED = 8;

/**
 * Writes a table's Parquet file while the run goes on: each batch given to push() (a one-batch
 * Arrow IPC stream) goes to parquet-wasm's streaming writer, which cuts a row group every
 * ROW_GROUP_ROWS rows, so that at the end only the last row group and the footer remain to be
 * written. The file is <path>.partial until finish() renames it: a Parquet file that exists is
 * complete. Memory: the row group being encoded, and the batches not yet taken by the writer.
 * The Arrow stream stays the crash-safe copy: a failure here loses nothing (see StreamTable).
 */
export class ParquetStream {
  private queue: Uint8Array[] = [];
  private wake: (() => void) | undefined;
  private roomWaiters: (() => void)[] = [];
  private ended = false;
  /** A batch was handed to the writer. */
  private taken = false;
  /** The writer failed: push() drops batches, finish() rejects. */
  failed = false;
  /** Why it failed (the first error: open, write or encode), once failed. */
  failure: Error | undefined;
  private readonly partial: string;
  private readonly written: Promise<number>;

  constructor(
    private readonly path: string,
    columns: readonly ColumnSpec[],
    metadata: Record<string, string>,
    options: ParquetTableOptions = {},
  ) {
    this.partial = `${path}.partial`;
    const batches = new ReadableStream({
      pull: async (controller) => {
        while (this.queue.length === 0 && !this.ended) await new Promise<void>((r) => (this.wake = r));
        const next = this.queue.shift();
        if (this.queue.length < MAX_QUEUED) for (const r of this.roomWaiters.splice(0)) r();
        if (!next) {
          // No rows at all: the writer still needs one batch to know the schema (an empty plan).
          if (!this.taken) enqueueAll(controller, emptyStream(columns, metadata));
          return controller.close();
        }
        this.taken = true;
        enqueueAll(controller, next);
      },
    });
    this.written = this.write(batches, writerProperties(columns, metadata, options));
    // Reported by finish(); meanwhile a failure only stops the queue from holding anything.
    this.written.catch((err: Error) => {
      this.failed = true;
      this.failure = err;
      this.queue = [];
      this.end();
    });
  }

  private async write(batches: ReadableStream, props: ReturnType<typeof writerProperties>): Promise<number> {
    const out = await open(this.partial, 'w');
    let bytes = 0;
    try {
      const parquet = await transformParquetStream(batches, props);
      for await (const chunk of chunksOf<Uint8Array>(parquet)) {
        await out.write(chunk);
        bytes += chunk.length;
      }
      await out.sync();
    } finally {
      await out.close();
    }
    return bytes;
  }

  /** Queues one batch, as a complete IPC stream (schema, batch, end marker). */
  push(ipcStream: Uint8Array): void {
    if (this.failed) return;
    this.queue.push(ipcStream);
    this.wake?.();
  }

  /** Resolves when fewer than MAX_QUEUED batches wait for the Parquet writer (backpressure). */
  room(): Promise<void> {
    if (this.queue.length < MAX_QUEUED || this.ended) return Promise.resolve();
    return new Promise((r) => this.roomWaiters.push(r));
  }

  /** Ends the file and renames it into place; returns its size. */
  async finish(): Promise<number> {
    this.end();
    const bytes = await this.written;
    await rename(this.partial, this.path);
    return bytes;
  }

  /** Drops what is queued and removes the partial file. */
  async abort(): Promise<void> {
    this.queue = [];
    this.end();
    await this.written.catch(() => {});
    await rm(this.partial, { force: true });
  }

  private end(): void {
    this.ended = true;
    this.wake?.();
    for (const r of this.roomWaiters.splice(0)) r();
  }
}
