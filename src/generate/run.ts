/**
 * `faasload generate`: runs a generation plan's executions on a platform and writes them to
 * <out>/executions/part-NNNN.parquet, one part per session (a folder of Parquet files that pandas,
 * polars, DuckDB and Spark read as one table).
 *
 * Resume: the data is the checkpoint. A session skips every execution whose row a part already
 * holds; executions are pure functions of (plan, index) (see executions.ts), so the union of the
 * parts equals an uninterrupted generation's rows, none missing and none twice. A part left as an
 * Arrow stream by a crash (kill -9) is first turned into Parquet, keeping its complete batches.
 * The plan may not change between sessions (its sha256 is checked).
 */

import { join } from 'node:path';
import { TableWriter } from '../dataset/table-writer.js';
import type { ActivationWindow } from '../monitor/perf-join.js';
import type { RunningMonitors } from '../monitor/run.js';
import type { MonitorOptions } from '../monitor/set.js';
import { returnsActionResults } from '../platforms/capabilities.js';
import { createPlatform, type PlatformOptions } from '../platforms/registry.js';
import { finishManifest } from '../run/steps/manifest.js';
import { stopControl } from '../run/steps/stop.js';
import { messageOf } from '../util/message.js';
import { fillCounters } from './counters.js';
import { functionSpecs, runExecutions, type Tally } from './execute.js';
import { GRACE_MS, generationManifest } from './manifest.js';
import { closeSession, openSession, type Session, type State } from './session.js';
import { startSessionMonitors, stopSessionMonitors } from './session-monitors.js';
import { EXECUTIONS_SCHEMA_VERSION } from './table.js';

export type { State } from './session.js';

/**
 * The platforms a generation runs on. local and openwhisk deploy the plan's catalog and folder
 * functions (measured, see action-code.ts) and hand back their answers, so every target is in the
 * row; knative, openfaas and lambda invoke functions that already exist there (deployed by the
 * user), and give only their own figures (docs/generate.md, "What each platform gives").
 */
export const GENERATE_PLATFORMS = ['local', 'openwhisk', 'knative', 'openfaas', 'lambda'] as const;
export type GeneratePlatform = (typeof GENERATE_PLATFORMS)[number];

export interface GenerateOptions {
  planPath: string;
  /** The generation's folder: new (or empty) for a first session, the same one with resume. */
  out: string;
  resume?: boolean;
  platform?: GeneratePlatform;
  platformOptions?: PlatformOptions;
  /**
   * Monitors observing each session (src/monitor), their tables in monitors/session-NNNN/ and
   * joined to executions by instance_id and time; default as replay's (host, plus the runtime's).
   * With perf, each execution's counters are also in its row (perf_<event>, counters.ts); the
   * events are fixed by the first session: a --resume must count the same ones, or none.
   */
  monitor?: MonitorOptions;
  /** Aborting stops starting executions; those in flight get graceMs to finish. */
  signal?: AbortSignal;
  graceMs?: number;
  onProgress?: (p: GenerateProgress) => void;
  progressIntervalMs?: number;
  /** For the manifest. */
  commandLine?: readonly string[];
}

/** A generation's configuration as its manifest records it (platform options, which may hold keys, are not). */
export interface GenerateConfig {
  /** The plan file. */
  plan: string;
  platform: GeneratePlatform;
  resume: boolean;
  /** The monitors of this session. */
  monitors: readonly string[];
  graceMs: number;
  /** A generation reads no trace (declared so that every command's config can be asked for it). */
  onDuplicate?: never;
}

/** What a generation's manifest says of it (`generation`): its plan as written, and its sessions. */
export interface GenerationFacts {
  plan: { sha256: string; document: unknown };
  sessions: State['sessions'];
}

export interface GenerateProgress {
  done: number;
  total: number;
  inFlight: number;
  errors: number;
  /** Executions per second in this session, and the time left at that pace. */
  perS: number;
  etaS: number;
}

export interface GenerateResult {
  out: string;
  session: number;
  status: 'complete' | 'stopped';
  total: number;
  /** Rows written by this session, and by all sessions together. */
  rows: number;
  done: number;
  errors: number;
}

/**
 * One session of a generation, as a short pipeline: open the session (plan, state, parts),
 * make the platform, open the part, start the monitors, deploy, run the executions, close (teardown,
 * monitors, part, perf columns), save the state and write the manifest.
 */
