import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import type { ColumnSpec } from '../src/dataset/columns.js';
import { exportRun, isoUs } from '../src/dataset/export.js';
import { readFrames, scanIpcStream } from '../src/dataset/ipc-scan.js';
import { mergeRuns } from '../src/dataset/merge.js';
import { parquetFacts } from '../src/dataset/parquet-read.js';
import { type RunManifest, readManifest } from '../src/dataset/read-run.js';
import { recoverRun } from '../src/dataset/recover.js';
import { TableWriter } from '../src/dataset/table-writer.js';
import { verifyRun } from '../src/dataset/verify.js';
import { createClock } from '../src/dispatch/pacing.js';
import { replay } from '../src/run/replay.js';
import { runCli } from './helpers/cli.js';
import { FakePlatform } from './helpers/fakes.js';
import { readParquetTable } from './helpers/parquet.js';
import { AZURE2021_FILE, REPO_ROOT } from './helpers/paths.js';

const SAMPLE = join(REPO_ROOT, 'traces', 'sample-azure2021.csv');
const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'faasload-dataset-tools-'));
  dirs.push(d);
  return d;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A replay of the 199-invocation Azure 2021 sample on a fake platform (a few ms). */
async function fakeRun(out: string, extra: Partial<Parameters<typeof replay>[0]> = {}) {
  const clock = createClock('precise');
  const platform = new FakePlatform(clock, (a) =>
    a.seq % 5 === 2 ? { outcome: 'error', error: 'boom, "quoted"' } : {},
  );
  return replay({ trace: AZURE2021_FILE, speed: 1000, out, clock, platformAdapter: platform, ...extra });
}

async function seqsOf(path: string): Promise<number[]> {
  const t = await readParquetTable(path);
  return Array.from(t.getChild('seq')!.toArray() as BigInt64Array, Number).sort((a, b) => a - b);
}

describe('dataset verify', () => {
  let run: string;
  before(async () => {
    run = join(await tmp(), 'run');
    await fakeRun(run);
  });

  it('passes a replay, checking planned = rows and the schema', async () => {
    const r = await verifyRun(run);
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    const inv = r.tables.find((t) => t.table === 'invocations')!;
    assert.equal(inv.rows, 199);
    assert.equal(inv.expectedRows, 199);
  });

  it('reports a row count, a planned count and a schema that differ from the manifest', async () => {
    const copy = join(await tmp(), 'copy');
    await mkdir(copy);
    for (const f of await readdir(run)) await writeFile(join(copy, f), await readFile(join(run, f)));
    const m = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8')) as RunManifest;
    m.tables.invocations!.rows = 200;
    m.counts.planned = 250;
    m.tables.invocations!.columns = m.tables.invocations!.columns.map((c) =>
      c.name === 'http_status' ? { ...c, kind: 'int64' } : c,
    );
    await writeFile(join(copy, 'manifest.json'), JSON.stringify(m));
    await writeFile(join(copy, 'timeline.arrows'), 'x');
    const r = await verifyRun(copy);
    assert.equal(r.ok, false);
    const text = r.problems.join('\n');
    assert.match(text, /invocations\.parquet: 199 rows, the manifest says 200/);
    assert.match(text, /199 rows for 250 planned invocations \(51 missing\)/);
    assert.match(text, /schema differs.*expected http_status:Int64.*found http_status:Int32/);
    assert.match(text, /timeline\.arrows: an Arrow stream not turned into Parquet/);
  });

  it('fails through the CLI with exit 5 on a missing table file, and names the folder when there is no manifest', async () => {
    const copy = join(await tmp(), 'copy');
    await mkdir(copy);
    await writeFile(join(copy, 'manifest.json'), await readFile(join(run, 'manifest.json')));
    const r = await runCli(['dataset', 'verify', copy]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stdout, /invocations\.parquet: missing/);
    const none = await runCli(['dataset', 'verify', join(copy, 'nope')]);
    assert.equal(none.code, 5);
    assert.match(none.stderr, /nope: no such run folder/);
  });
});

