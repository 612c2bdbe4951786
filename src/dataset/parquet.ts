import { Compression, Table, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';

/** Rows per Parquet row group: large enough for good compression, small enough to skip by. */
export const ROW_GROUP_ROWS = 128 * 1024;

/**
 * Turns an Arrow IPC stream (every batch of one table) into a Parquet file: zstd, row groups of
 * 128k rows, and the Arrow schema (with its key/value metadata) kept so readers get the same
 * types back. Synchronous and in memory.
 */
export function arrowStreamToParquet(ipcStream: Uint8Array): Uint8Array {
  const props = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .build();
  return writeParquet(Table.fromIPCStream(ipcStream), props);
}
