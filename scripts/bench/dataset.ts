/**
 * The dataset writer: N invocation rows (default 1,000,000) through TableWriter, as a replay
 * writes them, each profile in a process of its own (for its peak RSS):
 *
 *   npm run bench -- dataset [--rows 1000000]
 *
 * Measures rows/s into the Arrow stream (from the first add() until every row is written), the
 * CPU it took on the caller's thread (what a dispatcher pays: staging rows, handing batches
 * over) and in all threads (the writer thread encodes and writes), the longest flush on the
 * caller's thread, the Parquet conversion time (close()), both file sizes, and the peak RSS.
 * The producer backs off while more than 32 MiB wait for the writer, as a bulk writer should. Profiles: `http` (no
 * activation ids, as the HTTP platform) and `openwhisk` (a random 128-bit activation id per row,
 * as OpenWhisk and the embedded platform give: 16 bytes of entropy a row that no encoding
 * removes). Rows are synthetic but shaped like a replay's (seeded): ascending seq and times,
 * 200 functions, 64 instances, latencies of a few ms, 3% errors, 1% cold starts, exec_ms and
 * requested_duration_ms distinct on every row (µs resolution), wait_ms a few distinct values.
 * Writes results/bench/dataset.json and .md. Goals: >= 1M rows/s to the stream, Parquet in
 * < 1.5 s per million rows, < 14 MB per million rows, peak RSS < 300 MB.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { INVOCATIONS_COLUMNS, type InvocationRow } from '../../src/dataset/invocations.js';
import { TableWriter } from '../../src/dataset/table-writer.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    child: { type: 'string' },
  },
  strict: false,
});
const ROWS = Number(values.rows);

interface Result {
  profile: string;
  rows: number;
  streamWallS: number;
  callerCpuS: number;
  totalCpuS: number;
  rowsPerS: number;
  rowsPerCallerCpuS: number;
  rowsPerCpuS: number;
  flushes: number;
  flushMaxMs: number;
  flushP99Ms: number;
  arrowsBytes: number;
  parquetS: number;
  parquetSPerMillion: number;
  parquetBytes: number;
  mbPerMillion: number;
  peakRssMb: number;
}

/** A seeded generator (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pool of rows built before timing, reused with a fresh seq and times (the writer's cost only). */
function rowPool(profile: string, size: number): InvocationRow[] {
  const r = rng(42);
  const hex = () =>
    Math.floor(r() * 4294967296)
      .toString(16)
      .padStart(8, '0');
  const fns = Array.from({ length: 200 }, (_, i) => ({
    id: `app${i % 37}/fn${i}`,
    target: `fn-${i}-app${i % 37}`,
  }));
  return Array.from({ length: size }, (_, i) => {
    const fn = fns[Math.floor(r() * r() * 200)]!;
    const error = r() < 0.03;
    const latencyUs = Math.round(2000 + r() * 8000);
    return {
      seq: i,
      function: fn.id,
      target: fn.target,
      phase: 'measure',
      scheduled_at: 0,
      fired_at: 0,
      sent_at: 0,
      ended_at: 0,
      lateness_us: Math.round(20 + r() * 200),
      latency_us: latencyUs,
      latency_from_schedule_us: latencyUs + 100,
      outcome: error ? 'error' : 'ok',
      http_status: error ? 502 : 200,
      cold_start: r() < 0.01,
      wait_ms: Math.round(r() * 50) / 100,
      init_ms: null,
      exec_ms: latencyUs / 1000 - r(),
      activation_id: profile === 'openwhisk' ? hex() + hex() + hex() + hex() : null,
      instance_id: `${fn.target}-${Math.floor(r() * 64)}`,
      requested_duration_ms: Math.round(r() * 1000) / 100,
      requested_memory_mb: 128 * (1 + Math.floor(r() * 4)),
      error: error ? 'application error' : null,
      failure: error ? 'application' : null,
      wait_reason: null,
      billed_ms: null,
      max_memory_mb: null,
      cpu_ms: null,
      attempts: null,
      invoked_via: 'direct',
      trigger_activation_id: null,
      trigger_ms: null,
    };
  });
}

