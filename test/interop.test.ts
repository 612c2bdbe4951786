import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ColumnKind, ColumnSpec } from '../src/dataset/columns.js';
import { mergeRuns } from '../src/dataset/merge.js';
import { type Row, TableWriter } from '../src/dataset/table-writer.js';
import { TABLES } from '../src/dataset/tables.js';
import { createClock } from '../src/dispatch/pacing.js';
import { readGeneratePlan } from '../src/generate/plan.js';
import { generate } from '../src/generate/run.js';
import { executionsColumns } from '../src/generate/table.js';
import { replay } from '../src/run/replay.js';
import { PLAN_COLUMNS, writeSchedule } from '../src/run/schedule.js';
import { writeSyntheticTrace } from '../src/trace/synth-files.js';
import { need, pythonPath } from './helpers/cannot-run.js';
import { FakePlatform } from './helpers/fakes.js';
import { readParquetTable } from './helpers/parquet.js';
import { AZURE2019_DIR, AZURE2021_FILE, REPO_ROOT } from './helpers/paths.js';

const missing = await need('python', 'INTEROP TESTS');
const python = pythonPath();

const READ = `
import json, sys
import pyarrow.parquet as pq, polars as pl, duckdb
path = sys.argv[1]
t = pq.read_table(path)
df = pl.read_parquet(path)
con = duckdb.connect()
d = con.sql(f"select count(*), sum(latency_us), count(*) filter (where outcome = 'ok'), min(scheduled_at) from '{path}'").fetchone()
print(json.dumps({
  "pyarrow": {"rows": t.num_rows, "types": {f.name: str(f.type) for f in t.schema},
              "latency_sum": sum(v for v in t.column("latency_us").to_pylist() if v is not None),
              "run_id": (t.schema.metadata or {}).get(b"faasload.run_id", b"").decode()},
  "polars": {"rows": df.height, "latency_sum": int(df["latency_us"].sum()), "ok": df.filter(pl.col("outcome") == "ok").height,
             "scheduled_dtype": str(df["scheduled_at"].dtype)},
  "duckdb": {"rows": d[0], "latency_sum": int(d[1]), "ok": d[2], "min_scheduled": d[3].isoformat()},
}))
`;

/** Per file: what each reader sees (types as the reader names them, sums as exact strings). */
interface ReaderFacts {
  rows: Record<string, number>;
  pyarrow_types: Record<string, string>;
  polars_types: Record<string, string>;
  pandas_types: Record<string, string>;
  duckdb_types: Record<string, string>;
  sums: Record<string, Record<string, string>>;
  first_ts: Record<string, Record<string, string>>;
  categories: Record<string, Record<string, number>>;
}

const PYARROW: Record<ColumnKind, string> = {
  int64: 'int64',
  int32: 'int32',
  float64: 'double',
  bool: 'bool',
  utf8: 'string',
  timestamp_us: 'timestamp[us, tz=UTC]',
};
const POLARS: Record<ColumnKind, string> = {
  int64: 'Int64',
  int32: 'Int32',
  float64: 'Float64',
  bool: 'Boolean',
  utf8: 'String',
  timestamp_us: "Datetime(time_unit='us', time_zone='UTC')",
};
const PANDAS: Record<ColumnKind, string> = {
  int64: 'Int64',
  int32: 'Int32',
  float64: 'Float64',
  bool: 'boolean',
  utf8: 'string',
  timestamp_us: 'datetime64[us, UTC]',
};
const DUCKDB: Record<ColumnKind, string> = {
  int64: 'BIGINT',
  int32: 'INTEGER',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  utf8: 'VARCHAR',
  timestamp_us: 'TIMESTAMP WITH TIME ZONE',
};

