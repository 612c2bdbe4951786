/**
 * A synthetic run folder, shaped like a replay's, without firing anything: a synthetic Azure
 * 2019 day is planned (the project's trace synthesizer and planner), its first `rows` arrivals
 * get seeded outcomes, times and platform facts, and the rows go through the project's
 * TableWriter with the invocations and timeline schemas, beside a manifest, so that
 * `faasload dataset verify` accepts the folder and `faasload report` reads it as a real run.
 * Used by the report benchmark (10 M rows) and the report/DuckDB interop test (a smaller run).
 *
 *   node dist/scripts/bench/synthetic-run.js --out DIR [--rows 10000000] [--functions 15000] [--seed 1]
 *
 * The rows (seeded per seq): ~1% cold starts plus each function's first invocation; outcomes
 * 95.5% ok, 2% error (HTTP 500 or 502), 0.5% timeout, 1.5% dropped, 0.5% cancelled; lateness
 * log-normal (median ~60 µs, heavy tail); latency = requested duration + a log-normal overhead
 * (median ~3 ms); the first 1,000 rows are the warm-up phase. Not a model of any platform: a
 * load for the report with realistic spreads and every column filled.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  INVOCATIONS_COLUMNS,
  INVOCATIONS_SCHEMA_VERSION,
  type InvocationRow,
} from '../../src/dataset/invocations.js';
import { hostFacts, MANIFEST_VERSION, type Manifest, writeManifest } from '../../src/dataset/manifest.js';
import { TableWriter } from '../../src/dataset/table-writer.js';
import { TIMELINE_COLUMNS, TIMELINE_SCHEMA_VERSION, type TimelineRow } from '../../src/dataset/timeline.js';
import { actionNames } from '../../src/run/names.js';
import { plan } from '../../src/schedule/plan.js';
import { readTrace } from '../../src/trace/read.js';
import { synthesizeAzure2019Day } from '../../src/trace/synth-day.js';
import { microsHistogram } from '../../src/util/histogram.js';
import { unitAt } from '../../src/util/random.js';
import { VERSION } from '../../src/version.js';

export interface SyntheticRunOptions {
  /** The run folder (made if missing; its tables are overwritten). */
  dir: string;
  /** Rows of invocations.parquet: the plan's first `rows` arrivals. */
  rows: number;
  /** Functions of the synthetic day (~670 invocations each a day); it must plan >= rows. */
  functions: number;
  /** Minutes of the synthetic day. Default 1440. */
  minutes?: number;
  seed: number;
  /** Where the synthetic trace goes. Default <dir>/trace. */
  traceDir?: string;
}

/** The run's wall-clock start, µs since the epoch (2026-01-01T00:00:00Z): fixed, so runs are identical. */
const START_US = 1_767_225_600_000_000;
const WARMUP_ROWS = 1000;

