import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Bool,
  type DataType,
  Float64,
  Int32,
  Int64,
  Table,
  TimestampMicrosecond,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { Table as WasmTable, writeParquet } from 'parquet-wasm';
import { writeCompareReport, writeRunReport } from '../src/report/html-report.js';
import { svgFacts } from '../src/report/plot/index.js';
import { runCli } from './helpers/cli.js';
import { naiveCsv } from './helpers/trace-fixtures.js';

/**
 * A hand-made run folder with known numbers (times in ms from T0):
 * seq target sched sent  ended outcome   cold  instance
 * 0   fa     0     1     11    ok        true  fa-1   lateness 1 ms, latency 10 ms
 * 1   fa     1000  1002  1022  ok        false fa-1   2 ms, 20 ms
 * 2   fa     2000  2003  2033  ok        false fa-1   3 ms, 30 ms
 * 3   fa     3000  3004  4004  timeout   false fa-1   4 ms, 1000 ms
 * 4   fb     500   501   541   error 502 true  fb-1   1 ms, 40 ms (failure application)
 * 5   fb     1500  -     -     dropped   null  -
 * plus process_samples of fa-1 (CPU 0, 0.5, 1.5 s; memory 10, 20, 30 MiB at 0, 1, 2 s) and
 * host_samples (user/system/idle ms: 0/0/0, 500/100/1400, 800/200/3000; available 600, 500, 400 MiB of 1000).
 */
const T0 = 1_700_000_000_000;
const ms = (x: number | null) => (x === null ? null : T0 + x);
const MiB = 2 ** 20;

function parquet(columns: Record<string, [DataType, unknown[]]>): Uint8Array {
  const vectors = Object.fromEntries(
    Object.entries(columns).map(([k, [type, values]]) => [k, vectorFromArray(values, type)]),
  );
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(new Table(vectors), 'stream')));
}

