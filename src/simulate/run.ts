import { join, relative } from 'node:path';
import type { ColumnSpec } from '../dataset/columns.js';
import {
  hostFacts,
  MANIFEST_VERSION,
  type Manifest,
  traceFileFacts,
  writeManifest,
} from '../dataset/manifest.js';
import { type Row, TableWriter } from '../dataset/table-writer.js';
import { FaasloadError } from '../errors.js';
import { DEFAULT_MEMORY_CLASSES_MB } from '../platforms/local/capacity-rules.js';
import { memoryClassProblems } from '../platforms/local/memory.js';
import {
  defaultMaxStarting,
  defaultPoolMemoryMb,
  LOCAL_PLATFORM_DEFAULTS,
} from '../platforms/local/options.js';
import { loadPlan, type TracePlanOptions } from '../run/load-plan.js';
import { functionSpecs } from '../run/names.js';
import { createRunDir, makeRunId } from '../run/run-dir.js';
import type { ResolvedPlanOptions } from '../schedule/plan.js';
import { DEFAULT_DUPLICATE_POLICY, type DuplicatePolicy } from '../trace/types.js';
import { VERSION } from '../version.js';
import type { DagShapeSpec } from '../workflow/index.js';
import {
  CALIBRATION_COLUMNS,
  type RunCalibration,
  type RunCapacity,
  readRunCalibration,
} from './calibrate.js';
import { policyFigures, writePolicyFigures } from './figures.js';
import {
  BatchResults,
  MODEL_DEFAULTS,
  type ModelOptions,
  type SimulationModel,
  type SimulationUnits,
  Simulator,
  simulationUnits,
  type UnitKind,
} from './model.js';
import { PlatformSimulator } from './platform-model.js';
import { fixedKeepAlive, type KeepAlivePolicy } from './policy.js';
import { parsePolicy } from './registry.js';
import {
  appPercentages,
  appRows,
  appStats,
  cdfPoints,
  functionRows,
  type PolicySummary,
  policySummaries,
  SIM_APP_COLUMNS,
  SIM_CDF_COLUMNS,
  SIM_FUNCTION_COLUMNS,
  SIM_INVOCATION_COLUMNS,
  SIM_POLICY_COLUMNS,
  SIM_SCHEMA_VERSION,
  summaryRow,
} from './tables.js';
import { GroupWindow } from './window.js';
import {
  expandWorkflows,
  LocalWorkflowDriver,
  runWorkflowsIdeal,
  SIM_WORKFLOW_COLUMNS,
  SIM_WORKFLOW_STEPS_COLUMNS,
  type WorkflowSummary,
  workflowTables,
} from './workflows.js';

/** One simulation: what to plan (as replay), which policies, the model's costs, the outputs. */
/** Which platform simulate models (SimulateOptions.platformModel). */
export type PlatformModelKind = 'ideal' | 'local';

export interface SimulateOptions extends Partial<TracePlanOptions> {
  /** Policy specs (`fixed:10m`, `no-unload`, `hybrid`, ...) or policy objects; default fixed:10m. */
  policies?: readonly (string | KeepAlivePolicy)[];
  unit?: UnitKind;
  /**
   * The platform modelled: 'ideal' (instances per unit, nothing shared across units: the
   * literature's model) or 'local' (the embedded platform's capacity rules: see
   * platform-model.ts). Default: 'local' with `calibrate` naming a run on the embedded platform,
   * else 'ideal'.
   */
  platformModel?: PlatformModelKind;
  /** platformModel local: as the embedded platform's options (default: the run's, or its defaults). */
  memoryClassesMb?: readonly number[];
  poolMemoryMb?: number;
  maxStarting?: number;
  /** platformModel local: how long an invocation may wait for an instance (the platform's invocation timeout). */
  waitTimeoutMs?: number;
  /** platformModel local: the runtime whose default start slots apply. Default process (or the run's). */
  runtime?: 'process' | 'docker';
  coldStartMs?: number;
  execOverheadMs?: number;
  concurrency?: number;
  /** Instances at most: per unit (ideal), or all functions together (local, default 64). */
  maxInstances?: number;
  defaultMemoryMb?: number;
  defaultDurationMs?: number;
  /** Write the per-invocation table (one row per invocation and policy). Default true. */
  invocations?: boolean;
  /** Draw the policy figures into <dir>/figures (SVG, CSV, Vega-Lite). Default true. */
  figures?: boolean;
  /**
   * A replay's run folder: take the cold-start and execution costs from its dataset, and (when
   * no trace is given) its trace and plan; compare its cold starts with the simulation's.
   */
  calibrate?: string;
  /**
   * With calibrate and the local platform model: 'measured' (default) feeds the model the run's
   * own timing of each invocation (arrival with its lateness, execution, init of its cold start),
   * so that only the platform's rules are compared; 'plan' takes the plan's times and the run's
   * median costs, a prediction.
   */
  calibrateTiming?: 'measured' | 'plan';
  /**
   * --dag / --dag-shape: each planned invocation is a workflow (src/workflow, as replay expands
   * it), each step an invocation of its own function (workflows.ts). Writes workflows.parquet and
   * workflow_steps.parquet instead of invocations.parquet.
   */
  dag?: DagShapeSpec;
  out?: string;
  resultsDir?: string;
  commandLine?: readonly string[];
  log?: (line: string) => void;
}

