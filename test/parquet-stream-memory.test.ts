import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeVector, Table, tableToIPC } from 'apache-arrow';
import { wasmMemory } from 'parquet-wasm';
import type { ColumnSpec } from '../src/dataset/columns.js';
import { ParquetStream } from '../src/dataset/parquet-stream.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('ParquetStream', () => {
  it('frees each batch it hands to the Parquet writer: WebAssembly memory stays near one batch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faasload-parquet-stream-'));
    dirs.push(dir);
    // 200 batches of 2.4 MB each: 480 MB go through. A batch kept until the garbage collector
    // finalizes it grows the module's memory (which never shrinks) by whatever piles up meanwhile
    // (87 MB for 150 batches here before the fix); freed at once, by about a row group's worth.
    const n = 100_000;
    const table = new Table({
      seq: makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(i))),
      x: makeVector(Float64Array.from({ length: n }, (_, i) => i / 7)),
      y: makeVector(Float64Array.from({ length: n }, (_, i) => i / 3)),
    });
    const ipc = tableToIPC(table, 'stream');
    const columns: ColumnSpec[] = [
      { name: 'seq', kind: 'int64', nullable: false, doc: '' },
      { name: 'x', kind: 'float64', nullable: false, doc: '' },
      { name: 'y', kind: 'float64', nullable: false, doc: '' },
    ];
    const stream = new ParquetStream(join(dir, 't.parquet'), columns, {});
    const before = wasmMemory().buffer.byteLength;
    for (let i = 0; i < 200; i++) {
      stream.push(ipc);
      await stream.room();
    }
    await stream.finish();
    const grownMb = (wasmMemory().buffer.byteLength - before) / 1048576;
    assert.ok(grownMb < 48, `WebAssembly memory grew by ${grownMb.toFixed(0)} MB for 480 MB of batches`);
  });
});
