/**
 * parquet-wasm's two streams, typed by what they carry. Its typings give both as a bare
 * `ReadableStream` (items `any`): ParquetFile.stream() yields parquet-wasm RecordBatch objects,
 * transformParquetStream() yields Parquet file bytes. Every item is checked (instanceof) before it
 * is typed, so a changed library fails here with a message, not later with a TypeError.
 */
import {
  type ParquetFile,
  type ReaderOptions,
  RecordBatch,
  transformParquetStream,
  type WriterProperties,
} from 'parquet-wasm';

/** The record batches of an open file; each is consumed by its intoIPCStream(). */
export async function* wasmBatches(file: ParquetFile, options: ReaderOptions): AsyncGenerator<RecordBatch> {
  for await (const item of await file.stream(options)) {
    if (!(item instanceof RecordBatch))
      throw new TypeError('parquet-wasm streamed something else than a RecordBatch');
    yield item;
  }
}

/** The bytes of a Parquet file written from a stream of record batches, in order. */
export async function* parquetChunks(
  batches: ReadableStream,
  props: WriterProperties,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of await transformParquetStream(batches, props)) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('parquet-wasm wrote something else than bytes');
    yield chunk;
  }
}
