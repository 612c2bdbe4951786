import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { arrowSchema, type ColumnSpec, encodeColumn } from '../src/dataset/columns.js';
import {
  emptyInvocationRow,
  fillInvocationRow,
  INVOCATIONS_COLUMNS,
  invocationRow,
} from '../src/dataset/invocations.js';
import { scanIpcStream } from '../src/dataset/ipc-scan.js';
import { BatchStager, stagedBuffers } from '../src/dataset/staging.js';
import { TableWriter } from '../src/dataset/table-writer.js';
import type { FaasloadError } from '../src/errors.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'faasload-dataset-'));
  dirs.push(d);
  return d;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const COLUMNS: ColumnSpec[] = [
  { name: 'id', kind: 'int64', nullable: false, doc: '' },
  { name: 'at', kind: 'timestamp_us', nullable: true, doc: '' },
  { name: 'x', kind: 'float64', nullable: true, doc: '' },
  { name: 'code', kind: 'int32', nullable: true, doc: '' },
  { name: 'flag', kind: 'bool', nullable: true, doc: '' },
  { name: 'name', kind: 'utf8', nullable: true, doc: '' },
];

describe('TableWriter', () => {
  it('writes Parquet with the declared types, nulls and values over several batches', async () => {
    const dir = await tmp();
    const w = new TableWriter({
      dir,
      name: 't',
      columns: COLUMNS,
      batchRows: 3,
      metadata: { 'faasload.run_id': 'r1' },
    });
    const rows = Array.from({ length: 10 }, (_, i) => ({
      id: i,
      at: i % 4 === 0 ? null : 1_764_000_000_000_000 + i,
      x: i / 2,
      code: i % 3 === 0 ? undefined : 200 + i,
      flag: i % 5 === 0 ? null : i % 2 === 0,
      name: i % 2 ? `n${i}-é` : null,
    }));
    w.add(rows.slice(0, 4));
    w.add(rows.slice(4));
    const summary = await w.close();
    assert.deepEqual(summary, { table: 't', rows: 10, file: 't.parquet' });
    assert.ok(!existsSync(join(dir, 't.arrows')), 'the Arrow stream is removed once Parquet is written');

    const table = await readParquetTable(join(dir, 't.parquet'));
    assert.deepEqual(
      table.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
      [
        'id:Int64:false',
        'at:Timestamp<MICROSECOND, UTC>:true',
        'x:Float64:true',
        'code:Int32:true',
        'flag:Bool:true',
        'name:Utf8:true',
      ],
    );
    assert.equal(table.schema.metadata.get('faasload.run_id'), 'r1');
    const back = rowsOf(table);
    assert.equal(back.length, 10);
    back.forEach((r, i) => {
      const want = rows[i]!;
      assert.equal(r.id, BigInt(i));
      assert.equal(r.at, want.at === null ? null : want.at / 1000); // arrow-js gives timestamps in ms
      assert.equal(r.x, want.x);
      assert.equal(r.code, want.code ?? null);
      assert.equal(r.flag, want.flag);
      assert.equal(r.name, want.name);
    });
  });

  it('keeps every flushed batch readable in the Arrow stream while the run goes on', async () => {
    const dir = await tmp();
    const w = new TableWriter({ dir, name: 't', columns: COLUMNS, batchRows: 2 });
    w.add([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
    await w.drain();
    const partial = tableFromIPC(await readFile(join(dir, 't.arrows')));
    assert.deepEqual(partial.getChild('id')?.toArray(), BigInt64Array.from([1n, 2n, 3n, 4n]));
    await w.close();
  });

  it('fails cleanly when batches pile up faster than they are written, keeping the ones written', async () => {
    const dir = await tmp();
    const errors: FaasloadError[] = [];
    const probe = new BatchStager(COLUMNS, 100);
    const batchBytes = stagedBuffers(probe.take()).reduce((n, b) => n + b.byteLength, 0);
    const w = new TableWriter({
      dir,
      name: 't',
      columns: COLUMNS,
      batchRows: 100,
      maxPendingBytes: 3 * batchBytes,
      onError: (e) => errors.push(e),
    });
    // No await: the writer thread cannot answer before the fourth batch is handed over.
    for (let b = 0; b < 5; b++) w.add(Array.from({ length: 100 }, (_, i) => ({ id: 100 * b + i })));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /t\.arrows: the writer is not keeping up .*limit/);
    await assert.rejects(
      w.close(),
      /300 rows are kept in complete batches .*200 rows after it could not be written/,
    );
    assert.deepEqual(w.counts, { added: 500, written: 300, lost: 200 });
    const scan = await scanIpcStream(w.arrowsPath);
    assert.equal(scan.rows, 300);
  });

  it('makes an offline producer wait for a writer it outruns, where a real-time one fails', async () => {
    const probe = new BatchStager(COLUMNS, 100);
    const batchBytes = stagedBuffers(probe.take()).reduce((n, b) => n + b.byteLength, 0);
    // A producer three batches ahead of the writer at every step, against a cap of one batch.
    const produce = async (whenBehind: 'fail' | 'wait') => {
      const dir = await tmp();
      const errors: FaasloadError[] = [];
      const w = new TableWriter({
        dir,
        name: 't',
        columns: COLUMNS,
        batchRows: 100,
        maxPendingBytes: batchBytes,
        whenBehind,
        onError: (e) => errors.push(e),
      });
      let maxAfterWait = 0;
      for (let step = 0; step < 20; step++) {
        w.add(Array.from({ length: 300 }, (_, i) => ({ id: 300 * step + i })));
        await w.writable();
        maxAfterWait = Math.max(maxAfterWait, w.pendingBytes);
      }
      return { w, dir, errors, maxAfterWait };
    };
    const offline = await produce('wait');
    assert.deepEqual(offline.errors, []);
    assert.ok(offline.maxAfterWait <= batchBytes, `${offline.maxAfterWait} bytes pending after writable()`);
    assert.equal((await offline.w.close()).rows, 6000);
    const ids = rowsOf(await readParquetTable(join(offline.dir, 't.parquet'))).map((r) => Number(r.id));
    assert.deepEqual(
      ids,
      Array.from({ length: 6000 }, (_, i) => i),
    );

    const realTime = await produce('fail');
    assert.equal(realTime.errors.length, 1);
    assert.match(realTime.errors[0]!.message, /the writer is not keeping up/);
    await assert.rejects(realTime.w.close(), /rows after it could not be written/);
    assert.ok(realTime.w.counts.lost > 0);
  });

  it('keeps the stream and says why when the Parquet file cannot be written', async () => {
    const dir = await tmp();
    // A folder where the Parquet writer wants its .partial file: both the streaming writer and
    // the conversion at close fail.
    await mkdir(join(dir, 't.parquet.partial'));
    const w = new TableWriter({ dir, name: 't', columns: COLUMNS, batchRows: 10 });
    w.add(Array.from({ length: 95 }, (_, id) => ({ id })));
    await assert.rejects(w.close(), (err: FaasloadError) => {
      assert.equal(err.code, 'E_DATASET');
      assert.match(
        err.message,
        /t\.parquet: could not write Parquet \(.*\); the rows are kept in .*t\.arrows/,
      );
      return true;
    });
    assert.equal((await scanIpcStream(w.arrowsPath)).rows, 95);
  });

  it('writes a table with no rows', async () => {
    const dir = await tmp();
    const w = new TableWriter({ dir, name: 'empty', columns: COLUMNS });
    assert.equal((await w.close()).rows, 0);
    assert.equal((await readParquetTable(join(dir, 'empty.parquet'))).numRows, 0);
  });

  it('fails with the file named when the folder cannot be written', async () => {
    const dir = join(await tmp(), 'missing');
    const w = new TableWriter({ dir, name: 't', columns: COLUMNS });
    w.add([{ id: 1 }]);
    await assert.rejects(w.close(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_DATASET');
      assert.match(err.message, /missing\/t\.arrows/);
      return true;
    });
  });
});

describe('TableWriter without crash safety (offline: Parquet only)', () => {
  it('writes every row in order across row groups, with no Arrow stream on disk', async () => {
    const dir = await tmp();
    const w = new TableWriter({ dir, name: 't', columns: COLUMNS, crashSafe: false, whenBehind: 'wait' });
    assert.equal(w.path, join(dir, 't.parquet'));
    // More than one row group (128k rows), handed over in uneven adds.
    const n = 150_000;
    const row = (i: number) => ({
      id: i,
      at: i % 7 === 0 ? null : 1_764_000_000_000_000 + i,
      x: i / 4,
      code: i % 3 === 0 ? null : i % 500,
      flag: i % 5 === 0 ? null : i % 2 === 0,
      name: i % 11 === 0 ? null : `fn-${i % 977}`,
    });
    for (let from = 0; from < n; from += 7_001) {
      w.add(Array.from({ length: Math.min(7_001, n - from) }, (_, k) => row(from + k)));
      await w.writable();
      assert.ok(!existsSync(join(dir, 't.arrows')), 'no stream is written');
    }
    assert.deepEqual(await w.close(), { table: 't', rows: n, file: 't.parquet' });
    assert.ok(!existsSync(join(dir, 't.arrows')) && !existsSync(join(dir, 't.parquet.partial')));
    const back = rowsOf(await readParquetTable(join(dir, 't.parquet')));
    assert.equal(back.length, n);
    back.forEach((r, i) => {
      const want = row(i);
      assert.equal(r.id, BigInt(i));
      assert.equal(r.at, want.at === null ? null : want.at / 1000);
      assert.equal(r.x, want.x);
      assert.equal(r.code, want.code);
      assert.equal(r.flag, want.flag);
      assert.equal(r.name, want.name);
    });
  });

  it('fails with the Parquet file named, says nothing is kept, and leaves no partial file', async () => {
    const dir = join(await tmp(), 'missing');
    const errors: FaasloadError[] = [];
    const w = new TableWriter({
      dir,
      name: 't',
      columns: COLUMNS,
      crashSafe: false,
      whenBehind: 'wait',
      batchRows: 10,
      recovery: 'make it again',
      onError: (e) => errors.push(e),
    });
    for (let b = 0; b < 20; b++) {
      w.add(Array.from({ length: 10 }, (_, i) => ({ id: 10 * b + i })));
      await w.writable();
    }
    await assert.rejects(w.close(), (err: FaasloadError) => {
      assert.equal(err.code, 'E_DATASET');
      assert.match(err.message, /missing\/t\.parquet: .*ENOENT.*; nothing is kept .*: make it again$/);
      return true;
    });
    assert.equal(errors.length, 1);
    assert.equal(w.counts.added, 200);
    assert.ok(!existsSync(dir));
  });
});

describe('staging and encoding', () => {
  it('encodes any safe integer as int64 and any string as utf8 (dictionary or bytes), exactly', () => {
    const specs: ColumnSpec[] = [
      { name: 'i', kind: 'int64', nullable: true, doc: '' },
      { name: 'f', kind: 'float64', nullable: true, doc: '' },
      { name: 'd', kind: 'utf8', nullable: true, doc: '' },
      { name: 'b', kind: 'utf8', nullable: true, doc: '', encoding: 'plain' },
    ];
    const schema = arrowSchema(specs);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            i: fc.option(fc.maxSafeInteger(), { nil: null }),
            f: fc.option(fc.double(), { nil: null }),
            d: fc.option(fc.constantFrom('a', 'é', '', 'fn-1', '\u{1F600}'), { nil: null }),
            b: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
          }),
          { maxLength: 64 },
        ),
        (rows) => {
          const stager = new BatchStager(specs, 64);
          for (const r of rows) stager.append(r);
          const batch = stager.take();
          assert.equal(batch.length, rows.length);
          assert.equal(stager.n, 0, 'take() starts a new batch');
          const decoded = specs.map((spec, k) => {
            const data = encodeColumn(spec, schema.fields[k]!.type, stager.slots[k]!, batch);
            return rows.map((_, j) => {
              if (!data.getValid(j)) return null;
              if (spec.kind === 'int64') return Number((data.values as BigInt64Array)[j]);
              if (spec.kind === 'float64') return (data.values as Float64Array)[j];
              return Buffer.from(
                data.values.subarray(data.valueOffsets[j]!, data.valueOffsets[j + 1]!),
              ).toString();
            });
          });
          const want = (r: (typeof rows)[number]) => [
            r.i,
            r.f,
            r.d,
            // Lone surrogates become U+FFFD in UTF-8, as Buffer encodes them.
            r.b === null ? null : Buffer.from(r.b).toString(),
          ];
          specs.forEach((spec, k) => {
            assert.deepEqual(
              decoded[k],
              rows.map((r) => want(r)[k]),
              spec.name,
            );
          });
        },
      ),
    );
  });

  it('refuses nulls in a column that is not nullable', () => {
    const spec: ColumnSpec = { name: 'n', kind: 'float64', nullable: false, doc: '' };
    const stager = new BatchStager([spec], 4);
    stager.append({ n: 1 });
    stager.append({ n: null });
    const batch = stager.take();
    assert.throws(
      () => encodeColumn(spec, arrowSchema([spec]).fields[0]!.type, stager.slots[0]!, batch),
      /n is not nullable but got 1 nulls/,
    );
  });
});