describe('dataset export', () => {
  let run: string;
  before(async () => {
    run = join(await tmp(), 'run');
    await fakeRun(run);
  });

  it('writes CSV with a header, quoted fields, exact int64 and microsecond UTC timestamps', async () => {
    const r = await exportRun(run, { format: 'csv' });
    assert.equal(r.rows, 199);
    const text = await readFile(join(run, 'invocations.csv'), 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 200);
    const header = lines[0]!.split(',');
    assert.equal(header[0], 'seq');
    const table = await readParquetTable(join(run, 'invocations.parquet'));
    const sched = table.getChild('scheduled_at')!.data[0]!.values as BigInt64Array;
    const lat = table.getChild('latency_us')!.toArray() as BigInt64Array;
    const first = lines[1]!;
    assert.ok(first.includes(isoUs(sched[0]!)), `${first} has ${isoUs(sched[0]!)}`);
    assert.match(isoUs(sched[0]!), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(text.includes('"boom, ""quoted"""'), 'a field with a comma and quotes is quoted');
    const sumCsv = lines
      .slice(1)
      .map((l) => l.match(/Z,(-?\d*),(-?\d*),/)![2]!)
      .reduce((a, v) => a + BigInt(v || 0), 0n);
    assert.equal(
      sumCsv,
      lat.reduce((a, v) => a + v, 0n),
    );
  });

  it('writes JSON Lines: one object per row, null as null, timestamps as ISO strings', async () => {
    const out = join(await tmp(), 't.jsonl');
    const r = await exportRun(run, { format: 'jsonl', table: 'timeline', out });
    const rows = (await readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.length, r.rows);
    const m = await readManifest(run);
    assert.equal(rows.length, m.tables.timeline!.rows);
    assert.equal(typeof rows[0]!.requested, 'number');
    const inv = join(await tmp(), 'i.jsonl');
    await exportRun(run, { format: 'jsonl', out: inv });
    const one = JSON.parse((await readFile(inv, 'utf8')).split('\n')[0]!) as Record<string, unknown>;
    assert.match(String(one.scheduled_at), /Z$/);
    assert.ok('init_ms' in one && one.init_ms === null);
    await assert.rejects(
      exportRun(run, { format: 'csv', table: 'nope' }),
      /--table nope: .* has no such table/,
    );
  });
});

describe('dataset merge', () => {
  it('merges two runs with a run column, and verify passes the union', async () => {
    const base = await tmp();
    const a = await fakeRun(join(base, 'a'));
    const b = await fakeRun(join(base, 'b'));
    const out = join(base, 'merged');
    const r = await mergeRuns([join(base, 'a'), join(base, 'b')], out);
    assert.deepEqual(
      r.tables.find((t) => t.table === 'invocations'),
      { table: 'invocations', rows: 398 },
    );
    const t = await readParquetTable(join(out, 'invocations.parquet'));
    assert.equal(t.schema.fields[0]!.name, 'run');
    const runs = t.getChild('run')!.toArray() as string[];
    assert.equal(runs.filter((x) => x === a.manifest.runId).length, 199);
    assert.equal(runs.filter((x) => x === b.manifest.runId).length, 199);
    const m = await readManifest(out);
    assert.equal(m.counts.planned, 398);
    assert.equal(m.merged?.runs.length, 2);
    const v = await verifyRun(out);
    assert.deepEqual(v.problems, []);
  });

  it('merges the shards of one plan into the whole plan, and verify reports a missing shard', async () => {
    const base = await tmp();
    const shards = [0, 1, 2].map((i) => join(base, `shard-${i}`));
    for (const [i, dir] of shards.entries()) await fakeRun(dir, { shard: { index: i, count: 3 } });
    const whole = join(base, 'whole');
    await fakeRun(whole);
    const out = join(base, 'merged');
    const r = await mergeRuns(shards, out);
    assert.deepEqual(r.shards?.missing, []);
    assert.deepEqual(
      await seqsOf(join(out, 'invocations.parquet')),
      await seqsOf(join(whole, 'invocations.parquet')),
    );
    const v = await verifyRun(out);
    assert.deepEqual(v.problems, []);

    const partial = join(base, 'partial');
    await mergeRuns(shards.slice(0, 2), partial);
    const pv = await verifyRun(partial);
    assert.equal(pv.ok, false);
    assert.match(pv.problems.join('\n'), /shards 2 of 3 are not in the merge/);

    await assert.rejects(mergeRuns([shards[0]!, shards[0]!], join(base, 'dup')), /are both shard 0\/3/);
    await assert.rejects(mergeRuns([shards[0]!, whole], join(base, 'mixed')), /ran the whole plan/);
  });

  it('refuses a run whose stream was not recovered, and a non-empty --out', async () => {
    const base = await tmp();
    await fakeRun(join(base, 'a'));
    await writeFile(join(base, 'a', 'invocations.arrows'), '');
    await assert.rejects(mergeRuns([join(base, 'a')], join(base, 'm')), /run faasload dataset recover/);
  });
});

const COLUMNS: ColumnSpec[] = [
  { name: 'seq', kind: 'int64', nullable: false, doc: '' },
  { name: 'at', kind: 'timestamp_us', nullable: false, doc: '' },
  { name: 'name', kind: 'utf8', nullable: true, doc: '' },
];
const rows = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    seq: from + i,
    at: 1_764_000_000_000_000 + from + i,
    name: `n${(from + i) % 7}`,
  }));

