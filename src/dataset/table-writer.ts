import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { makeData, RecordBatch, RecordBatchStreamWriter, type Schema, Struct } from 'apache-arrow';
import { FaasloadError } from '../errors.js';
import { arrowSchema, type CellValue, ColumnBuilder, type ColumnSpec } from './columns.js';
import { arrowStreamToParquet } from './parquet.js';

export type Row = Record<string, CellValue>;

/** k6's Output lifecycle: add() never blocks the caller; close() finishes the table. */
export interface TableSink<R> {
  add(rows: readonly R[]): void;
  close(): Promise<TableSummary>;
}

export interface TableSummary {
  table: string;
  rows: number;
  /** The final file (Parquet), relative to the run folder. */
  file: string;
}

export interface TableWriterOptions {
  /** Folder of the run; the table becomes <dir>/<name>.arrows during the run, <name>.parquet after. */
  dir: string;
  name: string;
  columns: readonly ColumnSpec[];
  /** Key/value metadata written into the schema (schema version, run id). */
  metadata?: Record<string, string>;
  /** Rows per Arrow record batch; a batch is also written at least every flushIntervalMs. */
  batchRows?: number;
  flushIntervalMs?: number;
}

/**
 * Buffers rows into Arrow record batches (typed arrays, one Schema) and streams them to an Arrow
 * IPC stream file while the run goes on, so a crash keeps every batch written. close() turns the
 * stream into Parquet and removes it. Limit: the conversion reads the whole stream into memory.
 */
export class TableWriter implements TableSink<Row> {
  readonly schema: Schema;
  private readonly builders: ColumnBuilder[];
  private readonly writer = new RecordBatchStreamWriter();
  private readonly out: WriteStream;
  private readonly done: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private readonly batchRows: number;
  private rows = 0;
  private failure: Error | undefined;
  readonly arrowsPath: string;

  constructor(private readonly options: TableWriterOptions) {
    this.schema = arrowSchema(options.columns, new Map(Object.entries(options.metadata ?? {})));
    this.builders = options.columns.map((c) => new ColumnBuilder(c));
    this.batchRows = options.batchRows ?? 8192;
    this.arrowsPath = `${options.dir}/${options.name}.arrows`;
    this.out = createWriteStream(this.arrowsPath);
    this.out.on('error', (err) => (this.failure ??= err));
    this.done = finished(this.writer.toNodeStream().pipe(this.out)).catch((err: Error) => {
      this.failure ??= err;
    });
    this.writer.reset(undefined, this.schema);
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  add(rows: readonly Row[]): void {
    for (const row of rows) {
      for (const b of this.builders) b.push(row[b.spec.name]);
    }
    this.rows += rows.length;
    if ((this.builders[0]?.length ?? 0) >= this.batchRows) this.flush();
  }

  /** Writes the buffered rows as one record batch. */
  flush(): void {
    const length = this.builders[0]?.length ?? 0;
    if (length === 0 || this.failure) return;
    const children = this.builders.map((b, i) => b.flush(this.schema.fields[i]!.type));
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children });
    this.writer.write(new RecordBatch(this.schema, data));
  }

  async close(): Promise<TableSummary> {
    clearInterval(this.timer);
    this.flush();
    this.writer.finish();
    await this.done;
    const { dir, name } = this.options;
    if (this.failure) {
      throw new FaasloadError('E_DATASET', `${this.arrowsPath}: ${this.failure.message}`, {
        cause: this.failure,
      });
    }
    const parquetPath = `${dir}/${name}.parquet`;
    try {
      const parquet = arrowStreamToParquet(await readFile(this.arrowsPath));
      await writeFile(parquetPath, parquet);
    } catch (err) {
      throw new FaasloadError(
        'E_DATASET',
        `${parquetPath}: could not write Parquet (${(err as Error).message}); the rows are kept in ${this.arrowsPath}`,
        { cause: err },
      );
    }
    await rm(this.arrowsPath);
    return { table: name, rows: this.rows, file: `${name}.parquet` };
  }
}