export interface CalibrationComparison {
  run: string;
  policy: string;
  coldStartMs: number;
  execOverheadMs: number;
  measuredInvocations: number;
  measuredColdStarts: number;
  measuredShare: number;
  simulatedInvocations: number;
  simulatedColdStarts: number;
  simulatedShare: number;
  /** Mean over the functions in both of |simulated share - measured share|. */
  meanAbsShareError: number;
  functionsCompared: number;
  /** Functions the run answered whose simulated cold starts equal the measured ones, and their share. */
  functionsSameCount: number;
  sameCountShare: number;
  /** (simulated - measured) / measured cold starts. */
  coldStartError: number;
}

/**
 * A simulation's configuration as its manifest records it: what it planned (as replay), the
 * policies, the unit, the platform model and its costs.
 */
export type SimulateConfig = { [K in keyof TracePlanOptions]: TracePlanOptions[K] } & {
  kind: 'simulate';
  onDuplicate: DuplicatePolicy;
  plan: ResolvedPlanOptions;
  policies: string[];
  unit: UnitKind;
  platformModel: PlatformModelKind;
  /** The model's costs; infinite caps as null (instances) or 'inf' (concurrency); the local model's capacity. */
  model: Omit<ModelOptions, 'horizonUs' | 'maxInstances' | 'concurrency'> & {
    maxInstances: number | null;
    concurrency: number | 'inf';
  } & Partial<Omit<RunCapacity, 'maxInstances'>>;
  horizonUs: number;
  dag?: DagShapeSpec;
  calibrate?: string;
  calibrateTiming?: 'measured' | 'plan';
};

/** What a simulation's manifest says of it (`simulation`). */
export interface SimulationFacts {
  simulateSeconds: number;
  /** Invocations times policies, per second of simulation. */
  invocationsPerSecond: number;
  policies: PolicySummary[];
  missingDurations: number;
  missingMemory: number;
  calibration?: CalibrationComparison;
  workflows?: (WorkflowSummary & { policy: string })[];
}

export interface SimulateResult {
  dir: string;
  manifest: Manifest<'simulate'>;
  policies: PolicySummary[];
  invocations: number;
  functions: number;
  /** Seconds spent simulating (planning included, outputs not). */
  simulateSeconds: number;
  calibration?: CalibrationComparison;
  /** With dag: per policy, its workflows' summary. */
  workflows?: (WorkflowSummary & { policy: string })[];
}

/**
 * Plans a trace as replay would and runs the plan through the platform model once per policy
 * (all policies in one pass over the plan), then writes <dir>/functions.parquet, apps.parquet,
 * policies.parquet, app_cold_start_cdf.parquet, invocations.parquet (unless invocations: false),
 * calibration.parquet (with calibrate), figures/ (the paper's two policy figures) and
 * manifest.json.
 */