/** A run folder whose table was left as a stream, as a crash leaves it. */
async function crashedFolder(batches: number, batchRows: number) {
  const dir = await tmp();
  const w = new TableWriter({
    dir,
    name: 't',
    columns: COLUMNS,
    batchRows,
    metadata: { 'faasload.run_id': 'crash' },
  });
  for (let b = 0; b < batches; b++) w.add(rows(b * batchRows, batchRows));
  await w.drain();
  const manifest = {
    runId: 'crash',
    status: 'failed',
    counts: { planned: batches * batchRows },
    tables: {},
    warnings: [],
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { dir, path: w.arrowsPath };
}

describe('dataset recover', () => {
  it('keeps every complete batch of a stream and leaves out a last batch cut short', async () => {
    const { dir, path } = await crashedFolder(5, 100);
    const scan = await scanIpcStream(path);
    assert.equal(scan.rows, 500);
    assert.equal(scan.ended, false);
    // A sixth batch of which only half reached the disk.
    const last = scan.frames.at(-1)!;
    const bytes = await readFile(path);
    await appendFile(path, bytes.subarray(last.offset, last.offset + Math.floor(last.bytes / 2)));
    const r = await recoverRun(dir);
    assert.equal(r.tables.length, 1);
    assert.equal(r.tables[0]!.rows, 500);
    assert.equal(r.tables[0]!.droppedBytes, Math.floor(last.bytes / 2));
    assert.match(r.tables[0]!.droppedReason!, /cut short/);
    assert.deepEqual(
      await seqsOf(join(dir, 't.parquet')),
      Array.from({ length: 500 }, (_, i) => i),
    );
    const m = await readManifest(dir);
    assert.equal(m.tables.t!.rows, 500);
    assert.equal(m.recovered?.tables.t?.rows, 500);
    assert.match(m.warnings.join('\n'), /cut short was left out/);
    assert.deepEqual((await readdir(dir)).sort(), ['manifest.json', 't.parquet']);
    assert.deepEqual((await recoverRun(dir)).tables, [], 'a second recover finds nothing to do');
  });

  it('recovers a replay killed with SIGKILL mid-run: every batch flushed before the kill is in Parquet', async () => {
    const server: Server = createServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const out = join(await tmp(), 'run');
      const arrows = join(out, 'invocations.arrows');
      let before: number[] = [];
      let killed = false;
      // 600 invocations over 10 minutes, 20x faster: 30 s; killed once 2 batches are on disk.
      const poll = setInterval(async () => {
        if (killed) return;
        try {
          const scan = await scanIpcStream(arrows);
          if (scan.frames.length >= 2 && scan.schema && !killed) {
            killed = true;
            const t = tableFromIPC(await readFrames(arrows, scan.schema, scan.frames));
            before = Array.from(t.getChild('seq')!.toArray() as BigInt64Array, Number);
            child?.kill('SIGKILL');
          }
        } catch {}
      }, 200);
      let child: import('node:child_process').ChildProcess | undefined;
      const r = await runCli(
        [
          'replay',
          SAMPLE,
          '--speed',
          '20',
          '--platform',
          'http',
          '--url',
          `http://127.0.0.1:${port}/`,
          '--out',
          out,
        ],
        60_000,
        (c) => {
          child = c;
        },
      );
      clearInterval(poll);
      assert.equal(r.code, null, `killed by a signal, not exited: ${r.stderr}`);
      assert.ok(killed && before.length > 0, 'batches were flushed before the kill');
      assert.equal(
        (await readManifest(out)).status,
        'failed',
        'the manifest written at the start says failed',
      );
      const cli = await runCli(['dataset', 'recover', out]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /invocations: \d+ rows/);
      const after = new Set(await seqsOf(join(out, 'invocations.parquet')));
      assert.ok(after.size >= before.length);
      for (const s of before) assert.ok(after.has(s), `seq ${s} flushed before the kill is in Parquet`);
      const m = await readManifest(out);
      assert.ok(m.recovered);
      const v = await verifyRun(out);
      assert.equal(v.ok, false, 'a crashed run is not the whole plan');
      assert.match(v.problems.join('\n'), /rows for 600 planned invocations/);
      assert.match(v.notes.join('\n'), /recovered after a crash/);
    } finally {
      server.close();
    }
  });
});

