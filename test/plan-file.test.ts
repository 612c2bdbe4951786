import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Compression, ParquetFile } from 'parquet-wasm';
import { parquetFacts } from '../src/dataset/parquet-read.js';
import { loadPlan } from '../src/run/load-plan.js';
import { writeSchedule } from '../src/run/schedule.js';
import { fullSeq } from '../src/schedule/shard.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR } from './helpers/paths.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'faasload-plan-file-'));
  dirs.push(d);
  return d;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const null_ = (x: number) => (Number.isNaN(x) ? null : x);

describe('the plan file (faasload schedule --out)', () => {
  it('holds the plan row for row: seq, function id, time, duration and memory, in plan order', async () => {
    const dir = await tmp();
    const out = join(dir, 'plan.parquet');
    const options = { trace: AZURE2019_DIR, toUs: 15 * 60e6, seed: 3, speed: 2 };
    const r = await writeSchedule({ ...options, out });
    // The reference: the plan's own batches, read independently of the writer's path.
    const { plan } = await loadPlan(options);
    const ids = plan.functions.map((f) => f.id);
    const expected: unknown[] = [];
    for (const b of plan.batches()) {
      const { durationMs, memoryMb } = b;
      for (let i = 0; i < b.length; i++) {
        expected.push({
          seq: BigInt(fullSeq(b, i)),
          function: ids[b.fn[i] ?? -1],
          scheduled_us: BigInt(Math.round(b.atUs[i] ?? Number.NaN)),
          requested_duration_ms: null_(durationMs[i] ?? Number.NaN),
          requested_memory_mb: null_(memoryMb[i] ?? Number.NaN),
        });
      }
    }
    assert.ok(expected.length > 1000, `${expected.length} rows`);
    assert.equal(r.rows, expected.length);
    const table = await readParquetTable(out);
    assert.deepEqual(
      table.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
      [
        'seq:Int64:false',
        'function:Utf8:false',
        'scheduled_us:Int64:false',
        'requested_duration_ms:Float64:true',
        'requested_memory_mb:Float64:true',
      ],
    );
    assert.deepEqual(rowsOf(table), expected);
  });

  it('writes an empty plan as a file of no rows with the plan schema', async () => {
    // A window with no arrival: the Parquet writer used to fail without a batch to learn the schema from.
    const dir = await tmp();
    const out = join(dir, 'plan.parquet');
    const r = await writeSchedule({ trace: AZURE2019_DIR, functions: 1, fromUs: 1e6, toUs: 1e6 + 100, out });
    assert.equal(r.rows, 0);
    const facts = await parquetFacts(out);
    assert.equal(facts.rows, 0);
    assert.deepEqual(
      facts.schema.fields.map((f) => f.name),
      ['seq', 'function', 'scheduled_us', 'requested_duration_ms', 'requested_memory_mb'],
    );
    assert.ok(facts.keyValue['faasload.plan']?.includes('"toUs":1000100'), JSON.stringify(facts.keyValue));
  });

  it('makes the same bytes from the same plan (batches are cut by rows, not by time)', async () => {
    const dir = await tmp();
    const options = { trace: AZURE2019_DIR, toUs: 30 * 60e6, seed: 4 };
    await writeSchedule({ ...options, out: join(dir, 'a.parquet') });
    await writeSchedule({ ...options, out: join(dir, 'b.parquet') });
    const [a, b] = await Promise.all([readFile(join(dir, 'a.parquet')), readFile(join(dir, 'b.parquet'))]);
    assert.ok(a.equals(b), `${a.length} and ${b.length} bytes differ`);
  });

  it('stores requested duration and memory as BYTE_STREAM_SPLIT, without a dictionary, snappy', async () => {
    // They are drawn per invocation: nearly all distinct. A dictionary of them is larger and
    // slower, and the plan's large dictionary limit (for its ids) used to keep one per row group.
    const dir = await tmp();
    const out = join(dir, 'plan.parquet');
    await writeSchedule({ trace: AZURE2019_DIR, toUs: 20 * 60e6, seed: 2, out });
    const { encodings } = await parquetFacts(out);
    for (const column of ['requested_duration_ms', 'requested_memory_mb']) {
      const e = encodings[column] ?? [];
      assert.ok(e.includes('BYTE_STREAM_SPLIT'), `${column}: ${e.join()}`);
      assert.ok(!e.includes('RLE_DICTIONARY') && !e.includes('PLAIN_DICTIONARY'), `${column}: ${e.join()}`);
    }
    const file = await ParquetFile.fromFile(await openAsBlob(out));
    try {
      const codecs = file
        .metadata()
        .rowGroup(0)
        .columns()
        .map((c) => `${c.columnPath().join('.')}:${Compression[c.compression()]}`);
      assert.deepEqual(codecs, [
        'seq:ZSTD',
        'function:ZSTD',
        'scheduled_us:ZSTD',
        'requested_duration_ms:SNAPPY',
        'requested_memory_mb:SNAPPY',
      ]);
    } finally {
      file.free();
    }
  });

  it('keeps the function column a dictionary when a row group names more than 4 MiB of ids', async () => {
    // 24,000 functions with 194-character ids, 3 invocations each in one minute: 4.7 MB of
    // distinct ids in one row group. Past its dictionary limit a Parquet writer falls back to
    // plain strings for the rest of the group (every value stored again).
    const dir = await tmp();
    const trace = join(dir, 'day');
    await mkdir(trace);
    const hex = (prefix: string, i: number) => `${prefix}${i.toString(16).padStart(63, '0')}`;
    const lines = ['HashOwner,HashApp,HashFunction,Trigger,1'];
    for (let i = 0; i < 24_000; i++) lines.push(`${hex('o', i)},${hex('a', i)},${hex('f', i)},http,3`);
    await writeFile(join(trace, 'invocations_per_function_md.anon.d01.csv'), `${lines.join('\n')}\n`);
    const out = join(dir, 'plan.parquet');
    const r = await writeSchedule({ trace, seed: 1, out });
    assert.equal(r.rows, 72_000);
    const idBytes = 4 + 3 * 64 + 2;
    const plainBytes = r.rows * idBytes;
    const file = await ParquetFile.fromFile(await openAsBlob(out));
    try {
      const meta = file.metadata();
      assert.equal(meta.numRowGroups(), 1);
      const fn = meta.rowGroup(0).column(1);
      assert.deepEqual(fn.columnPath(), ['function']);
      // A dictionary: each id once (24,000 x 198 bytes) plus small indexes; a fallback part way
      // stores the rest of the rows as plain strings too.
      const size = fn.uncompressedSize();
      assert.ok(
        size < plainBytes / 2,
        `function column: ${size} bytes uncompressed, ${plainBytes} as plain strings`,
      );
    } finally {
      file.free();
    }
  });
});