/** CPU seconds of this thread so far (/proc/thread-self/stat: utime + stime, in clock ticks of 10 ms). */
function threadCpuS(): number {
  const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function child(profile: string): Promise<Result> {
  const pool = rowPool(profile, 16384);
  const dir = mkdtempSync(join(tmpdir(), 'faasload-bench-dataset-'));
  try {
    const w = new TableWriter({
      dir,
      name: 'invocations',
      columns: INVOCATIONS_COLUMNS,
      flushIntervalMs: 3_600_000,
    });
    const flushMs: number[] = [];
    const flush = w.flush.bind(w);
    w.flush = () => {
      const t = performance.now();
      flush();
      flushMs.push(performance.now() - t);
    };
    const startUs = 1_764_000_000_000_000;
    const one: InvocationRow[] = [pool[0]!];
    const cpu0 = process.cpuUsage();
    const caller0 = threadCpuS();
    const t0 = performance.now();
    for (let i = 0; i < ROWS; i++) {
      const row = pool[i % pool.length]!;
      const at = startUs + i * 1000;
      row.seq = i;
      row.scheduled_at = at;
      row.fired_at = at + 15;
      row.sent_at = at + (row.lateness_us as number);
      row.ended_at = (row.sent_at as number) + (row.latency_us as number);
      // Measured and drawn floats differ on every row in a real run (µs resolution).
      row.exec_ms = (row.latency_us as number) / 1000 - ((i * 7919) % 1000) / 1000;
      row.requested_duration_ms = ((i * 104729) % 1000003) / 1000;
      one[0] = row;
      w.add(one);
      // A dispatcher yields all the time; this loop must too, or no write would ever complete.
      if ((i & 8191) === 8191) {
        await new Promise(setImmediate);
        if (w.pendingBytes > 32 * 1048576) await w.drain();
      }
    }
    w.flush();
    const callerCpuS = threadCpuS() - caller0;
    await w.drain();
    const streamWallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const totalCpuS = (cpu.user + cpu.system) / 1e6;
    const arrowsBytes = statSync(w.arrowsPath).size;
    const t1 = performance.now();
    await w.close();
    const parquetS = (performance.now() - t1) / 1000;
    const parquetBytes = statSync(join(dir, 'invocations.parquet')).size;
    const sorted = [...flushMs].sort((a, b) => a - b);
    return {
      profile,
      rows: ROWS,
      streamWallS,
      callerCpuS,
      totalCpuS,
      rowsPerS: ROWS / streamWallS,
      rowsPerCallerCpuS: ROWS / callerCpuS,
      rowsPerCpuS: ROWS / totalCpuS,
      flushes: sorted.length,
      flushMaxMs: sorted.at(-1) ?? 0,
      flushP99Ms: sorted[Math.floor(0.99 * (sorted.length - 1))] ?? 0,
      arrowsBytes,
      parquetS,
      parquetSPerMillion: parquetS / (ROWS / 1e6),
      parquetBytes,
      mbPerMillion: parquetBytes / 1e6 / (ROWS / 1e6),
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    // FAASLOAD_BENCH_KEEP=1 keeps the Parquet file to look at (its folder goes to stderr).
    if (process.env.FAASLOAD_BENCH_KEEP === '1') process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (values.child) {
  process.stdout.write(`${JSON.stringify(await child(String(values.child)))}\n`);
} else {
  const results: Result[] = [];
  for (const profile of ['http', 'openwhisk']) {
    process.stderr.write(`dataset: ${ROWS} rows, profile ${profile}\n`);
    const out = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', profile, '--rows', String(ROWS)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    results.push(JSON.parse(out) as Result);
  }
  const goals = { rowsPerS: 1e6, parquetSPerMillion: 1.5, mbPerMillion: 14, peakRssMb: 300 };
  const report = { when: new Date().toISOString(), rows: ROWS, goals, results };
  mkdirSync('results/bench', { recursive: true });
  writeFileSync('results/bench/dataset.json', `${JSON.stringify(report, null, 2)}\n`);
  const f = (n: number, d = 2) => n.toFixed(d);
  const md = [
    `# dataset writer: ${ROWS.toLocaleString('en')} invocation rows`,
    '',
    `Run ${report.when}. Goals: >= 1M rows/s to the Arrow stream, Parquet < 1.5 s and < 14 MB per million rows, peak RSS < 300 MB.`,
    '',
    '| profile | rows/s into the stream | rows per CPU-s, caller thread | rows per CPU-s, all threads | longest flush ms (p99) | Arrow stream MB | Parquet s per M rows | Parquet MB per M rows | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.profile} | ${Math.round(r.rowsPerS).toLocaleString('en')} | ${Math.round(r.rowsPerCallerCpuS).toLocaleString('en')} | ${Math.round(r.rowsPerCpuS).toLocaleString('en')} | ${f(r.flushMaxMs, 1)} (${f(r.flushP99Ms, 1)}) | ${f(r.arrowsBytes / 1e6, 1)} | ${f(r.parquetSPerMillion)} | ${f(r.mbPerMillion)} | ${Math.round(r.peakRssMb)} |`,
    ),
    '',
  ].join('\n');
  writeFileSync('results/bench/dataset.md', md);
  process.stdout.write(md);
}
