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
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColumnSpec } from '../dataset/columns.js';
import {
  hostFacts,
  MANIFEST_VERSION,
  type Manifest,
  traceFileFacts,
  writeManifest,
} from '../dataset/manifest.js';
import { arrowsToParquet } from '../dataset/parquet.js';
import { parquetBatches } from '../dataset/parquet-read.js';
import { INVOCATION_COUNTERS_COLUMNS, PERF_SCHEMA_VERSION } from '../dataset/perf-tables.js';
import { TableWriter } from '../dataset/table-writer.js';
import { FaasloadError } from '../errors.js';
import { PERF_DEFAULT_EVENTS } from '../monitor/perf.js';
import { splitEventList } from '../monitor/perf-csv.js';
import { joinCounters } from '../monitor/perf-invocations.js';
import { type ActivationWindow, activationWindow } from '../monitor/perf-join.js';
import { type RunningMonitors, startMonitors } from '../monitor/run.js';
import { type MonitorOptions, resolveMonitorConfig } from '../monitor/set.js';
import { type ActionInvocationResult, returnsActionResults } from '../platforms/capabilities.js';
import { createPlatform, type PlatformOptions } from '../platforms/registry.js';
import type { FunctionSpec } from '../platforms/types.js';
import { makeRunId } from '../run/run-dir.js';
import type { Arrival } from '../schedule/types.js';
import { sleepUnlessAborted } from '../util/abort.js';
import { VERSION } from '../version.js';
import { measuredCatalogCode, measuredUserCode } from './action-code.js';
import { type CountersByActivation, fillCounters, perfColumnName } from './counters.js';
import { type Execution, execution, executionOrder } from './executions.js';
import { type GeneratePlan, type ParamColumnType, readGeneratePlan } from './plan.js';
import { EXECUTIONS_SCHEMA_VERSION, executionRow, executionsColumns } from './table.js';

/**
 * The platforms a generation runs on. local and openwhisk deploy the plan's catalog and folder
 * functions (measured, see action-code.ts) and hand back their answers, so every target is in the
 * row; knative, openfaas and lambda invoke functions that already exist there (deployed by the
 * user), and give only their own figures (docs/generate.md, "What each platform gives").
 */
export const GENERATE_PLATFORMS = ['local', 'openwhisk', 'knative', 'openfaas', 'lambda'] as const;
export type GeneratePlatform = (typeof GENERATE_PLATFORMS)[number];

/** The platforms where faasload deploys code (and so can run catalog and folder functions). */
const DEPLOYS_CODE: ReadonlySet<GeneratePlatform> = new Set(['local', 'openwhisk']);

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

const STATE_FILE = 'generate.json';

/** How long executions in flight may finish after a stop, by default. */
const GRACE_MS = 30_000;

/** generate.json: what --resume reads. */
export interface State {
  planSha256: string;
  /** The perf events whose perf_<event> columns the executions table has (first session's). */
  perfEvents?: string[];
  sessions: {
    session: number;
    startedAt: string;
    endedAt?: string;
    rows?: number;
    status?: string;
    /** The monitors' tables of this session, relative to the generation folder. */
    monitorTables?: string[];
    warnings?: string[];
  }[];
}

