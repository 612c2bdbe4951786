import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ColumnSpec } from '../src/dataset/columns.js';
import { TableWriter } from '../src/dataset/table-writer.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'faasload-columnar-'));
  dirs.push(d);
  return d;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const COLUMNS = [
  { name: 'seq', kind: 'int64', nullable: false, doc: '' },
  { name: 'name', kind: 'utf8', nullable: false, doc: '' },
  { name: 'at', kind: 'timestamp_us', nullable: false, doc: '' },
  { name: 'x', kind: 'float64', nullable: true, doc: '' },
] as const satisfies readonly ColumnSpec[];

const NAMES = ['alpha', 'beta-é', 'gamma'];

describe('TableWriter.addColumns', () => {
  it('writes the same table as add(): numbers, NaN as null, fixed-dictionary indexes as their texts', async () => {
    const dir = await tmp();
    const rows = Array.from({ length: 25 }, (_, i) => ({
      seq: i,
      name: NAMES[(i * 7) % 3] ?? '',
      at: 1_764_000_000_000_000 + 3 * i,
      x: i % 4 === 0 ? null : i / 8,
    }));
    const byRows = new TableWriter({ dir, name: 'rows', columns: COLUMNS, batchRows: 10 });
    byRows.add(rows);
    await byRows.close();

    // Columns given in two calls that straddle batches, then a row by add() in the same table.
    const byColumns = new TableWriter({
      dir,
      name: 'columns',
      columns: COLUMNS,
      batchRows: 10,
      dictionaries: { name: NAMES },
    });
    const cols = (from: number, to: number) => {
      const part = rows.slice(from, to);
      return {
        seq: Float64Array.from(part, (r) => r.seq),
        name: Uint32Array.from(part, (r) => NAMES.indexOf(r.name)),
        at: Float64Array.from(part, (r) => r.at),
        x: Float64Array.from(part, (r) => r.x ?? Number.NaN),
      };
    };
    byColumns.addColumns(13, cols(0, 13));
    byColumns.addColumns(11, cols(13, 24));
    byColumns.add(rows.slice(24));
    const summary = await byColumns.close();
    assert.equal(summary.rows, 25);

    const expected = rowsOf(await readParquetTable(join(dir, 'rows.parquet')));
    assert.equal(expected.length, 25);
    assert.deepEqual(rowsOf(await readParquetTable(join(dir, 'columns.parquet'))), expected);
  });

  it('fails the table with an E_DATASET error naming the file when an index is past its dictionary', async () => {
    const dir = await tmp();
    const w = new TableWriter({
      dir,
      name: 't',
      columns: COLUMNS,
      dictionaries: { name: NAMES },
      crashSafe: false,
    });
    w.addColumns(2, {
      seq: Float64Array.of(0, 1),
      name: Uint32Array.of(0, 3),
      at: Float64Array.of(5, 6),
      x: Float64Array.of(1, 2),
    });
    await assert.rejects(w.close(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_DATASET');
      assert.match(err.message, /t\.parquet/);
      assert.match(err.message, /code 3 is past the dictionary of 3 texts/);
      return true;
    });
  });

  it('refuses a text outside the fixed dictionary in add(), and a fixed dictionary on a non-text column', async () => {
    const dir = await tmp();
    const w = new TableWriter({ dir, name: 't', columns: COLUMNS, dictionaries: { name: NAMES } });
    assert.throws(
      () => w.add([{ seq: 0, name: 'delta', at: 1, x: null }]),
      /delta is not in the column's fixed dictionary/,
    );
    await w.close();
    assert.throws(
      () => new TableWriter({ dir, name: 'u', columns: COLUMNS, dictionaries: { seq: ['a'] } }),
      /seq is not one/,
    );
  });
});

describe('TableWriter flushIntervalMs 0', () => {
  it('cuts batches by batchRows alone: rows wait for a full batch however long they wait', async () => {
    const dir = await tmp();
    const w = new TableWriter({ dir, name: 't', columns: COLUMNS, batchRows: 100, flushIntervalMs: 0 });
    w.add([{ seq: 0, name: 'a', at: 1, x: 1 }]);
    await sleep(50);
    await w.drain();
    assert.equal(w.counts.written, 0, 'nothing written before a full batch or close');
    await w.close();
    assert.equal(w.counts.written, 1);
  });
});