export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const log = options.log ?? (() => {});
  const startedAt = new Date();
  let calibration: RunCalibration | undefined;
  let planOptions: TracePlanOptions;
  if (options.calibrate !== undefined) {
    calibration = await readRunCalibration(options.calibrate);
    planOptions = options.trace !== undefined ? planOnly(options) : calibration.plan;
  } else {
    if (options.trace === undefined)
      throw new FaasloadError('E_USAGE', 'simulate: name a trace (or --calibrate RUN)');
    planOptions = planOnly(options);
  }
  const policies = (
    options.policies && options.policies.length > 0
      ? options.policies
      : [
          calibration?.keepAliveMs !== undefined
            ? fixedKeepAlive(calibration.keepAliveMs * 1000)
            : 'fixed:10m',
        ]
  ).map((p) => (typeof p === 'string' ? parsePolicy(p) : p));
  const names = new Set<string>();
  for (const p of policies) {
    if (names.has(p.name)) throw new FaasloadError('E_USAGE', `--policy ${p.name} is given twice`);
    names.add(p.name);
  }
  const unit = options.unit ?? 'function';
  if (options.dag && (calibration || unit !== 'function')) {
    throw new FaasloadError(
      'E_USAGE',
      '--dag/--dag-shape simulate each step as a function of its own: use --unit function, without --calibrate',
    );
  }
  if (calibration && unit !== 'function') {
    throw new FaasloadError('E_USAGE', '--calibrate compares functions with a real run: use --unit function');
  }
  const platformModel = options.platformModel ?? (calibration?.capacity ? 'local' : 'ideal');
  const capacity = platformModel === 'local' ? localCapacity(options, calibration) : undefined;
  if (capacity) validateLocal(options, unit, capacity);
  const coldStartMs =
    options.coldStartMs ??
    (calibration && !Number.isNaN(calibration.coldStartMs) ? calibration.coldStartMs : undefined);
  const model: Omit<ModelOptions, 'horizonUs'> = {
    ...MODEL_DEFAULTS,
    ...defined({
      coldStartMs,
      execOverheadMs: options.execOverheadMs ?? calibration?.execOverheadMs,
      concurrency: options.concurrency,
      maxInstances: options.maxInstances,
      defaultMemoryMb: options.defaultMemoryMb,
      defaultDurationMs: options.defaultDurationMs,
    }),
  };
  validateModel(model);

  const { trace, plan } = await loadPlan(planOptions);
  const workflows = options.dag
    ? expandWorkflows(plan.functions, functionSpecs(plan.functions), options.dag, planOptions.seed ?? 1)
    : undefined;
  /** What the model simulates: the plan's functions, or with workflows their step functions. */
  const simFunctions = workflows?.stepFunctions ?? plan.functions;
  const units = simulationUnits(simFunctions, unit);
  const horizonUs = plan.spanUs;
  // Measured timing is indexed by seq, which is the plan position only for an unsharded run.
  const measuredTiming =
    calibration && (options.calibrateTiming ?? 'measured') === 'measured' && planOptions.shard === undefined
      ? calibration.measured
      : undefined;
  const drivers = workflows
    ? policies.map(() => new LocalWorkflowDriver(workflows, model.coldStartMs * 1000))
    : [];
  const platformSims =
    platformModel === 'local'
      ? policies.map(
          (p, k) =>
            new PlatformSimulator(p, units, {
              ...capacity!,
              functionMemoryMb: workflows
                ? workflows.stepMemoryMb
                : functionSpecs(plan.functions).map((f) => f.memoryMb),
              coldStartMs: model.coldStartMs,
              execOverheadMs: model.execOverheadMs,
              defaultDurationMs: model.defaultDurationMs,
              horizonUs,
              record: workflows !== undefined || (options.invocations ?? true),
              ...(drivers[k] ? { onStarted: drivers[k].onStarted } : {}),
              waitTimeoutMs: capacity!.waitTimeoutMs,
              ...(measuredTiming ? { measured: measuredTiming } : {}),
            }),
        )
      : [];
  const idealSims =
    platformModel === 'local' ? [] : policies.map((p) => new Simulator(p, units, { ...model, horizonUs }));
  const sims: SimulationModel[] = platformModel === 'local' ? platformSims : idealSims;
  const planOrder = platformModel === 'local';
  const runId = `${makeRunId(planOptions.trace, startedAt)}-sim`;
  const dir = await createRunDir(options.out, options.resultsDir ?? 'results', runId);
  const warnings = [...(trace.warnings ?? []), ...(calibration?.warnings ?? [])];
  const manifest: Manifest<'simulate'> = {
    manifestVersion: MANIFEST_VERSION,
    command: 'simulate',
    tool: { name: 'faasload', version: VERSION },
    runId,
    commandLine: [...(options.commandLine ?? [])],
    config: {
      kind: 'simulate',
      ...planOptions,
      onDuplicate: planOptions.onDuplicate ?? DEFAULT_DUPLICATE_POLICY,
      plan: plan.options,
      policies: policies.map((p) => p.name),
      unit,
      platformModel,
      model: {
        ...model,
        maxInstances: Number.isFinite(model.maxInstances) ? model.maxInstances : null,
        concurrency: Number.isFinite(model.concurrency) ? model.concurrency : 'inf',
        ...(capacity ?? {}),
      },
      horizonUs,
      ...(options.dag ? { dag: options.dag } : {}),
      ...(options.calibrate !== undefined
        ? { calibrate: options.calibrate, calibrateTiming: options.calibrateTiming ?? 'measured' }
        : {}),
    },
    seed: planOptions.seed ?? 1,
    trace: { format: trace.format, files: await traceFileFacts(trace.files) },
    platform: { kind: 'simulated', address: '' },
    host: hostFacts(),
    startedAt: startedAt.toISOString(),
    status: 'failed',
    counts: { functions: plan.functions.length, units: units.units, groups: units.groupNames.length },
    tables: {},
    warnings,
  };
  await writeManifest(dir, manifest);
  // Offline: the simulation waits for the disk (writable()) instead of failing when it outruns it.
  const writerOf = (name: string, columns: readonly ColumnSpec[]) =>
    new TableWriter({
      dir,
      name,
      columns,
      metadata: { 'faasload.schema_version': SIM_SCHEMA_VERSION, 'faasload.run_id': runId },
      whenBehind: 'wait',
    });

  const ids = simFunctions.map((f) => f.id);
  const perInvocation =
    !workflows && (options.invocations ?? true) ? writerOf('invocations', SIM_INVOCATION_COLUMNS) : undefined;
  const workflowTablesOf: ReturnType<typeof workflowTables>[] = [];
  const results = new BatchResults();
  const rows: Row[] = [];
  let count = 0;
  log(
    `simulating ${plan.functions.length} functions (${units.units} units, ${units.groupNames.length} groups) under ${policies.map((p) => p.name).join(', ')} -> ${dir}`,
  );
  const t0 = performance.now();
  let written = false;
  try {
    const window = new GroupWindow(units.groupOfFunction, units.groupNames.length);
    /** One window's results of one policy, back in plan order (per-invocation table only). */
    const inPlanOrder = new BatchResults();
    /** One policy's results of the window, in plan order, to the per-invocation table. */
    const writeRows = async (sim: SimulationModel, r: BatchResults) => {
      if (!perInvocation) return;
      const n = window.length;
      for (let from = 0; from < n; from += ROWS_PER_ADD) {
        const to = Math.min(n, from + ROWS_PER_ADD);
        for (let k = from; k < to; k++) {
          let row = rows[k - from];
          if (row === undefined) {
            row = {};
            rows[k - from] = row;
          }
          row.policy = sim.policy.name;
          row.seq = window.seq + k;
          row.function = ids[window.fn[k]!];
          row.scheduled_us = window.atUs[k];
          row.cold_start = r.cold[k] === 1;
          row.wait_ms = r.waitUs[k]! / 1000;
          row.exec_ms = r.execUs[k]! / 1000;
          row.instance_id = r.instance[k];
        }
        rows.length = to - from;
        perInvocation.add(rows);
        await perInvocation.writable();
      }
    };
    const runWindow = async () => {
      if (window.length === 0) return;
      const n = window.length;
      if (planOrder) {
        // Functions interact: plan order; results are read back in a second pass (below).
        for (const sim of platformSims)
          sim.run(window.fn, window.atUs, window.durationMs, window.memoryMb, n);
        count += n;
        window.clear();
        return;
      }
      window.sortByGroup();
      const s = window.sorted;
      for (const sim of sims) {
        sim.run(s.fn, s.atUs, s.durationMs, s.memoryMb, n, perInvocation ? results : undefined);
        if (!perInvocation) continue;
        inPlanOrder.reserve(n);
        for (let k = 0; k < n; k++) {
          const at = s.position[k]!;
          inPlanOrder.cold[at] = results.cold[k]!;
          inPlanOrder.waitUs[at] = results.waitUs[k]!;
          inPlanOrder.execUs[at] = results.execUs[k]!;
          inPlanOrder.instance[at] = results.instance[k]!;
        }
        await writeRows(sim, inPlanOrder);
      }
      count += n;
      window.clear();
    };
    if (workflows) {
      // Each policy's own pass over the plan (it is pure): its timings decide when steps arrive.
      for (let k = 0; k < sims.length; k++) {
        const sim = sims[k]!;
        const outcome =
          platformModel === 'local'
            ? drivers[k]!.run(platformSims[k]!, plan.arrivals())
            : runWorkflowsIdeal(idealSims[k]!, workflows, plan.arrivals(), model.coldStartMs * 1000);
        count += outcome.arrivals.length;
        workflowTablesOf.push(workflowTables(sim.policy.name, workflows, outcome));
      }
    } else {
      for (const b of plan.batches({ reuse: true })) {
        window.add(b);
        if (window.full) await runWindow();
      }
      await runWindow();
    }
    for (const sim of sims) sim.finish();
    if (planOrder && perInvocation) {
      // The plan again (it is pure), each window's rows with the results kept by the models.
      let done = 0;
      const flush = async () => {
        for (const sim of platformSims) {
          sim.resultsOf(done, window.length, inPlanOrder);
          await writeRows(sim, inPlanOrder);
        }
        done += window.length;
        window.clear();
      };
      for (const b of plan.batches({ reuse: true })) {
        window.add(b);
        if (window.full) await flush();
      }
      if (window.length > 0) await flush();
    }
    const simulateSeconds = (performance.now() - t0) / 1000;
    log(`simulated ${count} invocations x ${sims.length} policies in ${simulateSeconds.toFixed(1)} s`);

    const apps = sims.map((s) => appStats(s, units));
    const summaries = policySummaries(sims, apps);
    const unitNames = unit === 'app' ? units.groupNames : ids;
    const tables: [string, readonly ColumnSpec[], Row[]][] = [
      ['functions', SIM_FUNCTION_COLUMNS, sims.flatMap((s) => functionRows(s, units, unitNames))],
      ['apps', SIM_APP_COLUMNS, sims.flatMap((s, i) => appRows(s.policy.name, apps[i]!, units.groupNames))],
      [
        'app_cold_start_cdf',
        SIM_CDF_COLUMNS,
        sims.flatMap((s, i) =>
          cdfPoints(appPercentages(apps[i]!)).map(([pct, fraction]) => ({
            policy: s.policy.name,
            cold_start_pct: pct,
            apps_fraction: fraction,
          })),
        ),
      ],
      ['policies', SIM_POLICY_COLUMNS, summaries.map(summaryRow)],
    ];
    if (workflows) {
      tables.push(
        ['workflows', SIM_WORKFLOW_COLUMNS, workflowTablesOf.flatMap((t) => t.workflowRows)],
        ['workflow_steps', SIM_WORKFLOW_STEPS_COLUMNS, workflowTablesOf.flatMap((t) => t.stepRows)],
      );
    }
    let comparison: CalibrationComparison | undefined;
    if (calibration) {
      const c = compare(calibration, sims[0]!, units, ids, model);
      comparison = c.comparison;
      tables.push(['calibration', CALIBRATION_COLUMNS, c.rows]);
    }
    written = true;
    if (perInvocation) await addTable(manifest, 'invocations', SIM_INVOCATION_COLUMNS, perInvocation);
    for (const [name, columns, tableRows] of tables) {
      const w = writerOf(name, columns);
      w.add(tableRows);
      await addTable(manifest, name, columns, w);
    }
    manifest.counts = { ...manifest.counts, invocations: count, policies: sims.length };
    if (workflows) {
      // Per policy (each policy simulates the same workflows and steps).
      manifest.counts.workflows = workflowTablesOf[0]?.summary.workflows ?? 0;
      manifest.counts.steps = workflowTablesOf[0]?.summary.steps ?? 0;
    }
    manifest.simulation = {
      simulateSeconds,
      invocationsPerSecond: (count * sims.length) / simulateSeconds,
      policies: summaries,
      missingDurations: sims[0]?.missingDurations ?? 0,
      missingMemory: sims[0]?.missingMemory ?? 0,
      ...(comparison ? { calibration: comparison } : {}),
      ...(workflows ? { workflows: workflowSummaries(sims, workflowTablesOf) } : {}),
    };
    if ((sims[0]?.missingDurations ?? 0) > 0) {
      warnings.push(
        `${sims[0]!.missingDurations} invocations had no duration: ${model.defaultDurationMs} ms taken`,
      );
    }
    if ((sims[0]?.missingMemory ?? 0) > 0) {
      warnings.push(`${sims[0]!.missingMemory} invocations had no memory: ${model.defaultMemoryMb} MB taken`);
    }
    if (calibration && platformModel === 'local' && planOptions.shard !== undefined) {
      warnings.push("the run is a shard: the plan's timing and the run's median costs are used");
    }
    if (calibration?.maxInstances !== undefined && platformModel === 'ideal') {
      warnings.push(
        `the calibration run capped instances at ${calibration.maxInstances} over all functions; the model has no cap across functions`,
      );
    }
    if (options.figures ?? true) {
      // Drawn from the tables already written: a failure here loses no data, it is a warning.
      try {
        const svgs = await writePolicyFigures(
          join(dir, 'figures'),
          policyFigures(
            sims.map((x) => x.policy.name),
            apps,
            summaries,
          ),
        );
        manifest.figures = svgs.map((f) => relative(dir, f));
      } catch (err) {
        warnings.push(`the figures could not be drawn: ${(err as Error).message}`);
      }
    }
    manifest.status = 'complete';
    manifest.endedAt = new Date().toISOString();
    await writeManifest(dir, manifest);
    const result: SimulateResult = {
      dir,
      manifest,
      policies: summaries,
      invocations: count,
      functions: plan.functions.length,
      simulateSeconds,
    };
    if (comparison) result.calibration = comparison;
    if (workflows) result.workflows = workflowSummaries(sims, workflowTablesOf);
    return result;
  } finally {
    if (!written && perInvocation) {
      // Keep what was streamed (an .arrows file) and say how the run ended.
      await perInvocation.close().catch(() => {});
      manifest.endedAt = new Date().toISOString();
      await writeManifest(dir, manifest).catch(() => {});
    }
  }
}