export async function generate(o: GenerateOptions): Promise<GenerateResult> {
  const { plan, sha256: planSha256, document } = await readGeneratePlan(o.planPath);
  const platformKind = o.platform ?? 'local';
  checkPlatform(plan, platformKind);
  const monitorConfig = resolveMonitorConfig(o.monitor, {
    platform: platformKind,
    runtime: o.platformOptions?.runtime,
  });
  const counted = monitorConfig.monitors.includes('perf')
    ? splitEventList(monitorConfig.perfEvents ?? PERF_DEFAULT_EVENTS)
    : [];
  const partsDir = join(o.out, 'executions');
  const state = await openState(o, planSha256, counted);
  const perfEvents = state.perfEvents ?? [];
  const columns = executionsColumns(plan, perfEvents);
  await mkdir(partsDir, { recursive: true });
  await recoverParts(partsDir, columns);
  const order = executionOrder(plan);
  const done = await doneIndexes(partsDir, order.length);
  const session = state.sessions.length + 1;
  state.sessions.push({ session, startedAt: new Date().toISOString() });
  await saveState(o.out, state);

  const specs = functionSpecs(plan);
  const platform = createPlatform(platformKind, o.platformOptions ?? {});
  // Platforms that hand back the action's answer give the targets measured inside the instance.
  const answering = returnsActionResults(platform) ? platform : undefined;
  const sessionName = `session-${String(session).padStart(4, '0')}`;
  const warnings: string[] = [];
  const monitorTables: string[] = [];
  let monitors: RunningMonitors | undefined;
  // Each written execution's window on its instance, for the perf counters of that execution.
  const windows: ActivationWindow[] = [];
  const metadata = {
    'faasload.schema_version': EXECUTIONS_SCHEMA_VERSION,
    'faasload.plan_sha256': planSha256,
  };
  const partName = `part-${String(session).padStart(4, '0')}`;
  const writer = new TableWriter({
    dir: partsDir,
    name: partName,
    columns,
    metadata,
    // Offline: a worker waits for the disk (writable()) instead of failing the part.
    whenBehind: 'wait',
    // A part is not a run folder: the next session recovers it and goes on.
    recovery: `faasload generate ${o.planPath} --out ${o.out} --resume recovers this part and goes on`,
  });
  const signal = o.signal ?? new AbortController().signal;
  let rows = 0;
  let errors = 0;
  let inFlight = 0;
  let doneCount = done.count;
  const startedMs = performance.now();
  const progress = () => {
    const elapsedS = (performance.now() - startedMs) / 1000;
    const perS = elapsedS > 0 ? rows / elapsedS : 0;
    const left = order.length - doneCount;
    o.onProgress?.({
      done: doneCount,
      total: order.length,
      inFlight,
      errors,
      perS,
      etaS: perS > 0 ? left / perS : Number.POSITIVE_INFINITY,
    });
  };
  const ticker = setInterval(progress, o.progressIntervalMs ?? 1000);
  ticker.unref();
  // In-flight executions are aborted past the grace time once a stop is asked.
  const hard = new AbortController();
  const onStop = () =>
    setTimeout(() => hard.abort(new Error('grace time over')), o.graceMs ?? GRACE_MS).unref();
  signal.addEventListener('abort', onStop, { once: true });
  try {
    if (monitorConfig.monitors.length > 0) {
      const dir = join(o.out, 'monitors', sessionName);
      await mkdir(dir, { recursive: true });
      monitors = await startMonitors(monitorConfig, { dir, runId: sessionName, log: () => undefined });
    }
    // Actions already on the platform are not deployed (nor removed).
    await platform.deploy(
      specs.filter((_, i) => plan.functions[i]!.source.kind !== 'action'),
      signal,
    );
    // Walks the order: index i is started when a slot is free and, with a rate, not before its turn.
    const runs = new Uint32Array(plan.functions.length);
    const todo: { index: number; fn: number; run: number }[] = [];
    for (let i = 0; i < order.length; i++) {
      const fn = order[i]!;
      const run = runs[fn]!++;
      if (!done.has(i)) todo.push({ index: i, fn, run });
    }
    let next = 0;
    const worker = async () => {
      while (!signal.aborted && next < todo.length) {
        const t = todo[next++]!;
        if (plan.ratePerS !== undefined) {
          const dueMs = startedMs + (next - 1) * (1000 / plan.ratePerS);
          const waitMs = dueMs - performance.now();
          if (waitMs > 0) await sleepUnlessAborted(waitMs, signal);
          if (signal.aborted) return; // not started: a later session runs it
        }
        const e = execution(plan, t.index, t.fn, t.run);
        inFlight++;
        const r: ActionInvocationResult = answering
          ? await answering.invoke(specs[t.fn]!, arrivalOf(e), hard.signal)
          : await platform.invoke(specs[t.fn]!, arrivalOf(e), hard.signal);
        inFlight--;
        // An execution cut by the stop did not complete: it is left for the next session.
        if (r.outcome === 'cancelled' || hard.signal.aborted) continue;
        writer.add([
          executionRow(
            plan,
            e,
            { tenant: specs[t.fn]!.owner ?? 'guest', platform: platformKind },
            session,
            r,
          ),
        ]);
        const w = activationWindow({
          activationId: r.activationId ?? null,
          instanceId: r.instanceId ?? null,
          target: specs[t.fn]!.name,
          sentUs: r.sentAtUs,
          endedUs: r.endedAtUs,
          execMs: r.execMs ?? null,
        });
        if (w) windows.push(w);
        await writer.writable();
        rows++;
        doneCount++;
        if (r.outcome !== 'ok') errors++;
      }
    };
    await Promise.all(Array.from({ length: plan.concurrency }, worker));
  } finally {
    clearInterval(ticker);
    signal.removeEventListener('abort', onStop);
    await platform.teardown().catch(() => undefined);
    const counters: CountersByActivation = new Map();
    const monitorDir = join(o.out, 'monitors', sessionName);
    if (monitors) {
      try {
        const { tables } = await monitors.stop();
        for (const t of Object.values(tables)) monitorTables.push(join('monitors', sessionName, t.file));
        if (tables.counters) {
          const file = await executionCounters(monitorDir, sessionName, windows, counters, warnings);
          if (file) monitorTables.push(join('monitors', sessionName, file));
        }
      } catch (e) {
        warnings.push(`monitors: ${(e as Error).message}`);
      }
    }
    const part = await writer.close();
    if (counters.size > 0 && part.rows > 0) {
      try {
        await fillCounters(join(partsDir, `${partName}.parquet`), monitorDir, columns, metadata, counters);
      } catch (e) {
        warnings.push(`executions: perf columns left null: ${(e as Error).message}`);
      }
    }
  }
  progress();
  const status = doneCount === order.length ? 'complete' : 'stopped';
  Object.assign(state.sessions.at(-1)!, {
    endedAt: new Date().toISOString(),
    rows,
    status,
    monitorTables,
    warnings,
  });
  await saveState(o.out, state);
  const counts = { total: order.length, done: doneCount, errors };
  await writeManifest(
    o.out,
    await generationManifest(
      o,
      { document, planSha256, columns, state, status, counts },
      {
        platform: { kind: platform.kind, address: platform.address },
        monitors: monitorConfig.monitors,
        seed: plan.seed,
      },
    ),
  );
  return { out: o.out, session, status, total: order.length, rows, done: doneCount, errors };
}