/** Writes the run folder; returns its planned rows. Bench-only: no error mapping beyond the writer's. */
export async function writeSyntheticRun(o: SyntheticRunOptions): Promise<{ rows: number; spanS: number }> {
  mkdirSync(o.dir, { recursive: true });
  const traceDir = o.traceDir ?? join(o.dir, 'trace');
  const day = await synthesizeAzure2019Day({
    seed: o.seed,
    functions: o.functions,
    minutes: o.minutes ?? 1440,
    outDir: traceDir,
  });
  const trace = await readTrace(day.files.invocations);
  const schedule = plan(trace, { seed: o.seed, iat: 'exponential' });
  const names = actionNames(schedule.functions);
  const runId = `synthetic-${o.rows}-s${o.seed}`;
  const metadata = (version: string) => ({ 'faasload.schema_version': version, 'faasload.run_id': runId });
  const writer = new TableWriter({
    dir: o.dir,
    name: 'invocations',
    columns: INVOCATIONS_COLUMNS,
    metadata: metadata(INVOCATIONS_SCHEMA_VERSION),
    flushIntervalMs: 3_600_000,
  });
  const seen = new Uint8Array(schedule.functions.length);
  const seconds = Math.ceil(schedule.spanUs / 1e6) + 2;
  const perSecond = {
    requested: new Float64Array(seconds),
    sent: new Float64Array(seconds),
    completed: new Float64Array(seconds),
    errors: new Float64Array(seconds),
    dropped: new Float64Array(seconds),
    p99: new Float64Array(seconds).fill(Number.NaN),
  };
  const lateness = microsHistogram(2);
  let lateSecond = 0;
  const outcomes: Record<string, number> = { ok: 0, error: 0, timeout: 0, dropped: 0, cancelled: 0 };
  let coldStarts = 0;
  let n = 0;
  let lastUs = 0;
  const u = (seq: number, k: number) => unitAt(o.seed, 77, seq, k);
  // A standard normal from two uniforms (Box-Muller).
  const z = (seq: number, k: number) =>
    Math.sqrt(-2 * Math.log(1 - u(seq, k))) * Math.cos(2 * Math.PI * u(seq, k + 1));
  const one: InvocationRow[] = [];
  outer: for (const b of schedule.batches({ reuse: true })) {
    for (let i = 0; i < b.length; i++) {
      if (n >= o.rows) break outer;
      const seq = n;
      const fn = b.fn[i]!;
      const scheduled = START_US + Math.round(b.atUs[i]!);
      const durationMs = Number.isNaN(b.durationMs[i]!) ? 10 : Math.min(b.durationMs[i]!, 60_000);
      const memoryMb = Number.isNaN(b.memoryMb[i]!) ? 128 : b.memoryMb[i]!;
      const r = u(seq, 0);
      const outcome =
        r < 0.955 ? 'ok' : r < 0.975 ? 'error' : r < 0.98 ? 'timeout' : r < 0.995 ? 'dropped' : 'cancelled';
      const sent = outcome !== 'dropped' && outcome !== 'cancelled';
      const latenessUs = Math.round(Math.exp(Math.log(60) + 1.2 * z(seq, 1)));
      const overheadUs = Math.round(Math.exp(Math.log(3000) + 0.8 * z(seq, 3)));
      const cold = sent && (seen[fn] === 0 || u(seq, 5) < 0.01);
      seen[fn] = 1;
      const sentAt = scheduled + latenessUs;
      const latencyUs =
        outcome === 'timeout' ? 60_000_000 : Math.round(durationMs * 1000) + overheadUs + (cold ? 90_000 : 0);
      const ended = sentAt + latencyUs;
      const second = Math.floor((scheduled - START_US) / 1e6);
      perSecond.requested[second]!++;
      if (sent) {
        perSecond.sent[second]!++;
        const endSecond = Math.min(seconds - 1, Math.floor((ended - START_US) / 1e6));
        perSecond.completed[endSecond]!++;
        if (outcome !== 'ok') perSecond.errors[endSecond]!++;
        if (second !== lateSecond) {
          if (lateness.totalCount > 0) perSecond.p99[lateSecond] = lateness.getValueAtPercentile(99);
          lateness.reset();
          lateSecond = second;
        }
        lateness.recordValue(latenessUs);
        if (cold) coldStarts++;
      } else if (outcome === 'dropped') perSecond.dropped[second]!++;
      outcomes[outcome]!++;
      lastUs = Math.max(lastUs, sent ? ended : scheduled);
      const status = outcome === 'ok' ? 200 : outcome === 'error' ? (u(seq, 6) < 0.5 ? 500 : 502) : null;
      one[0] = {
        seq,
        function: schedule.functions[fn]!.id,
        target: names[fn]!,
        phase: seq < WARMUP_ROWS ? 'warmup' : 'measure',
        scheduled_at: scheduled,
        fired_at: sent ? sentAt - 5 : scheduled + latenessUs,
        sent_at: sent ? sentAt : null,
        ended_at: sent ? ended : null,
        lateness_us: sent ? latenessUs : null,
        latency_us: sent ? latencyUs : null,
        latency_from_schedule_us: sent ? latenessUs + latencyUs : null,
        outcome,
        http_status: sent ? status : null,
        cold_start: sent ? cold : null,
        wait_ms: sent ? Math.round(u(seq, 7) * 200) / 100 : null,
        wait_reason: null,
        init_ms: cold ? 85 + Math.round(u(seq, 8) * 100) / 10 : null,
        exec_ms: sent && outcome !== 'timeout' ? durationMs : null,
        activation_id: null,
        instance_id: sent ? `${names[fn]!}-${Math.floor(u(seq, 9) * 4)}` : null,
        requested_duration_ms: durationMs,
        requested_memory_mb: memoryMb,
        error: outcome === 'ok' ? null : outcome === 'error' ? 'application error' : outcome,
        failure:
          outcome === 'ok'
            ? null
            : outcome === 'error'
              ? status === 502
                ? 'application'
                : 'platform'
              : outcome,
        billed_ms: null,
        max_memory_mb: null,
        cpu_ms: sent && outcome !== 'timeout' ? durationMs * 0.9 : null,
        attempts: null,
        invoked_via: sent ? 'direct' : null,
        trigger_activation_id: null,
        trigger_ms: null,
      };
      writer.add(one);
      n++;
      // A bulk producer waits for the writer thread instead of outrunning it.
      if ((n & 8191) === 0 && writer.pendingBytes > 32 * 1048576) await writer.drain();
    }
  }
  if (n < o.rows)
    throw new Error(`the synthetic day plans ${n} invocations, fewer than ${o.rows}: add functions`);
  if (lateness.totalCount > 0) perSecond.p99[lateSecond] = lateness.getValueAtPercentile(99);
  const table = await writer.close();
  const spanS = Math.ceil((lastUs - START_US) / 1e6);
  const timeline = new TableWriter({
    dir: o.dir,
    name: 'timeline',
    columns: TIMELINE_COLUMNS,
    metadata: metadata(TIMELINE_SCHEMA_VERSION),
  });
  const timelineRows: TimelineRow[] = [];
  for (let s = 0; s <= Math.min(spanS, seconds - 1); s++) {
    timelineRows.push({
      second: s,
      requested: perSecond.requested[s]!,
      sent: perSecond.sent[s]!,
      completed: perSecond.completed[s]!,
      errors: perSecond.errors[s]!,
      dropped: perSecond.dropped[s]!,
      lateness_p99_us: Number.isNaN(perSecond.p99[s]!) ? null : perSecond.p99[s]!,
    });
  }
  timeline.add(timelineRows);
  const timelineTable = await timeline.close();
  const sentCount = n - outcomes.dropped! - outcomes.cancelled!;
  const manifest: Manifest<'replay'> = {
    manifestVersion: MANIFEST_VERSION,
    command: 'replay',
    tool: { name: 'faasload', version: VERSION },
    runId,
    commandLine: [
      ...['faasload', 'synthetic-run', '--rows', String(o.rows)],
      ...['--functions', String(o.functions), '--seed', String(o.seed)],
    ],
    config: { trace: day.files.invocations, plan: schedule.options },
    seed: o.seed,
    trace: { format: trace.format, files: [] },
    platform: { kind: 'synthetic', address: 'none (not fired)' },
    host: hostFacts(),
    startedAt: new Date(START_US / 1000).toISOString(),
    endedAt: new Date(lastUs / 1000).toISOString(),
    status: 'complete',
    counts: { planned: n, functions: schedule.functions.length, sent: sentCount, ...outcomes, coldStarts },
    tables: {
      invocations: {
        file: table.file,
        rows: table.rows,
        schemaVersion: INVOCATIONS_SCHEMA_VERSION,
        columns: INVOCATIONS_COLUMNS,
      },
      timeline: {
        file: timelineTable.file,
        rows: timelineTable.rows,
        schemaVersion: TIMELINE_SCHEMA_VERSION,
        columns: TIMELINE_COLUMNS,
      },
    },
    warnings: ['synthetic run: rows made from a plan, nothing was fired'],
  };
  await writeManifest(o.dir, manifest);
  return { rows: n, spanS };
}

if (process.argv[1]?.endsWith('synthetic-run.js')) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      rows: { type: 'string', default: '10000000' },
      functions: { type: 'string', default: '15000' },
      seed: { type: 'string', default: '1' },
    },
  });
  if (!values.out) {
    process.stderr.write('--out DIR is required\n');
    process.exit(2);
  }
  const t0 = performance.now();
  const r = await writeSyntheticRun({
    dir: values.out,
    rows: Number(values.rows),
    functions: Number(values.functions),
    seed: Number(values.seed),
  });
  process.stderr.write(
    `${values.out}: ${r.rows} rows over ${r.spanS} s in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