/** Reads each file named with the four readers; pandas with nullable dtypes (dtype_backend). */
const READ_ALL = `
import json, sys
import pyarrow.parquet as pq, polars as pl, pandas as pd, duckdb
out = {}
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for path in sys.argv[1:]:
    q = "'" + path + "'"
    t = pq.read_table(path)
    df = pl.read_parquet(path)
    pdf = pd.read_parquet(path, dtype_backend="numpy_nullable")
    rel = con.sql(f"select * from '{path}'")
    duck_types = dict(zip(rel.columns, [str(x) for x in rel.types]))
    f = {"rows": {"pyarrow": t.num_rows, "polars": df.height, "pandas": len(pdf),
                  "duckdb": con.sql(f"select count(*) from '{path}'").fetchone()[0]},
         "pyarrow_types": {x.name: str(x.type) for x in t.schema},
         "polars_types": {k: str(v) for k, v in df.schema.items()},
         "pandas_types": {k: str(v) for k, v in pdf.dtypes.items()},
         "duckdb_types": duck_types,
         "sums": {"pyarrow": {}, "polars": {}, "pandas": {}, "duckdb": {}},
         "first_ts": {"pyarrow": {}, "polars": {}, "pandas": {}, "duckdb": {}},
         "categories": {}}
    for x in t.schema:
        n = x.name
        if str(x.type) == "int64":
            f["sums"]["pyarrow"][n] = str(sum(v for v in t.column(n).to_pylist() if v is not None))
            f["sums"]["polars"][n] = str(df[n].sum())
            f["sums"]["pandas"][n] = str(pdf[n].sum())
            f["sums"]["duckdb"][n] = str(con.sql(f"select coalesce(sum({n}), 0)::HUGEINT from {q}").fetchone()[0])
        if str(x.type).startswith("timestamp"):
            f["first_ts"]["pyarrow"][n] = t.column(n)[0].as_py().isoformat() if t.num_rows else ""
            f["first_ts"]["polars"][n] = df[n][0].isoformat() if df.height else ""
            f["first_ts"]["pandas"][n] = pdf[n].iloc[0].isoformat() if len(pdf) else ""
            v = con.sql(f"select {n} from {q} limit 1").fetchone()
            f["first_ts"]["duckdb"][n] = v[0].isoformat() if v and v[0] is not None else ""
    if "outcome" in t.column_names:
        f["categories"]["pyarrow"] = {k: v for k, v in zip(*[c.to_pylist() for c in t.column("outcome").value_counts().flatten()])}
        f["categories"]["polars"] = dict(df.group_by("outcome").len().iter_rows())
        f["categories"]["pandas"] = {k: int(v) for k, v in pdf["outcome"].astype("category").value_counts().items() if v > 0}
        f["categories"]["duckdb"] = dict(con.sql(f"select outcome, count(*) from '{path}' group by outcome").fetchall())
    out[path] = f
print(json.dumps(out))
`;

/** The facts the four readers give about each file (READ_ALL). */
function readAll(files: readonly string[]): Record<string, ReaderFacts> {
  return JSON.parse(execFileSync(python!, ['-c', READ_ALL, ...files], { encoding: 'utf8' })) as Record<
    string,
    ReaderFacts
  >;
}

const READERS = ['pyarrow', 'polars', 'pandas', 'duckdb'] as const;

/**
 * Every reader sees the file as faasload wrote it: its row count, each column's type, the exact
 * int64 sums, UTC timestamps, and (with `outcomes`) the outcome counts.
 */
async function checkReaders(
  file: string,
  r: ReaderFacts,
  columns: readonly ColumnSpec[],
  /** The outcomes the file must hold at least (0: no outcome column to compare). */
  minOutcomes: number,
): Promise<void> {
  const ours = await readParquetTable(file);
  for (const reader of READERS) assert.equal(r.rows[reader], ours.numRows, `${reader} rows of ${file}`);
  for (const c of columns) {
    assert.equal(r.pyarrow_types[c.name], PYARROW[c.kind], `${file} ${c.name} (pyarrow)`);
    assert.equal(r.polars_types[c.name], POLARS[c.kind], `${file} ${c.name} (polars)`);
    assert.equal(r.pandas_types[c.name], PANDAS[c.kind], `${file} ${c.name} (pandas)`);
    assert.equal(r.duckdb_types[c.name], DUCKDB[c.kind], `${file} ${c.name} (duckdb)`);
    if (c.kind === 'int64') {
      const vector = ours.getChild(c.name)!;
      let total = 0n;
      for (let i = 0; i < vector.length; i++) total += (vector.get(i) as bigint | null) ?? 0n;
      const sum = total.toString();
      for (const reader of READERS) {
        assert.equal(r.sums[reader]![c.name], sum, `${reader} sum of ${c.name} in ${file}`);
      }
    }
    if (c.kind === 'timestamp_us' && ours.numRows > 0) {
      const raw = ours.getChild(c.name)!.data[0]!;
      const firstUs = (raw.values as BigInt64Array)[0]!;
      const iso = new Date(Math.floor(Number(firstUs) / 1000)).toISOString().slice(0, 23);
      for (const reader of READERS) {
        assert.ok(
          r.first_ts[reader]![c.name]?.startsWith(iso.replace('T', ' ')) ||
            r.first_ts[reader]![c.name]?.startsWith(iso),
          `${reader} ${c.name} ${r.first_ts[reader]![c.name]} is UTC ${iso}`,
        );
      }
    }
  }
  if (minOutcomes > 0) {
    const values = ours.getChild('outcome')!.toArray() as string[];
    const counts: Record<string, number> = {};
    for (const o of values) counts[o] = (counts[o] ?? 0) + 1;
    assert.ok(Object.keys(counts).length >= minOutcomes, `${minOutcomes} outcomes at least in ${file}`);
    for (const reader of READERS) {
      assert.deepEqual(r.categories[reader], counts, `${reader} outcome counts in ${file}`);
    }
  }
}