/**
 * With the perf monitor: each execution's counters (the deltas of its instance's counters over
 * its execution window, monitor/perf-join.ts) as invocation_counters.parquet beside counters
 * (the series' detail: scaled, concurrent, window), and into `counters` by activation id and
 * perf_<event> column for the executions rows. Never throws: a failure is a warning.
 */
async function executionCounters(
  dir: string,
  sessionName: string,
  windows: readonly ActivationWindow[],
  counters: CountersByActivation,
  warnings: string[],
): Promise<string | undefined> {
  const writer = new TableWriter({
    dir,
    name: 'invocation_counters',
    columns: INVOCATION_COUNTERS_COLUMNS,
    metadata: { 'faasload.schema_version': PERF_SCHEMA_VERSION, 'faasload.run_id': sessionName },
  });
  try {
    const counts = await joinCounters(join(dir, 'counters.parquet'), windows, (row) => {
      writer.add([{ ...row }]);
      let mine = counters.get(row.activation_id);
      if (!mine) {
        mine = new Map();
        counters.set(row.activation_id, mine);
      }
      mine.set(perfColumnName(row.event), row.value);
    });
    if (counts.uncovered > 0) {
      warnings.push(
        `invocation_counters: ${counts.uncovered} (execution, event) pairs left out: their window was not wholly counted`,
      );
    }
    return (await writer.close()).file;
  } catch (e) {
    await writer.close().catch(() => undefined);
    warnings.push(`invocation_counters not written: ${(e as Error).message}`);
    return undefined;
  }
}