describe('Parquet layout', () => {
  it('chooses encodings per column, 128k-row groups, and writes the schema version and run id in the footer', async () => {
    const dir = await tmp();
    const columns: ColumnSpec[] = [
      ...COLUMNS,
      { name: 'id', kind: 'utf8', nullable: false, doc: '', encoding: 'plain' },
      { name: 'x', kind: 'float64', nullable: false, doc: '' },
    ];
    const w = new TableWriter({
      dir,
      name: 't',
      columns,
      batchRows: 50_000,
      metadata: { 'faasload.schema_version': '7', 'faasload.run_id': 'r-1' },
    });
    for (let b = 0; b < 6; b++) {
      w.add(rows(b * 50_000, 50_000).map((r) => ({ ...r, id: `id-${r.seq * 7919}`, x: r.seq / 3 })));
      await w.drain();
    }
    await w.close();
    const facts = await parquetFacts(join(dir, 't.parquet'));
    assert.equal(facts.rows, 300_000);
    assert.equal(facts.rowGroups, 3, '131,072 rows per group');
    assert.ok(facts.encodings.seq!.includes('DELTA_BINARY_PACKED'), String(facts.encodings.seq));
    assert.ok(facts.encodings.at!.includes('DELTA_BINARY_PACKED'));
    assert.ok(facts.encodings.name!.includes('RLE_DICTIONARY'), String(facts.encodings.name));
    assert.ok(!facts.encodings.id!.includes('RLE_DICTIONARY'), String(facts.encodings.id));
    assert.ok(facts.encodings.x!.includes('BYTE_STREAM_SPLIT'), String(facts.encodings.x));
    assert.equal(facts.keyValue['faasload.schema_version'], '7');
    assert.equal(facts.keyValue['faasload.run_id'], 'r-1');
    const back = await readParquetTable(join(dir, 't.parquet'));
    assert.equal(back.schema.metadata.get('faasload.run_id'), 'r-1', 'and in the Arrow schema');
  });
});