/**
 * Rows for a table's columns, a pure function of (columns, n): a value of every kind, timestamps
 * with a fraction of a second, and a null in every third row (after the first) of a nullable
 * column.
 */
function syntheticRows(columns: readonly ColumnSpec[], n: number): Row[] {
  const t0Us = Date.UTC(2026, 0, 2, 3, 4, 5) * 1000 + 123_456;
  return Array.from({ length: n }, (_, i) => {
    const row: Row = {};
    for (const [k, c] of columns.entries()) {
      if (c.nullable && i > 0 && (i + k) % 3 === 0) {
        row[c.name] = null;
        continue;
      }
      switch (c.kind) {
        case 'int64':
          row[c.name] = i * 1_000_003 + k;
          break;
        case 'int32':
          row[c.name] = i * 7 + k;
          break;
        case 'float64':
          row[c.name] = i * 0.25 + k;
          break;
        case 'bool':
          row[c.name] = (i + k) % 2 === 0;
          break;
        case 'utf8':
          row[c.name] = c.name === 'outcome' ? ['ok', 'error'][i % 2] : `${c.name}-${i % 4}`;
          break;
        case 'timestamp_us':
          row[c.name] = t0Us + i * 1_000_000 + k;
          break;
      }
    }
    return row;
  });
}