function workflowSummaries(
  sims: readonly SimulationModel[],
  tables: readonly ReturnType<typeof workflowTables>[],
): (WorkflowSummary & { policy: string })[] {
  return tables.map((t, k) => ({ policy: sims[k]!.policy.name, ...t.summary }));
}

/** Rows handed to the per-invocation table at once. */
const ROWS_PER_ADD = 8192;

async function addTable(
  manifest: Manifest<'simulate'>,
  name: string,
  columns: readonly ColumnSpec[],
  w: TableWriter,
): Promise<void> {
  const t = await w.close();
  manifest.tables[name] = {
    file: t.file,
    rows: t.rows,
    schemaVersion: SIM_SCHEMA_VERSION,
    columns: columns.map(({ name, kind, nullable, doc }) => ({ name, kind, nullable, doc })),
  };
}

function compare(
  cal: RunCalibration,
  sim: SimulationModel,
  units: SimulationUnits,
  ids: readonly string[],
  model: Omit<ModelOptions, 'horizonUs'>,
): { comparison: CalibrationComparison; rows: Row[] } {
  const rows: Row[] = [];
  let errSum = 0;
  let compared = 0;
  let simInv = 0;
  let simCold = 0;
  let same = 0;
  ids.forEach((id, fn) => {
    const u = units.unitOf[fn]!;
    const inv = sim.invocations[u]!;
    const cold = sim.coldStarts[u]!;
    simInv += inv;
    simCold += cold;
    const [mInv, mCold] = cal.perFunction.get(id) ?? [0, 0];
    const mShare = mInv > 0 ? mCold / mInv : null;
    const sShare = inv > 0 ? cold / inv : null;
    if (mShare !== null && sShare !== null) {
      errSum += Math.abs(sShare - mShare);
      compared++;
      if (mCold === cold) same++;
    }
    rows.push({
      function: id,
      measured_invocations: mInv,
      measured_cold_starts: mCold,
      measured_share: mShare,
      simulated_invocations: inv,
      simulated_cold_starts: cold,
      simulated_share: sShare,
    });
  });
  return {
    rows,
    comparison: {
      run: cal.run,
      policy: sim.policy.name,
      coldStartMs: model.coldStartMs,
      execOverheadMs: model.execOverheadMs,
      measuredInvocations: cal.measuredInvocations,
      measuredColdStarts: cal.measuredColdStarts,
      measuredShare: cal.measuredColdStarts / cal.measuredInvocations,
      simulatedInvocations: simInv,
      simulatedColdStarts: simCold,
      simulatedShare: simInv > 0 ? simCold / simInv : 0,
      meanAbsShareError: compared > 0 ? errSum / compared : 0,
      functionsCompared: compared,
      functionsSameCount: same,
      sameCountShare: compared > 0 ? same / compared : 0,
      coldStartError:
        cal.measuredColdStarts > 0 ? (simCold - cal.measuredColdStarts) / cal.measuredColdStarts : 0,
    },
  };
}