export async function generate(o: GenerateOptions): Promise<GenerateResult> {
  const s = await openSession(o);
  const specs = functionSpecs(s.plan);
  const platform = createPlatform(s.platformKind, o.platformOptions ?? {});
  // Platforms that hand back the action's answer give the targets measured inside the instance.
  const answering = returnsActionResults(platform) ? platform : undefined;
  const writer = openPart(o, s);
  const signal = o.signal ?? new AbortController().signal;
  const tally: Tally = { rows: 0, errors: 0, inFlight: 0, done: s.done.count };
  const startedMs = performance.now();
  const progress = () => reportProgress(o, tally, s.total, startedMs);
  const ticker = setInterval(progress, o.progressIntervalMs ?? 1000);
  ticker.unref();
  // In-flight executions are aborted past the grace time once a stop is asked.
  const ctl = stopControl({ signal: o.signal, graceMs: o.graceMs ?? GRACE_MS });
  const warnings: string[] = [];
  let monitorTables: string[] = [];
  let monitors: RunningMonitors | undefined;
  // Each written execution's window on its instance, for the perf counters of that execution.
  const windows: ActivationWindow[] = [];
  try {
    monitors = await startSessionMonitors(o.out, s);
    // Actions already on the platform are not deployed (nor removed).
    await platform.deploy(
      specs.filter((_, i) => s.plan.functions[i]?.source.kind !== 'action'),
      signal,
    );
    const hard = ctl.hard.signal;
    await runExecutions({
      session: s,
      specs,
      platform,
      answering,
      writer,
      windows,
      tally,
      startedMs,
      signal,
      hard,
    });
  } finally {
    clearInterval(ticker);
    ctl.dispose();
    await platform.teardown().catch(() => undefined);
    monitorTables = await closePart(o, s, writer, monitors, windows, warnings);
  }
  progress();
  const status = tally.done === s.total ? 'complete' : 'stopped';
  const { rows, errors } = tally;
  await closeSession(o.out, s, { endedAt: new Date().toISOString(), rows, status, monitorTables, warnings });
  const counts = { total: s.total, done: tally.done, errors };
  const platformFact = { kind: platform.kind, address: platform.address };
  await finishManifest(o.out, await generationManifest(o, s, { status, counts, platform: platformFact }));
  return { out: o.out, session: s.session, status, total: s.total, rows, done: tally.done, errors };
}

/** This session's part of the executions table. */
function openPart(o: GenerateOptions, s: Session): TableWriter {
  return new TableWriter({
    dir: s.partsDir,
    name: s.partName,
    columns: s.columns,
    metadata: partMetadata(s),
    // Offline: a worker waits for the disk (writable()) instead of failing the part.
    whenBehind: 'wait',
    // A part is not a run folder: the next session recovers it and goes on.
    recovery: `faasload generate ${o.planPath} --out ${o.out} --resume recovers this part and goes on`,
  });
}

function partMetadata(s: Session): Record<string, string> {
  return { 'faasload.schema_version': EXECUTIONS_SCHEMA_VERSION, 'faasload.plan_sha256': s.planSha256 };
}

/**
 * Stops the monitors and closes the part; with perf counters, fills the part's perf columns (a
 * failure leaves them null, with a warning). The monitors' tables, relative to the folder.
 */
async function closePart(
  o: GenerateOptions,
  s: Session,
  writer: TableWriter,
  monitors: RunningMonitors | undefined,
  windows: readonly ActivationWindow[],
  warnings: string[],
): Promise<string[]> {
  const stopped = monitors
    ? await stopSessionMonitors(o.out, s, monitors, windows, warnings)
    : { monitorTables: [], counters: new Map() };
  const part = await writer.close();
  if (stopped.counters.size > 0 && part.rows > 0) {
    const monitorDir = join(o.out, 'monitors', s.sessionName);
    try {
      const path = join(s.partsDir, `${s.partName}.parquet`);
      await fillCounters(path, monitorDir, s.columns, partMetadata(s), stopped.counters);
    } catch (e) {
      warnings.push(`executions: perf columns left null: ${messageOf(e)}`);
    }
  }
  return stopped.monitorTables;
}

function reportProgress(o: GenerateOptions, t: Tally, total: number, startedMs: number): void {
  const elapsedS = (performance.now() - startedMs) / 1000;
  const perS = elapsedS > 0 ? t.rows / elapsedS : 0;
  const left = total - t.done;
  o.onProgress?.({
    done: t.done,
    total,
    inFlight: t.inFlight,
    errors: t.errors,
    perS,
    etaS: perS > 0 ? left / perS : Number.POSITIVE_INFINITY,
  });
}