describe('datasets read by pyarrow, polars and DuckDB', {
  skip: missing ?? false,
}, () => {
  let dir: string;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads invocations.parquet with the same rows, types and values as faasload wrote', async () => {
    dir = await mkdtemp(join(tmpdir(), 'faasload-interop-'));
    const out = join(dir, 'run');
    const clock = createClock('precise');
    const platform = new FakePlatform(clock, (a) =>
      a.seq % 7 === 3 ? { outcome: 'error', error: 'injected' } : {},
    );
    const { manifest } = await replay({
      trace: AZURE2021_FILE,
      speed: 1000,
      out,
      clock,
      platformAdapter: platform,
    });
    const file = join(out, 'invocations.parquet');
    const got = JSON.parse(execFileSync(python!, ['-c', READ, file], { encoding: 'utf8' })) as {
      pyarrow: { rows: number; types: Record<string, string>; latency_sum: number; run_id: string };
      polars: { rows: number; latency_sum: number; ok: number; scheduled_dtype: string };
      duckdb: { rows: number; latency_sum: number; ok: number; min_scheduled: string };
    };
    const ours = await readParquetTable(file);
    const latency = ours.getChild('latency_us')!.toArray() as BigInt64Array;
    const latencySum = Number(latency.reduce((a, b) => a + b, 0n));
    const ok = (ours.getChild('outcome')!.toArray() as string[]).filter((o) => o === 'ok').length;

    for (const reader of [got.pyarrow, got.polars, got.duckdb]) {
      assert.equal(reader.rows, 199);
      assert.equal(reader.latency_sum, latencySum);
    }
    assert.equal(got.polars.ok, ok);
    assert.equal(got.duckdb.ok, ok);
    assert.ok(ok < 199, 'some invocations were errors');
    assert.equal(got.pyarrow.types.scheduled_at, 'timestamp[us, tz=UTC]');
    assert.equal(got.pyarrow.types.seq, 'int64');
    assert.equal(got.pyarrow.types.lateness_us, 'int64');
    assert.equal(got.pyarrow.types.cold_start, 'bool');
    assert.equal(got.polars.scheduled_dtype, "Datetime(time_unit='us', time_zone='UTC')");
    assert.equal(got.pyarrow.run_id, manifest.runId);
    assert.ok(got.duckdb.min_scheduled.startsWith(manifest.startedAt.slice(0, 10)));
  });

  it('reads every table, merged ones too, with pandas, polars, pyarrow and DuckDB: types, UTC timestamps, int64 sums, categories', async () => {
    const base = await mkdtemp(join(tmpdir(), 'faasload-interop-all-'));
    try {
      const runs = [join(base, 'a'), join(base, 'b')];
      for (const out of runs) {
        const clock = createClock('precise');
        const platform = new FakePlatform(clock, (a) =>
          a.seq % 4 === 1
            ? { outcome: 'timeout', error: 'slow' }
            : a.seq % 9 === 0
              ? { outcome: 'error' }
              : {},
        );
        await replay({ trace: AZURE2021_FILE, speed: 1000, out, clock, platformAdapter: platform });
      }
      const merged = join(base, 'merged');
      await mergeRuns(runs, merged);
      // Every table of TABLES the runs wrote (monitor tables only when monitors ran).
      const files = [...runs, merged]
        .flatMap((r) => TABLES.map((t) => join(r, `${t.name}.parquet`)))
        .filter((f) => existsSync(f));
      assert.ok(files.filter((f) => f.startsWith(merged)).length >= 2, files.join(' '));
      const got = readAll(files);
      for (const file of files) {
        const table = TABLES.find((t) => file.endsWith(`${t.name}.parquet`))!;
        const columns = file.startsWith(merged)
          ? [{ name: 'run', kind: 'utf8' as const, nullable: false, doc: '' }, ...table.columns]
          : table.columns;
        // ok, error and timeout rows
        await checkReaders(file, got[file]!, columns, table.name === 'invocations' ? 3 : 0);
      }
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it("reads container_events, container_samples, metrics, counters, invocation_counters and a real generation's executions (and its perf columns) with all four readers, types checked", async () => {
    const base = await mkdtemp(join(tmpdir(), 'faasload-interop-tables-'));
    try {
      // The monitor and perf tables, written by faasload's own writer from their definitions.
      const files: { file: string; columns: readonly ColumnSpec[]; outcomes: number }[] = [];
      for (const name of [
        'container_events',
        'container_samples',
        'metrics',
        'counters',
        'invocation_counters',
      ]) {
        const table = TABLES.find((t) => t.name === name)!;
        const writer = new TableWriter({ dir: base, name, columns: table.columns });
        writer.add(syntheticRows(table.columns, 50));
        await writer.close();
        files.push({ file: join(base, `${name}.parquet`), columns: table.columns, outcomes: 0 });
      }
      // executions: a real generation, a catalog function and a user function, typed parameters.
      const planPath = join(base, 'plan.yaml');
      await writeFile(
        planPath,
        `seed: 9
functions:
  - name: hash
    runs: 4
    inputs: { count: 4, size: { range_int: [64, 4096] }, distinct: true }
    settings: [ { algorithm: sha256 }, { algorithm: md5 } ]
  - name: wordcount
    path: ${join(REPO_ROOT, 'docs', 'generate-example', 'functions', 'wordcount')}
    runs: 4
    inputs: { generator: text, count: 4, size: { range_int: [256, 4096] } }
    params: { lower: { ensemble: [true, false] }, top: { range_int: [1, 3] }, weight: 0.5 }
`,
      );
      const out = join(base, 'gen');
      await generate({
        planPath,
        out,
        platformOptions: { runtime: 'process' },
        monitor: { monitors: 'none' },
      });
      const { plan } = await readGeneratePlan(planPath);
      for (const part of readdirSync(join(out, 'executions'))) {
        files.push({ file: join(out, 'executions', part), columns: executionsColumns(plan), outcomes: 1 });
      }
      // executions with --monitor perf: its perf_<event> columns (float64, nullable), written by
      // faasload's writer from the schema a perf generation opens (perf need not be installed).
      const perfSchema = executionsColumns(plan, ['cycles', 'instructions', 'task-clock', 'L1-dcache-loads']);
      const perf = new TableWriter({ dir: base, name: 'executions_perf', columns: perfSchema });
      perf.add(syntheticRows(perfSchema, 50));
      await perf.close();
      files.push({ file: join(base, 'executions_perf.parquet'), columns: perfSchema, outcomes: 1 });
      assert.deepEqual(
        perfSchema.filter((c) => c.name.startsWith('perf_')).map((c) => [c.name, c.kind, c.nullable]),
        [
          ['perf_cycles', 'float64', true],
          ['perf_instructions', 'float64', true],
          ['perf_task_clock', 'float64', true],
          ['perf_l1_dcache_loads', 'float64', true],
        ],
      );
      const got = readAll(files.map((f) => f.file));
      for (const f of files) await checkReaders(f.file, got[f.file]!, f.columns, f.outcomes);
      const params = executionsColumns(plan).filter((c) => c.name.startsWith('param_'));
      assert.deepEqual(
        params.map((c) => [c.name, c.kind]),
        [
          ['param_algorithm', 'utf8'],
          ['param_rounds', 'int64'],
          ['param_lower', 'bool'],
          ['param_top', 'int64'],
          ['param_weight', 'float64'],
        ],
      );
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

/** The function column of each row group: its encodings and its uncompressed bytes (pyarrow's metadata). */
const FUNCTION_CHUNKS = `
import json, sys
import pyarrow.parquet as pq
m = pq.ParquetFile(sys.argv[1]).metadata
i = m.schema.names.index("function")
print(json.dumps([{"rows": m.row_group(g).num_rows,
                   "encodings": list(m.row_group(g).column(i).encodings),
                   "uncompressed": m.row_group(g).column(i).total_uncompressed_size}
                  for g in range(m.num_row_groups)]))
`;

describe('the plan table (faasload schedule)', { skip: missing ?? false }, () => {
  it('reads with pandas, polars, pyarrow and DuckDB, types and sums checked', async () => {
    const base = await mkdtemp(join(tmpdir(), 'faasload-interop-plan-'));
    try {
      const out = join(base, 'plan.parquet');
      const r = await writeSchedule({ trace: AZURE2019_DIR, functions: 20, toUs: 600e6, seed: 3, out });
      assert.ok(r.rows > 100, `${r.rows} rows`);
      await checkReaders(out, readAll([out])[out]!, PLAN_COLUMNS, 0);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('keeps the function column a dictionary past 256 KiB of distinct ids in a row group', async () => {
    const base = await mkdtemp(join(tmpdir(), 'faasload-interop-plandict-'));
    try {
      // 6,000 functions with ids of about 200 characters: over 1 MB of distinct ids in 10 minutes.
      const trace = join(base, 'day');
      await writeSyntheticTrace({
        format: 'azure2019',
        seed: 5,
        functions: 6000,
        minutes: 10,
        outDir: trace,
      });
      const out = join(base, 'plan.parquet');
      const r = await writeSchedule({ trace, seed: 5, out });
      const chunks = JSON.parse(
        execFileSync(python!, ['-c', FUNCTION_CHUNKS, out], { encoding: 'utf8' }),
      ) as {
        rows: number;
        encodings: string[];
        uncompressed: number;
      }[];
      const table = await readParquetTable(out);
      const ids = table.getChild('function')!.toArray() as string[];
      const distinct = new Set(ids);
      const distinctBytes = [...distinct].reduce((n, id) => n + 4 + Buffer.byteLength(id), 0);
      const plainBytes = ids.reduce((n, id) => n + 4 + Buffer.byteLength(id), 0);
      assert.equal(chunks.length, 1, 'one row group');
      assert.equal(chunks[0]!.rows, r.rows);
      assert.ok(distinctBytes > 256 * 1024, `${distinctBytes} bytes of distinct ids`);
      assert.ok(chunks[0]!.encodings.includes('RLE_DICTIONARY'), chunks[0]!.encodings.join());
      // A column that fell back to plain stores every value (4 + length bytes each); a dictionary
      // stores each id once, plus a small index per row.
      assert.ok(
        chunks[0]!.uncompressed < distinctBytes + (plainBytes - distinctBytes) / 4,
        `${chunks[0]!.uncompressed} bytes uncompressed; ids ${distinctBytes} distinct, ${plainBytes} plain`,
      );
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