describe('invocation rows', () => {
  const names = [{ id: 'app/fn', name: 'fn-0-app' }];
  it('derive lateness and latency from the times, and leave them null when not sent', () => {
    const sent = invocationRow(
      {
        arrival: { seq: 3, fn: 0, atUs: 10, durationMs: 5 },
        scheduledAtUs: 1000,
        firedAtUs: 1010,
        phase: 'measure',
        result: { outcome: 'ok', sentAtUs: 1250, endedAtUs: 9000, coldStart: true, httpStatus: 200 },
      },
      names,
    );
    assert.equal(sent.lateness_us, 250);
    assert.equal(sent.latency_us, 7750);
    assert.equal(sent.latency_from_schedule_us, 8000);
    assert.equal(sent.fired_at, 1010);
    assert.equal(sent.phase, 'measure');
    assert.equal(sent.function, 'app/fn');
    assert.equal(sent.target, 'fn-0-app');
    assert.equal(sent.requested_duration_ms, 5);
    const dropped = invocationRow(
      {
        arrival: { seq: 4, fn: 0, atUs: 10 },
        scheduledAtUs: 1000,
        firedAtUs: 1300,
        phase: 'warmup',
        result: { outcome: 'dropped', sentAtUs: 1300, endedAtUs: 1300 },
      },
      names,
    );
    assert.equal(dropped.sent_at, null);
    assert.equal(dropped.lateness_us, null);
    assert.equal(dropped.latency_from_schedule_us, null);
    assert.equal(dropped.fired_at, 1300);
    assert.equal(dropped.outcome, 'dropped');
    for (const c of INVOCATIONS_COLUMNS) assert.ok(c.name in sent, `row lacks column ${c.name}`);
  });

  it('one row object filled again for every invocation: addRow copies its cells, none is left over', async () => {
    const dir = await tmp();
    const w = new TableWriter({ dir, name: 'invocations', columns: INVOCATIONS_COLUMNS, batchRows: 2 });
    const row = emptyInvocationRow();
    assert.deepEqual(
      Object.keys(row),
      INVOCATIONS_COLUMNS.map((c) => c.name),
    );
    const records = [
      { outcome: 'ok' as const, sentAtUs: 1100, endedAtUs: 1500, httpStatus: 200, coldStart: true },
      {
        outcome: 'error' as const,
        sentAtUs: 2100,
        endedAtUs: 2200,
        failure: 'application' as const,
        error: 'x',
      },
      { outcome: 'dropped' as const, sentAtUs: 3000, endedAtUs: 3000 },
    ].map((result, seq) => ({
      arrival: { seq, fn: 0, atUs: seq * 1000, ...(seq === 0 ? { durationMs: 5 } : {}) },
      scheduledAtUs: 1000 * (seq + 1),
      firedAtUs: 1000 * (seq + 1) + 50,
      phase: 'measure' as const,
      result,
    }));
    for (const r of records) w.addRow(fillInvocationRow(row, r, names));
    await w.close();
    const back = rowsOf(await readParquetTable(join(dir, 'invocations.parquet')));
    const fresh = records.map((r) => invocationRow(r, names));
    assert.deepEqual(
      back.map((r) => [
        Number(r.seq),
        r.outcome,
        r.http_status,
        r.cold_start,
        r.error,
        r.requested_duration_ms,
      ]),
      fresh.map((r) => [
        r.seq,
        r.outcome,
        r.http_status ?? null,
        r.cold_start ?? null,
        r.error ?? null,
        r.requested_duration_ms ?? null,
      ]),
    );
  });
});