/** The options that read and plan the trace (what the manifest records as the plan's input). */
function planOnly(o: SimulateOptions): TracePlanOptions {
  const {
    policies: _policies,
    unit: _unit,
    coldStartMs: _cold,
    execOverheadMs: _overhead,
    concurrency: _concurrency,
    maxInstances: _max,
    defaultMemoryMb: _memory,
    defaultDurationMs: _duration,
    invocations: _invocations,
    platformModel: _platformModel,
    memoryClassesMb: _classes,
    poolMemoryMb: _pool,
    maxStarting: _starting,
    waitTimeoutMs: _waitTimeout,
    runtime: _runtime,
    figures: _figures,
    calibrate: _calibrate,
    calibrateTiming: _timing,
    dag: _dag,
    out: _out,
    resultsDir: _results,
    commandLine: _commandLine,
    log: _log,
    ...plan
  } = o;
  return plan as TracePlanOptions;
}

/** The capacity rules of the modelled embedded platform: given, else the run's, else its defaults. */
function localCapacity(o: SimulateOptions, cal: RunCalibration | undefined): RunCapacity {
  const c = cal?.capacity;
  const runtime = o.runtime ?? c?.runtime ?? LOCAL_PLATFORM_DEFAULTS.runtime;
  return {
    runtime,
    memoryClassesMb: [...(o.memoryClassesMb ?? c?.memoryClassesMb ?? DEFAULT_MEMORY_CLASSES_MB)],
    poolMemoryMb: o.poolMemoryMb ?? c?.poolMemoryMb ?? defaultPoolMemoryMb(),
    maxStarting: o.maxStarting ?? c?.maxStarting ?? defaultMaxStarting(runtime),
    maxInstances: o.maxInstances ?? c?.maxInstances ?? LOCAL_PLATFORM_DEFAULTS.maxInstances,
    waitTimeoutMs: o.waitTimeoutMs ?? c?.waitTimeoutMs ?? LOCAL_PLATFORM_DEFAULTS.invokeTimeoutMs,
  };
}