async function makeRun(dir: string, runId: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const manifest = {
    runId,
    status: 'complete',
    startedAt: new Date(T0).toISOString(),
    commandLine: ['faasload', 'replay', 'fixture.csv'],
    platform: { kind: 'local', address: 'in-process' },
    trace: { format: 'csv', files: [{ path: 'fixture.csv' }] },
    counts: { planned: 6 },
    tables: {},
    warnings: ['a <warning> to escape'],
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const ts = new TimestampMicrosecond();
  await writeFile(
    join(dir, 'invocations.parquet'),
    parquet({
      seq: [new Int64(), [0n, 1n, 2n, 3n, 4n, 5n]],
      function: [new Utf8(), ['A', 'A', 'A', 'A', 'B', 'B']],
      target: [new Utf8(), ['fa', 'fa', 'fa', 'fa', 'fb', 'fb']],
      phase: [new Utf8(), Array(6).fill('measure')],
      scheduled_at: [ts, [0, 1000, 2000, 3000, 500, 1500].map(ms)],
      sent_at: [ts, [1, 1002, 2003, 3004, 501, null].map(ms)],
      ended_at: [ts, [11, 1022, 2033, 4004, 541, null].map(ms)],
      lateness_us: [new Int64(), [1000n, 2000n, 3000n, 4000n, 1000n, null]],
      latency_us: [new Int64(), [10_000n, 20_000n, 30_000n, 1_000_000n, 40_000n, null]],
      latency_from_schedule_us: [new Int64(), [11_000n, 22_000n, 33_000n, 1_004_000n, 41_000n, null]],
      outcome: [new Utf8(), ['ok', 'ok', 'ok', 'timeout', 'error', 'dropped']],
      failure: [new Utf8(), [null, null, null, 'timeout', 'application', 'dropped']],
      http_status: [new Int32(), [200, 200, 200, null, 502, null]],
      cold_start: [new Bool(), [true, false, false, false, true, null]],
      exec_ms: [new Float64(), [9, 19, 29, null, 39, null]],
      instance_id: [new Utf8(), ['fa-1', 'fa-1', 'fa-1', 'fa-1', 'fb-1', null]],
    }),
  );
  await writeFile(
    join(dir, 'process_samples.parquet'),
    parquet({
      time: [ts, [0, 1000, 2000, 1000].map(ms)],
      instance_id: [new Utf8(), ['fa-1', 'fa-1', 'fa-1', 'fb-1']],
      cpu_total_ns: [new Int64(), [0n, 500_000_000n, 1_500_000_000n, 7n]],
      memory_usage_bytes: [new Int64(), [10n * BigInt(MiB), 20n * BigInt(MiB), 30n * BigInt(MiB), 5n]],
    }),
  );
  const hostMs = (xs: number[]) => [new Int64(), xs.map(BigInt)] as [DataType, unknown[]];
  await writeFile(
    join(dir, 'host_samples.parquet'),
    parquet({
      time: [ts, [0, 1000, 2000].map(ms)],
      cpu_user_ms: hostMs([0, 500, 800]),
      cpu_system_ms: hostMs([0, 100, 200]),
      cpu_idle_ms: hostMs([0, 1400, 3000]),
      cpu_iowait_ms: hostMs([0, 0, 0]),
      mem_total_bytes: hostMs([1000 * MiB, 1000 * MiB, 1000 * MiB]),
      mem_free_bytes: hostMs([1, 1, 1]),
      mem_available_bytes: hostMs([600 * MiB, 500 * MiB, 400 * MiB]),
    }),
  );
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-report-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A figure's CSV as records of strings. */
async function csv(path: string): Promise<Record<string, string>[]> {
  const [head, ...rows] = naiveCsv(await readFile(path, 'utf8'));
  return rows.map((r) => Object.fromEntries(r.map((c, i) => [head![i]!, c])));
}

const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;

const ALL_FIGURES = [
  'requests-over-time',
  'lateness-cdf',
  'latency-cdf',
  'cold-start-share',
  'latency-breakdown',
  'instance-invocations',
  'instance-cpu',
  'instance-memory',
  'host-cpu',
  'host-memory',
  'errors-over-time',
];

/** Asserts the page needs nothing from the network: no script, no URL but SVG namespaces. */
export function assertSelfContained(html: string): void {
  const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
  assert.deepEqual(
    urls.filter((u) => u !== 'http://www.w3.org/2000/svg'),
    [],
  );
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(/i);
}

describe('faasload report on a hand-made run', () => {
  it('draws every figure from the values worked out by hand', async () => {
    const run = join(dir, 'run');
    await makeRun(run, 'fixture-run');
    const r = await writeRunReport(run, { png: false });
    assert.deepEqual(
      r.figures.map((f) => f.name),
      ALL_FIGURES,
    );
    assert.deepEqual(r.skipped, []);
    const fig = (name: string) => csv(join(run, 'figures', `${name}.csv`));

    const req = await fig('requests-over-time');
    const series = (s: string) => req.filter((x) => x.series === s).map((x) => Number(x.per_second));
    assert.deepEqual(series('planned'), [2, 2, 1, 1, 0]);
    assert.deepEqual(series('sent'), [2, 1, 1, 1, 0]);
    assert.deepEqual(series('completed'), [2, 1, 1, 0, 1]);

    const late = (await fig('lateness-cdf')).map((x) => [Number(x.value), Number(x.fraction)]);
    assert.deepEqual(late, [
      [1000, 0],
      [1000, 0.4],
      [2000, 0.6],
      [3000, 0.8],
      [4000, 1],
    ]);
    const lat = await fig('latency-cdf');
    const cdf = (s: string) =>
      lat.filter((x) => x.series === s).map((x) => [Number(x.value), Number(x.fraction)]);
    assert.deepEqual(cdf('all functions'), [
      [10, 0],
      [10, 0.2],
      [20, 0.4],
      [30, 0.6],
      [40, 0.8],
      [1000, 1],
    ]);
    assert.deepEqual(cdf('fb'), [
      [40, 0],
      [40, 1],
    ]);
    assert.equal(cdf('fa').length, 5);

    const cold = await fig('cold-start-share');
    const spanMin = 4.004 / 60;
    const fa = cold.find((x) => x.function === 'fa')!;
    const fb = cold.find((x) => x.function === 'fb')!;
    assert.equal(Number(fa.cold_share), 0.25);
    assert.equal(Number(fb.cold_share), 1);
    assert.ok(near(Number(fa.per_minute), 4 / spanMin));
    assert.ok(near(Number(fb.per_minute), 2 / spanMin));

    const errs = (await fig('errors-over-time')).map((x) => [Number(x.second), x.kind, Number(x.per_second)]);
    assert.deepEqual(
      errs.sort((a, b) => (a[0] as number) - (b[0] as number)),
      [
        [0, 'error 502', 1],
        [1, 'dropped', 1],
        [4, 'timeout', 1],
      ],
    );

    // Sent rows with exec_ms (no wait_ms, init_ms columns: 0): seq 0 and 4 in second 0 (exec 9
    // and 39, latency 1 ms more each), 1 in second 1 (19), 2 in second 2 (29); seq 3 has none.
    const breakdown = (await fig('latency-breakdown')).map((x) => [Number(x.second), x.part, Number(x.ms)]);
    assert.deepEqual(
      breakdown.filter((x) => x[1] === 'exec' || x[1] === 'other'),
      [
        [0, 'exec', 24],
        [0, 'other', 1],
        [1, 'exec', 19],
        [1, 'other', 1],
        [2, 'exec', 29],
        [2, 'other', 1],
      ],
    );
    assert.ok(breakdown.filter((x) => x[1] === 'wait' || x[1] === 'init').every((x) => x[2] === 0));

    const cpu = (await fig('instance-cpu')).filter((x) => x.instance === 'fa-1');
    assert.deepEqual(
      cpu.map((x) => [Number(x.second), Number(x.cores)]),
      [
        [1, 0.5],
        [2, 1],
      ],
    );
    const mem = (await fig('instance-memory')).filter((x) => x.instance === 'fa-1').map((x) => Number(x.mb));
    assert.deepEqual(mem, [10, 20, 30]);
    const invs = (await fig('instance-invocations')).filter((x) => x.instance === 'fa-1');
    assert.deepEqual(
      invs.map((x) => Number(x.per_second)),
      [1, 1, 1, 1, 0],
    );

    const host = await fig('host-cpu');
    const hostSeries = (s: string) => host.filter((x) => x.series === s).map((x) => Number(x.share));
    assert.deepEqual(
      hostSeries('busy').map((x) => +x.toFixed(12)),
      [0.3, 0.2],
    );
    assert.deepEqual(
      hostSeries('user').map((x) => +x.toFixed(12)),
      [0.25, 0.15],
    );
    assert.deepEqual(
      (await fig('host-memory')).map((x) => Number(x.mb)),
      [400, 500, 600],
    );

    // Summary: exact quantiles and counts.
    const s = r.summaries[0]!;
    assert.equal(s.planned, 6);
    assert.equal(s.sent, 5);
    assert.deepEqual(s.outcomes, { ok: 3, error: 1, timeout: 1, dropped: 1, cancelled: 0 });
    assert.equal(s.coldStarts, 2);
    assert.equal(s.coldShare, 0.4);
    assert.deepEqual(s.latenessUs, { p50: 2000, p90: 4000, p99: 4000, p999: 4000, max: 4000 });
    assert.equal(s.latencyUs!.max, 1_000_000);
    // 96 ms of exec and 4 ms of other over 4 rows.
    assert.deepEqual(s.latencyBreakdown, {
      invocations: 4,
      shares: { wait: 0, init: 0, exec: 0.96, other: 0.04 },
      meanMs: { wait: 0, init: 0, exec: 24, other: 1 },
    });
    assert.match(r.text, /latency share wait \/ init \/ exec \/ other\s+0\.0% \/ 0\.0% \/ 96\.0% \/ 4\.0%/);
    assert.match(r.text, /planned\s+6/);
    assert.match(r.text, /cold starts\s+2 \(40\.0% of sent\)/);
    // Failures broken down by kind (the failure column), in the kinds' order.
    assert.deepEqual(s.failureKinds, { timeout: 1, application: 1, dropped: 1 });
    assert.deepEqual(
      [...r.text.matchAll(/^failure: (\w+)\s+(\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
      [
        ['timeout', 1],
        ['application', 1],
        ['dropped', 1],
      ],
    );

    const html = await readFile(r.html, 'utf8');
    assertSelfContained(html);
    assert.deepEqual(
      [...html.matchAll(/<figure id="fig-[^"]*" data-figure="([^"]*)">/g)].map((m) => m[1]),
      ALL_FIGURES,
    );
    assert.match(html, /a &lt;warning&gt; to escape/);
    const latencySvg = await readFile(join(run, 'figures', 'latency-cdf.svg'), 'utf8');
    assert.deepEqual(svgFacts(latencySvg).series, ['all functions', 'fa', 'fb']);
    assert.ok(html.includes(latencySvg.slice(0, 200)), 'the SVG is inlined');
  });

  it('says which figures a run without monitors or failures cannot have', async () => {
    const run = join(dir, 'bare');
    await makeRun(run, 'bare');
    await rm(join(run, 'process_samples.parquet'));
    await rm(join(run, 'host_samples.parquet'));
    const r = await writeRunReport(run, { png: false });
    assert.deepEqual(
      r.skipped.map((s) => s.name),
      ['instance figures', 'host figures'],
    );
    const html = await readFile(r.html, 'utf8');
    assert.match(html, /data-skipped="host figures"/);
  });

  it('compare overlays the runs, one series each', async () => {
    const a = join(dir, 'cmp-a');
    const b = join(dir, 'cmp-b');
    await makeRun(a, 'run-a');
    await makeRun(b, 'run-b');
    const out = join(dir, 'cmp');
    const r = await writeCompareReport([a, b], out, { png: false });
    assert.equal(r.html, join(out, 'compare.html'));
    const lat = svgFacts(await readFile(join(out, 'figures', 'latency-cdf.svg'), 'utf8'));
    assert.deepEqual(lat.series, ['run-a', 'run-b']);
    assert.equal(lat.lines, 2);
    const req = await csv(join(out, 'figures', 'requests-over-time.csv'));
    assert.deepEqual(
      [...new Set(req.map((x) => x.series))],
      ['run-a: planned', 'run-a: completed', 'run-b: planned', 'run-b: completed'],
    );
    assert.deepEqual(
      r.summaries.map((s) => s.label),
      ['run-a', 'run-b'],
    );
    assertSelfContained(await readFile(r.html, 'utf8'));
    // Two runs with the same id are told apart by their folders.
    const same = await writeCompareReport([a, a], join(dir, 'cmp-same'), { png: false });
    assert.deepEqual(
      same.summaries.map((s) => s.label),
      [a, a],
    );
  });

  it('refuses a folder that is not a run, and names a broken table', async () => {
    const nope = await runCli(['report', join(dir, 'missing')]);
    assert.equal(nope.code, 2);
    assert.match(nope.stderr, /missing: no such run folder/);
    const broken = join(dir, 'broken');
    await makeRun(broken, 'broken');
    await writeFile(join(broken, 'invocations.parquet'), 'not parquet');
    const r = await runCli(['report', broken, '--no-png']);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /invocations\.parquet: not a readable Parquet file/);
    const one = await runCli(['report', 'compare', broken]);
    assert.equal(one.code, 2);
  });
});
