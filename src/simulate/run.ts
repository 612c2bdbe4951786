/**
 * simulate(): a short pipeline of named steps. Resolve the options (options.ts), read and plan
 * the trace, build the models (models.ts), open the run folder and write the first manifest, run
 * the plan through the models (pass.ts), write what was found (findings.ts), close the manifest.
 */
import type { ColumnSpec } from '../dataset/columns.js';
import { type Manifest, traceFileFacts, writeManifest } from '../dataset/manifest.js';
import type { TableWriter } from '../dataset/table-writer.js';
import type { TracePlanOptions } from '../run/load-plan.js';
import { loadPlan } from '../run/load-plan.js';
import { functionSpecs } from '../run/names.js';
import { finishManifest, startManifest } from '../run/steps/manifest.js';
import { openRunFolder } from '../run/steps/run-folder.js';
import { closeTable, openTable, writeTable } from '../run/steps/tables.js';
import type { Plan, ResolvedPlanOptions } from '../schedule/plan.js';
import { DEFAULT_DUPLICATE_POLICY, type DuplicatePolicy, type Trace } from '../trace/types.js';
import type { DagShapeSpec } from '../workflow/index.js';
import type { RunCapacity } from './calibrate.js';
import {
  drawFigures,
  type Findings,
  findings,
  simulationFacts,
  simulationWarnings,
  workflowSummaries,
} from './findings.js';
import type { ModelOptions, UnitKind } from './model.js';
import type { Models } from './models.js';
import { buildModels } from './models.js';
import {
  type PlatformModelKind,
  resolveSimulation,
  type SimulateOptions,
  type Simulation,
} from './options.js';
import { simulatePass } from './pass.js';
import { type PolicySummary, SIM_INVOCATION_COLUMNS, SIM_SCHEMA_VERSION } from './tables.js';
import { expandWorkflows, type WorkflowSummary } from './workflows.js';

export type { PlatformModelKind, SimulateOptions } from './options.js';

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
  const s = await resolveSimulation(options);
  const { trace, plan } = await loadPlan(s.planOptions);
  const workflows = options.dag
    ? expandWorkflows(plan.functions, functionSpecs(plan.functions), options.dag, s.planOptions.seed ?? 1)
    : undefined;
  const m = buildModels(s, options, plan, workflows);
  const run = await openRunFolder({
    trace: s.planOptions.trace,
    startedAt: s.startedAt,
    out: options.out,
    resultsDir: options.resultsDir ?? 'results',
    suffix: '-sim',
  });
  const manifest = simulateManifest(s, options, run.runId, trace, await traceFileFacts(trace.files), plan, m);
  await writeManifest(run.dir, manifest);
  const perInvocation =
    !workflows && (options.invocations ?? true)
      ? openTable(run, 'invocations', SIM_INVOCATION_COLUMNS, SIM_SCHEMA_VERSION, OFFLINE)
      : undefined;
  s.log(
    `simulating ${plan.functions.length} functions (${m.units.units} units, ${m.units.groupNames.length} groups) under ${s.policies.map((p) => p.name).join(', ')} -> ${run.dir}`,
  );
  const t0 = performance.now();
  let written = false;
  try {
    const pass = await simulatePass(s, plan, m, workflows, perInvocation);
    const simulateSeconds = (performance.now() - t0) / 1000;
    s.log(
      `simulated ${pass.count} invocations x ${m.sims.length} policies in ${simulateSeconds.toFixed(1)} s`,
    );
    const found = findings(s, m, pass, workflows !== undefined);
    written = true;
    await writeFindings(run, manifest, perInvocation, found.tables);
    manifest.counts = { ...manifest.counts, invocations: pass.count, policies: m.sims.length };
    if (workflows) {
      // Per policy (each policy simulates the same workflows and steps).
      manifest.counts.workflows = pass.workflowTablesOf[0]?.summary.workflows ?? 0;
      manifest.counts.steps = pass.workflowTablesOf[0]?.summary.steps ?? 0;
    }
    manifest.simulation = simulationFacts(m, pass, found, simulateSeconds, workflows !== undefined);
    manifest.warnings.push(...simulationWarnings(s, m));
    if (options.figures ?? true) await drawFigures(run.dir, m, found, manifest);
    manifest.status = 'complete';
    await finishManifest(run.dir, manifest);
    const result: SimulateResult = {
      dir: run.dir,
      manifest,
      policies: found.summaries,
      invocations: pass.count,
      functions: plan.functions.length,
      simulateSeconds,
    };
    if (found.comparison) result.calibration = found.comparison;
    if (workflows) result.workflows = workflowSummaries(m.sims, pass.workflowTablesOf);
    return result;
  } finally {
    if (!written && perInvocation) {
      // Keep what was streamed (an .arrows file) and say how the run ended.
      await perInvocation.close().catch(() => {});
      manifest.endedAt = new Date().toISOString();
      await writeManifest(run.dir, manifest).catch(() => {});
    }
  }
}

