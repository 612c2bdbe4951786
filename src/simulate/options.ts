/**
 * Step 1 of a simulation: its options resolved. The plan's options (given, or the calibration
 * run's), the policies, the unit, the platform model with its capacity and costs, all validated
 * (E_USAGE listing every problem).
 */

import { DEFAULT_MEMORY_CLASSES_MB } from '../embedded/local/capacity-rules.js';
import { memoryClassProblems } from '../embedded/local/memory.js';
import {
  defaultMaxStarting,
  defaultPoolMemoryMb,
  LOCAL_PLATFORM_DEFAULTS,
} from '../embedded/local/options.js';
import { FaasloadError } from '../errors.js';
import type { TracePlanOptions } from '../run/load-plan.js';
import { definedOnly } from '../util/defined.js';
import type { DagShapeSpec } from '../workflow/index.js';
import { type RunCalibration, type RunCapacity, readRunCalibration } from './calibrate.js';
import { MODEL_DEFAULTS, type ModelOptions, type UnitKind } from './model.js';
import { fixedKeepAlive, type KeepAlivePolicy } from './policy.js';
import { parsePolicy } from './registry.js';

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

/** A simulation's options resolved: what the later steps read. */
export interface Simulation {
  log: (line: string) => void;
  startedAt: Date;
  calibration: RunCalibration | undefined;
  planOptions: TracePlanOptions;
  policies: KeepAlivePolicy[];
  unit: UnitKind;
  platformModel: PlatformModelKind;
  /** The local platform model's capacity rules. */
  capacity: RunCapacity | undefined;
  model: Omit<ModelOptions, 'horizonUs'>;
}

export async function resolveSimulation(options: SimulateOptions): Promise<Simulation> {
  const log = options.log ?? (() => {});
  const startedAt = new Date();
  const { calibration, planOptions } = await planInput(options);
  const policies = resolvePolicies(options, calibration);
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
  const model = resolveModel(options, calibration);
  return { log, startedAt, calibration, planOptions, policies, unit, platformModel, capacity, model };
}

/** What to plan: the trace given, or the calibration run's (its trace and resolved plan). */
async function planInput(
  options: SimulateOptions,
): Promise<{ calibration: RunCalibration | undefined; planOptions: TracePlanOptions }> {
  if (options.calibrate !== undefined) {
    const calibration = await readRunCalibration(options.calibrate);
    return { calibration, planOptions: options.trace !== undefined ? planOnly(options) : calibration.plan };
  }
  if (options.trace === undefined)
    throw new FaasloadError('E_USAGE', 'simulate: name a trace (or --calibrate RUN)');
  return { calibration: undefined, planOptions: planOnly(options) };
}

/** The policies given, else the calibration run's keep-alive, else fixed:10m; each name once. */
function resolvePolicies(
  options: SimulateOptions,
  calibration: RunCalibration | undefined,
): KeepAlivePolicy[] {
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
  return policies;
}

/** The model's costs: given, else the calibration run's, else the defaults; validated. */
function resolveModel(
  options: SimulateOptions,
  calibration: RunCalibration | undefined,
): Omit<ModelOptions, 'horizonUs'> {
  const coldStartMs =
    options.coldStartMs ??
    (calibration && !Number.isNaN(calibration.coldStartMs) ? calibration.coldStartMs : undefined);
  const model: Omit<ModelOptions, 'horizonUs'> = {
    ...MODEL_DEFAULTS,
    ...definedOnly({
      coldStartMs,
      execOverheadMs: options.execOverheadMs ?? calibration?.execOverheadMs,
      concurrency: options.concurrency,
      maxInstances: options.maxInstances,
      defaultMemoryMb: options.defaultMemoryMb,
      defaultDurationMs: options.defaultDurationMs,
    }),
  };
  validateModel(model);
  return model;
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
