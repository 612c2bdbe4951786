import { INVOCATIONS_COLUMNS, INVOCATIONS_SCHEMA_VERSION, invocationRow } from '../dataset/invocations.js';
import {
  hostFacts,
  MANIFEST_VERSION,
  type Manifest,
  traceFileFacts,
  writeManifest,
} from '../dataset/manifest.js';
import { TableWriter } from '../dataset/table-writer.js';
import { type Clock, RealClock } from '../dispatch/clock.js';
import { dispatch, type InvocationRecord } from '../dispatch/dispatcher.js';
import { createPlatform, type PlatformOptions } from '../platforms/registry.js';
import type { FunctionSpec, PlatformAdapter } from '../platforms/types.js';
import { formatSummary, type RunSummary, SummaryCollector } from '../report/summary.js';
import { VERSION } from '../version.js';
import { loadPlan, type TracePlanOptions } from './load-plan.js';
import { actionNames } from './names.js';
import { createRunDir, makeRunId } from './run-dir.js';

/**
 * The whole configuration of a replay: one typed object; defaults live in REPLAY_DEFAULTS and,
 * for planning, in plan().
 */
export interface ReplayOptions extends TracePlanOptions {
  platform?: string;
  keepAliveMs?: number;
  invokeTimeoutMs?: number;
  maxInstances?: number;
  maxInFlight?: number;
  /** The run folder; default <resultsDir>/<run-id>. */
  out?: string;
  resultsDir?: string;
  /** Aborting it stops firing; what was not sent is recorded as cancelled. */
  signal?: AbortSignal;
  /** Aborting it also aborts invocations in flight. */
  hardSignal?: AbortSignal;
  /** For the manifest. */
  commandLine?: readonly string[];
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  /** For tests: the clock and the platform. */
  clock?: Clock;
  platformAdapter?: PlatformAdapter;
}

export const REPLAY_DEFAULTS = {
  platform: 'local',
  keepAliveMs: 600_000,
  invokeTimeoutMs: 60_000,
  maxInstances: 64,
  maxInFlight: 10_000,
  resultsDir: 'results',
} as const;

export interface ReplayResult {
  dir: string;
  summary: RunSummary;
  manifest: Manifest;
}

/**
 * Replays a trace: reads it, plans it, deploys the functions, fires the plan open-loop, and
 * writes <dir>/invocations.parquet and <dir>/manifest.json. Rows already measured are kept
 * whatever fails later: the table is streamed during the run and the manifest says how it ended.
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const o = { ...REPLAY_DEFAULTS, ...stripUndefined(options) };
  const log = o.log ?? (() => {});
  const startedAt = new Date();

  const { trace, plan: schedule } = await loadPlan(o);
  const names = actionNames(schedule.functions);
  const specs: FunctionSpec[] = schedule.functions.map((f, i) => {
    const spec: FunctionSpec = { id: f.id, name: names[i]! };
    const memory = f.memoryMb?.points.at(-1)?.[1];
    if (memory !== undefined) spec.memoryMb = Math.ceil(memory);
    return spec;
  });

  const runId = makeRunId(o.trace, startedAt);
  const dir = await createRunDir(o.out, o.resultsDir, runId);
  const traceFiles = await traceFileFacts(trace.files);
  // From here on, whatever fails, the platform is torn down and the dataset closed (finally).
  const platformOptions: PlatformOptions = {
    keepAliveMs: o.keepAliveMs,
    invokeTimeoutMs: o.invokeTimeoutMs,
    maxInstances: o.maxInstances,
  };
  const platform = o.platformAdapter ?? createPlatform(o.platform, platformOptions);
  const clock = o.clock ?? new RealClock();
  const warnings = [...(trace.warnings ?? [])];
  const { signal, hardSignal, log: _log, clock: _clock, platformAdapter: _p, commandLine, ...config } = o;

  const manifest: Manifest = {
    manifestVersion: MANIFEST_VERSION,
    tool: { name: 'faasload', version: VERSION },
    runId,
    commandLine: commandLine ?? [],
    config: { ...config, plan: schedule.options },
    seed: schedule.options.seed,
    trace: { format: trace.format, files: traceFiles },
    platform: { kind: platform.kind, address: platform.address },
    host: hostFacts(),
    startedAt: startedAt.toISOString(),
    status: 'failed',
    counts: { planned: schedule.count(), functions: schedule.functions.length },
    tables: {},
    warnings,
  };

  const writer = new TableWriter({
    dir,
    name: 'invocations',
    columns: INVOCATIONS_COLUMNS,
    metadata: { 'faasload.schema_version': INVOCATIONS_SCHEMA_VERSION, 'faasload.run_id': runId },
  });
  const collector = new SummaryCollector();
  const onRecord = (record: InvocationRecord) => {
    writer.add([invocationRow(record, specs)]);
    collector.add(record);
  };

  let summary: RunSummary | undefined;
  try {
    await writeManifest(dir, manifest);
    log(
      `replaying ${schedule.count()} invocations of ${schedule.functions.length} functions over ${(schedule.spanUs / 1e6).toFixed(1)} s on ${platform.kind} -> ${dir}`,
    );
    const deploySignal = signal ?? new AbortController().signal;
    await platform.deploy(specs, deploySignal);
    const stats = await dispatch(schedule.arrivals(), (a, s) => platform.invoke(specs[a.fn]!, a, s), {
      clock,
      onRecord,
      maxInFlight: o.maxInFlight,
      ...(signal ? { signal } : {}),
      ...(hardSignal ? { invokeSignal: hardSignal } : {}),
    });
    summary = collector.summary((stats.endUs - stats.startUs) / 1e6);
    manifest.status = stats.cancelled > 0 ? 'stopped' : 'complete';
    if (stats.planned !== schedule.count()) {
      warnings.push(`the plan yielded ${stats.planned} invocations but counted ${schedule.count()}`);
    }
  } finally {
    await platform.teardown();
    const table = await writer.close();
    manifest.tables.invocations = {
      file: table.file,
      rows: table.rows,
      schemaVersion: INVOCATIONS_SCHEMA_VERSION,
      columns: INVOCATIONS_COLUMNS,
    };
    summary ??= collector.summary(0);
    manifest.counts = {
      ...manifest.counts,
      sent: summary.sent,
      ...summary.outcomes,
      coldStarts: summary.coldStarts,
    };
    manifest.endedAt = new Date().toISOString();
    await writeManifest(dir, manifest);
  }
  log(formatSummary(summary));
  return { dir, summary, manifest };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
