/**
 * --monitor perf inside a replay on the embedded platform (process runtime, real perf): the
 * counters and invocation_counters tables, read back with DuckDB and joined to invocations by
 * activation_id; unsupported events named once in the manifest and absent from the tables; the
 * flags and their errors through the CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Manifest } from '../src/dataset/manifest.js';
import type { PerfFact } from '../src/monitor/perf.js';
import { replay } from '../src/run/replay.js';
import { need, pythonPath } from './helpers/cannot-run.js';
import { runCli } from './helpers/cli.js';

const WHAT = 'PERF REPLAY TESTS';
const noPerf = (await need('perf', WHAT)) ?? (await need('python', WHAT));
const noDocker = noPerf ?? (await need('docker', `${WHAT} ON DOCKER`));
const PYTHON = pythonPath() ?? 'python3';

let dir: string;
let tracePath: string;
// Two busy invocations on the same prewarmed instance, one that touches 64 MB, one short.
const TRACE = ['time,fn,ms,mb', '0.0,busy,400,0', '0.2,mem,300,64', '1.5,busy,300,0', '2.0,mem,50,0'].join(
  '\n',
);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-perf-replay-'));
  tracePath = join(dir, 'trace.csv');
  await writeFile(tracePath, `${TRACE}\n`);
});
after(() => rm(dir, { recursive: true, force: true }));

/** One query's rows as JSON, through DuckDB over the run folder's Parquet files. */
function duckdb(out: string, sql: string): Record<string, unknown>[] {
  const script = `
import duckdb, json, sys
con = duckdb.connect()
for t in ['invocations', 'counters', 'invocation_counters']:
    con.execute(f"create view {t} as select * from read_parquet('{sys.argv[1]}/{t}.parquet')")
rows = con.execute(sys.argv[2]).fetchall()
cols = [d[0] for d in con.description]
print(json.dumps([dict(zip(cols, r)) for r in rows], default=str))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, out, sql], { encoding: 'utf8' }));
}

/** The test trace replayed on `runtime` with --monitor perf at 10 ms: its folder and manifest. */
async function perfReplay(runtime: 'process' | 'docker') {
  const out = join(dir, runtime);
  await replay({
    trace: tracePath,
    format: 'csv',
    csv: { timeColumn: 'time', functionColumn: 'fn', durationColumn: 'ms', memoryColumn: 'mb' },
    runtime,
    out,
    monitor: { monitors: 'perf', perfIntervalMs: 10 },
    prewarm: 1,
    invokeTimeoutMs: 60_000,
  });
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
  return { out, manifest };
}

describe('--monitor perf in a replay', { skip: noPerf ?? false, timeout: 180_000 }, () => {
  test('counters and invocation_counters, joined to invocations by activation_id', async () => {
    const { out, manifest } = await perfReplay('process');
    assert.deepEqual(manifest.monitors!.selected, ['perf']);
    assert.ok(manifest.tables.counters && manifest.tables.invocation_counters, 'both tables in the manifest');
    const entry = manifest.monitors!.monitors.find((m) => m.name === 'perf') as unknown as { perf: PerfFact };
    const perf = entry.perf;
    assert.equal(perf.processScope, 'cgroup');
    assert.ok(perf.counted.includes('task-clock'));
    assert.equal(perf.invocationCounters?.uncovered, 0, 'every window inside the counted intervals');

    const ok = duckdb(out, "select activation_id from invocations where outcome = 'ok'");
    assert.equal(ok.length, 4);
    // Every ok invocation has one row per counted event, and nothing else joins.
    const joined = duckdb(
      out,
      `select i.activation_id, i.target, i.exec_ms, i.requested_memory_mb, c.event, c.value, c.concurrent, c.window_source
       from invocations i join invocation_counters c using (activation_id) order by i.seq, c.event`,
    );
    assert.equal(joined.length, 4 * perf.counted.length);
    const orphans = duckdb(
      out,
      'select count(*) as n from invocation_counters c anti join invocations i using (activation_id)',
    );
    assert.equal(Number(orphans[0]!.n), 0);
    for (const r of joined) {
      assert.equal(r.window_source, 'exec');
      assert.equal(r.concurrent, false);
    }
    // The synthetic function busy-loops for its duration: its task-clock is at most the window
    // (one core) and, even niced on a loaded machine, not nothing.
    for (const r of joined.filter((x) => x.event === 'task-clock')) {
      const execMs = Number(r.exec_ms);
      assert.ok(Number(r.value) <= 1.1 * execMs + 20, `task-clock ${r.value} ms over ${execMs} ms`);
      if (String(r.target).includes('busy')) assert.ok(Number(r.value) >= 0.05 * execMs);
    }
    // It touches its memory: the 64 MB invocation faults in at least half of its pages.
    const mem = joined.find((r) => r.event === 'page-faults' && Number(r.requested_memory_mb) === 64)!;
    assert.ok(Number(mem.value) >= 0.5 * 16384, `${mem.value} page faults for 64 MB`);
    // Unsupported events: named in the manifest, never rows.
    for (const u of perf.unsupported) {
      const n = duckdb(out, `select count(*) as n from counters where event = '${u.event}'`);
      assert.equal(Number(n[0]!.n), 0, `${u.event} has rows`);
    }
    assert.deepEqual(
      [...perf.counted, ...perf.unsupported.map((u) => u.event)].sort(),
      [...perf.requested].sort(),
    );
  });

  test('the flags: --perf-events and --perf-interval, and their errors', async () => {
    const help = await runCli(['replay', '--help']);
    assert.match(help.stdout, /--perf-events/);
    assert.match(help.stdout, /--perf-interval/);
    const bad = await runCli([
      'replay',
      tracePath,
      '--format',
      'csv',
      '--monitor',
      'perf',
      '--perf-events',
      'task-clock,no-such-event',
      '--out',
      join(dir, 'bad'),
    ]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /perf does not know the event 'no-such-event'/);
    const fast = await runCli([
      'replay',
      tracePath,
      '--format',
      'csv',
      '--monitor',
      'perf',
      '--perf-interval',
      '2ms',
    ]);
    assert.equal(fast.code, 2);
    assert.match(fast.stderr, /--perf-interval: at least 10ms/);
  });
});

describe('--monitor perf in a replay on the docker runtime', {
  skip: noDocker ?? false,
  timeout: 300_000,
}, () => {
  test('each container counted in its cgroup; invocation_counters join by activation_id', async () => {
    const { out, manifest } = await perfReplay('docker');
    const perf = (manifest.monitors!.monitors.find((m) => m.name === 'perf') as unknown as { perf: PerfFact })
      .perf;
    assert.equal(perf.invocationCounters?.uncovered, 0);
    const scopes = duckdb(
      out,
      'select scope, count(distinct container_id) as containers, count(*) filter (where container_id is null) as without from counters group by scope',
    );
    assert.deepEqual(
      scopes.map((r) => r.scope),
      ['cgroup'],
    );
    assert.equal(Number(scopes[0]!.containers), 2, 'one container per function (prewarmed, reused)');
    assert.equal(Number(scopes[0]!.without), 0);
    const joined = duckdb(
      out,
      `select count(*) as n from invocations i join invocation_counters c using (activation_id)
       where i.outcome = 'ok' and c.event = 'task-clock' and c.value > 0`,
    );
    assert.equal(Number(joined[0]!.n), 4, 'every invocation has its CPU time');
  });
});