/** The embedded platform runs one execution per instance, instances per function. */
function validateLocal(o: SimulateOptions, unit: UnitKind, c: RunCapacity): void {
  const problems: string[] = [];
  if (unit !== 'function')
    problems.push('--platform-model local has instances per function: use --unit function');
  if (o.concurrency !== undefined && o.concurrency !== 1)
    problems.push('--platform-model local runs one execution per instance: use --concurrency 1');
  for (const [flag, v] of [
    ['--pool-memory', c.poolMemoryMb],
    ['--max-starting', c.maxStarting],
    ['--max-instances', c.maxInstances],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 1)) problems.push(`${flag} must be a positive integer, got ${v}`);
  }
  problems.push(...memoryClassProblems(c.memoryClassesMb));
  if (problems.length > 0) throw new FaasloadError('E_USAGE', problems.join('\n'));
}

function validateModel(m: Omit<ModelOptions, 'horizonUs'>): void {
  const problems: string[] = [];
  if (!(m.coldStartMs >= 0)) problems.push(`--cold-start must be >= 0, got ${m.coldStartMs} ms`);
  if (!(m.execOverheadMs >= 0)) problems.push(`--exec-overhead must be >= 0, got ${m.execOverheadMs} ms`);
  if (
    !((Number.isInteger(m.concurrency) || m.concurrency === Number.POSITIVE_INFINITY) && m.concurrency >= 1)
  ) {
    problems.push(`--concurrency must be an integer >= 1 or inf, got ${m.concurrency}`);
  }
  if (!(m.maxInstances >= 1)) problems.push(`--max-instances must be >= 1, got ${m.maxInstances}`);
  if (!(m.defaultMemoryMb > 0)) problems.push(`--default-memory must be > 0, got ${m.defaultMemoryMb}`);
  if (!(m.defaultDurationMs >= 0))
    problems.push(`the default duration must be >= 0, got ${m.defaultDurationMs}`);
  if (problems.length > 0) throw new FaasloadError('E_USAGE', problems.join('\n'));
}

function defined<T extends Record<string, unknown>>(
  o: T,
): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}