/** The per-invocation table closed, then the tables of the findings written, into the manifest. */
async function writeFindings(
  run: { dir: string; runId: string },
  manifest: Manifest<'simulate'>,
  perInvocation: TableWriter | undefined,
  tables: Findings['tables'],
): Promise<void> {
  if (perInvocation)
    manifest.tables.invocations = await closeTable(
      perInvocation,
      SIM_SCHEMA_VERSION,
      described(SIM_INVOCATION_COLUMNS),
    );
  for (const [name, columns, rows] of tables) {
    const fact = await writeTable(run, name, columns, SIM_SCHEMA_VERSION, rows, OFFLINE);
    manifest.tables[name] = { ...fact, columns: described(columns) };
  }
}

/** Offline: the simulation waits for the disk (writable()) instead of failing when it outruns it. */
const OFFLINE = { whenBehind: 'wait' } as const;

/** Columns as a simulation's manifest lists them. */
function described(columns: readonly ColumnSpec[]): Manifest['tables'][string]['columns'] {
  return columns.map(({ name, kind, nullable, doc }) => ({ name, kind, nullable, doc }));
}

/** The simulation's first manifest: its resolved config, the plan, the models' units. */
function simulateManifest(
  s: Simulation,
  options: SimulateOptions,
  runId: string,
  trace: Trace,
  traceFiles: Manifest['trace']['files'],
  plan: Plan,
  m: Models,
): Manifest<'simulate'> {
  const { planOptions, model, capacity } = s;
  return startManifest({
    command: 'simulate',
    runId,
    commandLine: options.commandLine,
    config: {
      kind: 'simulate',
      ...planOptions,
      onDuplicate: planOptions.onDuplicate ?? DEFAULT_DUPLICATE_POLICY,
      plan: plan.options,
      policies: s.policies.map((p) => p.name),
      unit: s.unit,
      platformModel: s.platformModel,
      model: {
        ...model,
        maxInstances: Number.isFinite(model.maxInstances) ? model.maxInstances : null,
        concurrency: Number.isFinite(model.concurrency) ? model.concurrency : 'inf',
        ...(capacity ?? {}),
      },
      horizonUs: m.horizonUs,
      ...(options.dag ? { dag: options.dag } : {}),
      ...(options.calibrate !== undefined
        ? { calibrate: options.calibrate, calibrateTiming: options.calibrateTiming ?? 'measured' }
        : {}),
    },
    seed: planOptions.seed ?? 1,
    trace: { format: trace.format, files: traceFiles },
    platform: { kind: 'simulated', address: '' },
    startedAt: s.startedAt.toISOString(),
    counts: { functions: plan.functions.length, units: m.units.units, groups: m.units.groupNames.length },
    warnings: [...(trace.warnings ?? []), ...(s.calibration?.warnings ?? [])],
  });
}
