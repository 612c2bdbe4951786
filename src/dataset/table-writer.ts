import { RecordBatch, type Schema } from 'apache-arrow';
import { FaasloadError } from '../errors.js';
import { type AnyRow, arrowSchema, type ColumnSpec, ipcStream, type RowOf } from './columns.js';
import type { ParquetTableOptions } from './parquet.js';
import { BatchStager, type ColumnCells, type FixedDictionaries, stagedBuffers } from './staging.js';
import type { FromWriter } from './writer-protocol.js';
import { writerThread } from './writer-thread.js';

/** A row of a table whose schema is known only as ColumnSpec[]; typed schemas give RowOf<schema>. */
export type Row = AnyRow;

/**
 * Rows given column by column to addColumns(): one array per column of the schema, by name
 * (numbers, NaN for null; a utf8 column with a fixed dictionary as indexes into it).
 */
export type ColumnarRows<C extends readonly ColumnSpec[]> = number extends C['length']
  ? Readonly<Record<string, ColumnCells>>
  : { readonly [S in C[number] as S['name']]: ColumnCells };

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

export interface TableWriterOptions<C extends readonly ColumnSpec[] = readonly ColumnSpec[]>
  extends ParquetTableOptions {
  /** Folder of the run; the table becomes <dir>/<name>.arrows during the run, <name>.parquet after. */
  dir: string;
  name: string;
  /** The schema; written `as const satisfies readonly ColumnSpec[]`, it types the rows (RowOf). */
  columns: C;
  /** Key/value metadata written into the schema and the Parquet footer (schema version, run id). */
  metadata?: Record<string, string>;
  /**
   * utf8 columns whose every value is in a list known now (the plan's function ids): the list
   * goes to the writer thread once and is encoded once, batches carry indexes into it, and
   * addColumns() takes the indexes. add() still takes the texts (one outside the list throws).
   */
  dictionaries?: FixedDictionaries;
  /**
   * Rows per Arrow record batch; a batch is also written at least every flushIntervalMs, unless
   * that is 0: batches are then cut by batchRows alone (and at close), so the file's bytes do not
   * depend on timing (an offline producer's reproducible output: schedule).
   */
  batchRows?: number;
  flushIntervalMs?: number;
  /**
   * Bytes of staged batches allowed to wait for the writer thread. Past it the disk (or the
   * writer thread) is not keeping up: see whenBehind. Default 64 MiB (room for a real-time
   * producer's bursts), 8 MiB with whenBehind 'wait' (a few batches keep the writer thread busy;
   * more only costs memory: about twice the cap, counting the copies on the writer thread).
   */
  maxPendingBytes?: number;
  /**
   * Past maxPendingBytes: 'fail' (a real-time producer such as a replay, which cannot slow
   * down: the table fails through onError instead of growing memory), or 'wait' (an offline
   * producer: batches are still accepted, and the producer awaits writable() after each add(),
   * so memory stays within maxPendingBytes plus one add()). Default 'fail'.
   */
  whenBehind?: 'fail' | 'wait';
  /**
   * true (default): every batch is streamed to <name>.arrows as it comes, so a crash or a full
   * disk keeps every complete batch. false: batches go to the Parquet writer alone, with no
   * stream on disk (about half the writer's work, for an offline producer that can make its
   * rows again: schedule); a failure then keeps nothing, and close()'s error says so.
   */
  crashSafe?: boolean;
  /**
   * How the rows kept after a failure are had back, for the error close() throws. Default
   * `faasload dataset recover <dir>`: only right when dir is a run folder (it has a manifest).
   */
  recovery?: string;
  /** The stream is flushed to stable storage (fdatasync) at most this often. Default 5 s. */
  syncIntervalMs?: number;
  /** Called once, at the first failure (full disk, write error, disk too slow). */
  onError?: (error: FaasloadError) => void;
}

export const TABLE_WRITER_DEFAULTS = {
  batchRows: 8192,
  flushIntervalMs: 1000,
  maxPendingBytes: 64 * 1024 * 1024,
  /** maxPendingBytes of an offline producer (whenBehind 'wait'). */
  waitingMaxPendingBytes: 8 * 1024 * 1024,
  whenBehind: 'fail',
  crashSafe: true,
  syncIntervalMs: 5000,
} as const;

/**
 * Buffers rows into Arrow record batches (one Schema per table) and streams them to an Arrow IPC
 * stream file while the run goes on, so a crash keeps every batch written, and to the table's
 * Parquet file, which close() finishes (the stream is then removed).
 *
 * Hot path: add() only stores cells into typed arrays (staging.ts); a full batch (batchRows, or
 * every flushIntervalMs) is handed whole to this thread's writer thread (writer-thread.ts), which
 * encodes it as Arrow, appends it to the stream and feeds the Parquet writer: the caller's thread
 * never encodes or waits for the disk. Bounded memory: at most maxPendingBytes of batches wait to
 * be written, unless an offline producer waits for writable(). A failure (ENOSPC, EIO, a disk or writer too slow) is reported once through onError
 * and by close(); the stream is cut back to its last complete batch, rows added afterwards are
 * counted as lost, and nothing already written is lost.
 */