/** Catalog and folder functions need a platform faasload deploys code to; `action:` ones a real one. */
function checkPlatform(plan: GeneratePlan, platform: GeneratePlatform): void {
  for (const f of plan.functions) {
    if (f.source.kind !== 'action' && !DEPLOYS_CODE.has(platform) && f.source.kind === 'folder') {
      throw new FaasloadError(
        'E_USAGE',
        `function ${f.name}: a folder is deployed only on --platform local or openwhisk; on ${platform} deploy it yourself and name it with action:`,
      );
    }
    if (f.source.kind === 'action' && platform === 'local') {
      throw new FaasloadError(
        'E_USAGE',
        `function ${f.name}: action: names a function already deployed on a real platform; the embedded one starts empty (use path: or a catalog name)`,
      );
    }
  }
}

/**
 * One spec per plan function: its measured action (catalog or folder), or the name of an existing
 * action; its tenant (FaaSLoad ran one user per function).
 */
function functionSpecs(plan: GeneratePlan): FunctionSpec[] {
  const types = new Map(plan.paramColumns.map((p) => [p.name, p.type]));
  return plan.functions.map((f, i) => {
    const spec: FunctionSpec = {
      id: f.name,
      name: f.source.kind === 'action' ? f.source.action : `gen-${f.name}`,
      owner: plan.tenants === 'shared' ? 'shared' : `user${i + 1}`,
    };
    if (f.memoryMb !== undefined) spec.memoryMb = f.memoryMb;
    if (f.source.kind === 'catalog') {
      const entry = f.source.entry;
      spec.action = { code: measuredCatalogCode(entry.code), main: 'main' };
      spec.workload = { function: entry.name, seed: plan.seed, inputSize: entry.input.size.default };
    } else if (f.source.kind === 'folder') {
      const paramTypes: Record<string, ParamColumnType> = {};
      for (const name of [...Object.keys(f.params), ...f.settings.flatMap((s) => Object.keys(s))]) {
        paramTypes[name] = types.get(name)!;
      }
      spec.action = { code: measuredUserCode(f.source.code, f.inputs.generator, paramTypes), main: 'main' };
    }
    return spec;
  });
}

/**
 * The arrival the platforms take: the input id and the parameters (as strings, as arrivals carry
 * them), with the input's seed and size, which a user function's wrapper (or a function deployed
 * elsewhere) makes its input from.
 */
function arrivalOf(e: Execution): Arrival {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.params)) params[k] = String(v);
  params.seed = String(e.input.seed);
  params.size = String(e.input.size);
  return { seq: e.index, fn: e.fn, atUs: 0, input: e.input.id, params };
}

/**
 * A new generation's state (its perf columns: the events counted now), or the one to resume; a
 * resume that counts other perf events than the folder's columns is refused.
 */
