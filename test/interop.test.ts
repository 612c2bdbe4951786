import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createClock } from '../src/dispatch/pacing.js';
import { replay } from '../src/run/replay.js';
import { FakePlatform } from './helpers/fakes.js';
import { readParquetTable } from './helpers/parquet.js';
import { AZURE2021_FILE, REPO_ROOT } from './helpers/paths.js';

/** The Python that has pyarrow, polars and duckdb (npm test's pretest makes .venv). */
function findPython(): string | undefined {
  const py = process.env.FAASLOAD_PYTHON ?? join(REPO_ROOT, '.venv', 'bin', 'python');
  if (!existsSync(py)) return undefined;
  const probe = spawnSync(py, ['-c', 'import pyarrow, polars, duckdb'], { encoding: 'utf8' });
  return probe.status === 0 ? py : undefined;
}

const python = findPython();
if (!python) {
  const msg =
    'INTEROP TESTS CANNOT RUN: no Python with pyarrow, polars and duckdb (run scripts/ensure-python.sh)';
  console.error(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}\n`);
  // CI must run them: there a missing reader is a failure, not a skip.
  if (process.env.CI) throw new Error(msg);
}

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

describe('datasets read by pyarrow, polars and DuckDB', {
  skip: python ? false : 'no Python readers (see above)',
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
});
