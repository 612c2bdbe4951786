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
import type { Arrival } from '../schedule/types.js';
import { sleepUnlessAborted } from '../util/abort.js';
import { messageOf } from '../util/message.js';
import { VERSION } from '../version.js';
import { measuredCatalogCode, measuredUserCode } from './action-code.js';
import { type CountersByActivation, fillCounters, perfColumnName } from './counters.js';
import { type Execution, execution, executionCount, roundRobin } from './executions.js';
import { type FunctionPlan, type GeneratePlan, type ParamColumnType, readGeneratePlan } from './plan.js';
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

interface State {
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
  const total = executionCount(plan);
  const done = await doneIndexes(partsDir, total);
  const session = state.sessions.length + 1;
  const current: State['sessions'][number] = { session, startedAt: new Date().toISOString() };
  state.sessions.push(current);
  await saveState(o.out, state);

  const targets = functionTargets(plan);
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
    const left = total - doneCount;
    o.onProgress?.({
      done: doneCount,
      total,
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
    setTimeout(() => hard.abort(new Error('grace time over')), o.graceMs ?? 30_000).unref();
  signal.addEventListener('abort', onStop, { once: true });
  try {
    if (monitorConfig.monitors.length > 0) {
      const dir = join(o.out, 'monitors', sessionName);
      await mkdir(dir, { recursive: true });
      monitors = await startMonitors(monitorConfig, { dir, runId: sessionName, log: () => undefined });
    }
    // Actions already on the platform are not deployed (nor removed).
    await platform.deploy(
      targets.filter((t) => t.f.source.kind !== 'action').map((t) => t.spec),
      signal,
    );
    // Walks the executions in order (the turns of executionTurns(plan)): each is started when a
    // worker is free and, with a rate, not before its due time. The workers share one iterator.
    const todo = [...roundRobin(targets, (t) => t.f.runs)].filter((t) => !done.has(t.index)).entries();
    const worker = async () => {
      for (const [position, t] of todo) {
        if (signal.aborted) return;
        const spec = t.item.spec;
        if (plan.ratePerS !== undefined) {
          const dueMs = startedMs + position * (1000 / plan.ratePerS);
          const waitMs = dueMs - performance.now();
          if (waitMs > 0) await sleepUnlessAborted(waitMs, signal);
          if (signal.aborted) return; // not started: a later session runs it
        }
        const e = execution(plan, { index: t.index, at: t.at, item: t.item.f, run: t.run });
        inFlight++;
        const r: ActionInvocationResult = answering
          ? await answering.invoke(spec, arrivalOf(e), hard.signal)
          : await platform.invoke(spec, arrivalOf(e), hard.signal);
        inFlight--;
        // An execution cut by the stop did not complete: it is left for the next session.
        if (r.outcome === 'cancelled' || hard.signal.aborted) continue;
        writer.add([
          executionRow(plan, e, { tenant: spec.owner ?? 'guest', platform: platformKind }, session, r),
        ]);
        const w = activationWindow({
          activationId: r.activationId ?? null,
          instanceId: r.instanceId ?? null,
          target: spec.name,
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
        warnings.push(`monitors: ${messageOf(e)}`);
      }
    }
    const part = await writer.close();
    if (counters.size > 0 && part.rows > 0) {
      try {
        await fillCounters(join(partsDir, `${partName}.parquet`), monitorDir, columns, metadata, counters);
      } catch (e) {
        warnings.push(`executions: perf columns left null: ${messageOf(e)}`);
      }
    }
  }
  progress();
  const status = doneCount === total ? 'complete' : 'stopped';
  Object.assign(current, {
    endedAt: new Date().toISOString(),
    rows,
    status,
    monitorTables,
    warnings,
  });
  await saveState(o.out, state);
  await writeManifest(o.out, document, planSha256, columns, state, {
    status,
    total: total,
    done: doneCount,
    errors,
  });
  return { out: o.out, session, status, total: total, rows, done: doneCount, errors };
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
    warnings.push(`invocation_counters not written: ${messageOf(e)}`);
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
 * Each plan function with its spec: its measured action (catalog or folder), or the name of an
 * existing action; its tenant (FaaSLoad ran one user per function).
 */
function functionTargets(plan: GeneratePlan): { f: FunctionPlan; spec: FunctionSpec }[] {
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
      // Every parameter has its column (parsePlanDocument makes one per name).
      for (const name of [...Object.keys(f.params), ...f.settings.flatMap((s) => Object.keys(s))]) {
        const type = types.get(name);
        if (type !== undefined) paramTypes[name] = type;
      }
      spec.action = { code: measuredUserCode(f.source.code, f.inputs.generator, paramTypes), main: 'main' };
    }
    return { f, spec };
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
    throw new FaasloadError('E_USAGE', `--resume: ${path}: no generation to resume here (${messageOf(e)})`);
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
      const column = batch.getChild('index');
      if (column === null)
        throw new FaasloadError('E_DATASET', `${join(dir, file)}: a part without an index column`);
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

async function writeManifest(
  out: string,
  plan: unknown,
  planSha256: string,
  columns: readonly ColumnSpec[],
  state: State,
  facts: { status: string; total: number; done: number; errors: number },
): Promise<void> {
  const manifest = {
    tool: { name: 'faasload', version: VERSION },
    kind: 'generation',
    plan: { sha256: planSha256, document: plan },
    ...facts,
    sessions: state.sessions,
    tables: {
      executions: {
        files: 'executions/part-*.parquet',
        schemaVersion: EXECUTIONS_SCHEMA_VERSION,
        columns,
      },
    },
  };
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}