async function openState(o: GenerateOptions, planSha256: string, perfEvents: string[]): Promise<State> {
  const path = join(o.out, STATE_FILE);
  if (!o.resume) {
    if (existsSync(o.out) && (await readdir(o.out)).length > 0) {
      throw new FaasloadError(
        'E_USAGE',
        `--out ${o.out}: the folder is not empty; use --resume to continue it, or pick a new one`,
      );
    }
    await mkdir(o.out, { recursive: true });
    return { planSha256, ...(perfEvents.length > 0 ? { perfEvents } : {}), sessions: [] };
  }
  let state: State;
  try {
    state = JSON.parse(await readFile(path, 'utf8')) as State;
  } catch (e) {
    throw new FaasloadError(
      'E_USAGE',
      `--resume: ${path}: no generation to resume here (${(e as Error).message})`,
    );
  }
  if (state.planSha256 !== planSha256) {
    throw new FaasloadError(
      'E_USAGE',
      `--resume: ${o.planPath} is not the plan ${o.out} was started with (its sha256 differs)`,
    );
  }
  const columns = state.perfEvents ?? [];
  if (perfEvents.length > 0 && perfEvents.join(',') !== columns.join(',')) {
    throw new FaasloadError(
      'E_USAGE',
      `--resume: ${o.out}'s executions have ${columns.length > 0 ? `perf columns for ${columns.join(',')}` : 'no perf columns'}; resume with ${columns.length > 0 ? `--perf-events ${columns.join(',')}` : 'no --monitor perf'}, or start a new generation`,
    );
  }
  return state;
}

async function saveState(out: string, state: State): Promise<void> {
  await writeFile(join(out, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** Parts a crash left as Arrow streams become Parquet (complete batches kept). */
async function recoverParts(dir: string, columns: readonly ColumnSpec[]): Promise<void> {
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.arrows'))) {
    const base = join(dir, file.slice(0, -'.arrows'.length));
    await arrowsToParquet(`${base}.arrows`, `${base}.parquet`, { columns });
    await rm(`${base}.arrows`);
  }
}

/** The executions that some part already holds. Two parts holding one index is an error. */
async function doneIndexes(dir: string, total: number): Promise<{ has(i: number): boolean; count: number }> {
  const seen = new Uint8Array(total);
  let count = 0;
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.parquet')).sort()) {
    for await (const batch of parquetBatches(join(dir, file), { columns: ['index'] })) {
      const column = batch.getChild('index')!;
      for (let i = 0; i < batch.numRows; i++) {
        const index = Number(column.get(i));
        if (index >= total || seen[index]) {
          throw new FaasloadError(
            'E_DATASET',
            `${join(dir, file)}: execution ${index} is ${index >= total ? 'not in the plan' : 'there twice'}`,
          );
        }
        seen[index] = 1;
        count++;
      }
    }
  }
  return { has: (i) => seen[i] === 1, count };
}

/** The generation's manifest after a session: its plan, sessions, counts and executions table. */
async function generationManifest(
  o: GenerateOptions,
  g: {
    document: unknown;
    planSha256: string;
    columns: readonly ColumnSpec[];
    state: State;
    status: 'complete' | 'stopped';
    counts: { total: number; done: number; errors: number };
  },
  run: { platform: { kind: string; address: string }; monitors: readonly string[]; seed: number },
): Promise<Manifest<'generate'>> {
  const startedAt = g.state.sessions[0]?.startedAt ?? new Date().toISOString();
  return {
    manifestVersion: MANIFEST_VERSION,
    command: 'generate',
    tool: { name: 'faasload', version: VERSION },
    runId: `${makeRunId(o.planPath, new Date(startedAt))}-gen`,
    commandLine: [...(o.commandLine ?? [])],
    config: {
      plan: o.planPath,
      platform: o.platform ?? 'local',
      resume: o.resume ?? false,
      monitors: run.monitors,
      graceMs: o.graceMs ?? GRACE_MS,
    },
    seed: run.seed,
    trace: { format: 'generate-plan', files: await traceFileFacts([o.planPath]) },
    platform: run.platform,
    host: hostFacts(),
    startedAt,
    endedAt: new Date().toISOString(),
    status: g.status,
    counts: g.counts,
    tables: {
      executions: {
        file: 'executions',
        files: 'executions/part-*.parquet',
        rows: g.counts.done,
        schemaVersion: EXECUTIONS_SCHEMA_VERSION,
        columns: g.columns,
      },
    },
    warnings: g.state.sessions.flatMap((s) => s.warnings ?? []),
    generation: { plan: { sha256: g.planSha256, document: g.document }, sessions: g.state.sessions },
  };
}