export class TableWriter<C extends readonly ColumnSpec[] = readonly ColumnSpec[]>
  implements TableSink<RowOf<C>>
{
  readonly schema: Schema;
  readonly arrowsPath: string;
  /** The file being written while rows come: the stream (crashSafe), else the Parquet file. */
  readonly path: string;
  private readonly stager: BatchStager;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly o: Required<
    Omit<
      TableWriterOptions<C>,
      'metadata' | 'onError' | 'recovery' | 'dictionaryPageBytes' | 'rowGroupRows' | 'dictionaries'
    >
  > &
    TableWriterOptions<C>;
  private readonly thread = writerThread();
  private readonly id: number;
  private pending = 0;
  private added = 0;
  private written = 0;
  private lost = 0;
  private closed = false;
  private failure: FaasloadError | undefined;
  private threadDied = false;
  /** drain() and close() calls waiting for their answer, by token (close is token 0). */
  private readonly waiting = new Map<number, (answer?: string) => void>();
  private nextToken = 1;
  /** writable() calls waiting for the pending bytes to fall under the cap. */
  private wakers: (() => void)[] = [];

  constructor(options: TableWriterOptions<C>) {
    const { waitingMaxPendingBytes, ...defaults } = TABLE_WRITER_DEFAULTS;
    this.o = {
      ...defaults,
      ...(options.whenBehind === 'wait' ? { maxPendingBytes: waitingMaxPendingBytes } : {}),
      ...options,
    };
    const metadata = options.metadata ?? {};
    this.schema = arrowSchema(options.columns, new Map(Object.entries(metadata)));
    const dictionaries = options.dictionaries ?? {};
    this.stager = new BatchStager(options.columns, this.o.batchRows, dictionaries);
    this.arrowsPath = `${options.dir}/${options.name}.arrows`;
    const parquetPath = `${options.dir}/${options.name}.parquet`;
    this.path = this.o.crashSafe ? this.arrowsPath : parquetPath;
    this.id = this.thread.register((m) => this.hear(m));
    this.thread.send(
      {
        op: 'open',
        table: this.id,
        path: this.arrowsPath,
        parquetPath,
        columns: options.columns,
        metadata,
        syncIntervalMs: this.o.syncIntervalMs,
        crashSafe: this.o.crashSafe,
        parquet: {
          ...(options.dictionaryPageBytes === undefined
            ? {}
            : { dictionaryPageBytes: options.dictionaryPageBytes }),
          ...(options.rowGroupRows === undefined ? {} : { rowGroupRows: options.rowGroupRows }),
        },
        dictionaries,
      },
      [],
      false,
    );
    if (this.o.flushIntervalMs > 0) {
      this.timer = setInterval(() => this.flush(), this.o.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Rows given to add(), written to the stream, and lost (added after a failure). */
  get counts(): { added: number; written: number; lost: number } {
    return { added: this.added, written: this.written, lost: this.lost };
  }

  /** Bytes of batches handed to the writer thread and not written yet: backpressure for bulk writers. */
  get pendingBytes(): number {
    return this.pending;
  }

  /** The first failure, if any. */
  get error(): FaasloadError | undefined {
    return this.failure;
  }

  add(rows: readonly RowOf<C>[]): void {
    this.added += rows.length;
    if (this.failure || this.closed) {
      this.lost += rows.length;
      return;
    }
    const stager = this.stager;
    const append = stager.append;
    const capacity = stager.capacity;
    let done = 0;
    for (const row of rows) {
      try {
        append(row);
      } catch (err) {
        // A text outside its fixed dictionary: that row is dropped whole, and the rest not added.
        stager.n--;
        this.added -= rows.length - done;
        throw err;
      }
      done++;
      if (stager.n === capacity) this.flush();
    }
  }

  /**
   * add() of one row, without an array around it. The row's cells are copied before it returns,
   * so the caller may fill the same object again for the next row.
   */
  addRow(row: RowOf<C>): void {
    this.added++;
    if (this.failure || this.closed) {
      this.lost++;
      return;
    }
    this.stager.append(row);
    if (this.stager.n === this.stager.capacity) this.flush();
  }

  /**
   * add() for a bulk producer whose rows are already columns (a plan batch): copies rows
   * 0..length of each column into the staged batch, no row object made. Never blocks; an
   * offline producer awaits writable() after it, as after add().
   */
  addColumns(length: number, cells: ColumnarRows<C>): void {
    this.added += length;
    if (this.failure || this.closed) {
      this.lost += length;
      return;
    }
    const stager = this.stager;
    for (let from = 0; from < length; ) {
      const count = Math.min(length - from, stager.capacity - stager.n);
      stager.appendColumns(cells, from, count);
      from += count;
      if (stager.n === stager.capacity) this.flush();
    }
  }

  /**
   * Runs add()'s path on `rows` and drops them: nothing is counted, staged or written. For a
   * warm-up before the first add() (the JIT compiles the table's appendRow); ignored afterwards.
   */
  rehearse(rows: readonly RowOf<C>[]): void {
    if (this.added > 0 || this.closed) return;
    const stager = this.stager;
    for (const row of rows) {
      if (stager.n === stager.capacity) stager.clear();
      stager.append(row);
    }
    stager.clear();
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
    const stream = ipcStream(this.schema, [new RecordBatch(this.schema, batch.data)]);
    if (!this.reserve(stream.length, batch.numRows)) return;
    this.thread.send({ op: 'stream', table: this.id, stream, rows: batch.numRows, bytes: stream.length }, [
      stream.buffer as ArrayBuffer,
    ]);
  }

  /** Hands the buffered rows to the writer thread as one batch. */
  flush(): void {
    const length = this.stager.n;
    if (length === 0) return;
    if (this.failure) {
      this.lost += length;
      this.stager.clear();
      return;
    }
    const batch = this.stager.take();
    const buffers = stagedBuffers(batch);
    const bytes = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    if (!this.reserve(bytes, length)) return;
    this.thread.send({ op: 'batch', table: this.id, batch, bytes }, buffers);
  }

  /** Counts bytes waiting for the disk; past maxPendingBytes, fails the table unless whenBehind is 'wait'. */
  private reserve(bytes: number, rows: number): boolean {
    if (this.o.whenBehind === 'fail' && this.pending + bytes > this.o.maxPendingBytes) {
      this.lost += rows;
      const message = `the writer is not keeping up (a slow disk, or no CPU to spare): ${(this.pending / 1048576).toFixed(1)} MiB of batches are waiting to be written (limit ${(this.o.maxPendingBytes / 1048576).toFixed(1)} MiB)`;
      this.fail(message);
      this.thread.send({ op: 'fail', table: this.id, message }, [], false);
      return false;
    }
    this.pending += bytes;
    return true;
  }

  private hear(m: FromWriter): void {
    switch (m.op) {
      case 'ack':
        if (m.recycled) this.stager.recycle(m.recycled);
        this.pending -= m.bytes;
        if (m.ok) this.written += m.rows;
        else this.lost += m.rows;
        if (this.pending <= this.o.maxPendingBytes) this.wake();
        return;
      case 'failed':
        this.fail(m.message);
        this.wake();
        if (m.threadDied) {
          this.threadDied = true;
          for (const done of this.waiting.values()) done();
          this.waiting.clear();
        }
        return;
      case 'drained':
        this.waiting.get(m.token)?.();
        this.waiting.delete(m.token);
        return;
      case 'closed':
        this.waiting.get(0)?.(m.parquetError);
        this.waiting.delete(0);
        return;
    }
  }

  /** Resolves when every batch queued so far is written (or failed): backpressure for bulk writers. */
  drain(): Promise<void> {
    if (this.threadDied) return Promise.resolve();
    const token = this.nextToken++;
    return new Promise((resolve) => {
      this.waiting.set(token, () => resolve());
      this.thread.send({ op: 'drain', table: this.id, token });
    });
  }

  /**
   * Resolves once the batches waiting for the writer thread hold at most maxPendingBytes (at
   * once after a failure: add() then only counts rows as lost). Backpressure for an offline
   * producer (whenBehind 'wait'): `writer.add(rows); await writer.writable();`.
   */
  writable(): Promise<void> {
    if (this.failure || this.threadDied || this.pending <= this.o.maxPendingBytes) return Promise.resolve();
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = new FaasloadError('E_DATASET', `${this.path}: ${message}`);
    this.o.onError?.(this.failure);
  }

  /**
   * Writes the last batch, waits for the file, converts it to Parquet and removes the stream.
   * Throws an E_DATASET error naming the file after a failure; the stream then keeps every
   * complete batch for `faasload dataset recover` (without crashSafe, nothing is kept).
   */
  async close(): Promise<TableSummary> {
    clearInterval(this.timer);
    this.flush();
    this.closed = true;
    const { dir, name } = this.o;
    const parquetPath = `${dir}/${name}.parquet`;
    const parquetError = this.threadDied
      ? undefined
      : await new Promise<string | undefined>((resolve) => {
          this.waiting.set(0, resolve);
          this.thread.send({ op: 'close', table: this.id });
        });
    if (this.failure && !this.o.crashSafe) {
      throw new FaasloadError(
        'E_DATASET',
        `${this.failure.message}; nothing is kept (no stream was written, the partial Parquet file is removed): ${this.o.recovery ?? 'write the table again'}`,
        { cause: this.failure },
      );
    }
    if (this.failure) {
      const lost = this.lost > 0 ? `; ${this.lost} rows after it could not be written` : '';
      throw new FaasloadError(
        'E_DATASET',
        `${this.failure.message}; ${this.written} rows are kept in complete batches (${this.o.recovery ?? `faasload dataset recover ${dir}`})${lost}`,
        { cause: this.failure },
      );
    }
    if (parquetError !== undefined) {
      throw new FaasloadError(
        'E_DATASET',
        `${parquetPath}: could not write Parquet (${parquetError}); the rows are kept in ${this.arrowsPath} (${this.o.recovery ?? `faasload dataset recover ${dir}`})`,
      );
    }
    return { table: name, rows: this.written, file: `${name}.parquet` };
  }
}
