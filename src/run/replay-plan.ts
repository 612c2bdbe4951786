/**
 * Step 2 of a replay: everything decided before anything is started. The trace read and planned,
 * the run folder made, the platform made and wrapped (workflows or invoke-via, then retries and
 * timeouts), the plan's needs said (and with --fit applied), the functions to deploy.
 */
import type { TraceFileFact } from '../dataset/manifest.js';
import { traceFileFacts } from '../dataset/manifest.js';
import type { PaceWatch } from '../dispatch/pace.js';
import { type MonitorConfig, resolveMonitorConfig } from '../monitor/set.js';
import { announcesInstances, reportsPace } from '../platforms/capabilities.js';
import { createPlatform, type PlatformOptions } from '../platforms/registry.js';
import type { FunctionSpec, PlatformAdapter } from '../platforms/types.js';
import { withWrappers } from '../platforms/wrappers.js';
import type { Plan } from '../schedule/plan.js';
import type { ShardPlan } from '../schedule/shard.js';
import type { Schedule } from '../schedule/types.js';
import type { Trace } from '../trace/types.js';
import { planWorkflows, StepRecorder, withWorkflows } from '../workflow/index.js';
import { resolveInvokeVia, withInvokeVia } from './invoke-via.js';
import { loadPlan } from './load-plan.js';
import { functionSpecs } from './names.js';
import { assessNeeds, formatNeedsFact, machineCapacity, type NeedsFact } from './needs.js';
import type { ResolvedReplayOptions } from './replay-options.js';
import { openRunFolder } from './steps/run-folder.js';

export interface ReplayPlan {
  startedAt: Date;
  monitorConfig: MonitorConfig;
  trace: Trace;
  runId: string;
  dir: string;
  traceFiles: TraceFileFact[];
  /** The platform as made (its capabilities are its own: the wrappers forward PlatformAdapter only). */
  adapter: PlatformAdapter;
  /** The adapter wrapped: what deploys, invokes and tears down. */
  platform: PlatformAdapter;
  recordsInstances: boolean;
  /** The platform's pool, when it runs its instances here (PaceReporter). */
  pressure: ConstructorParameters<typeof PaceWatch>[0]['pressure'] | undefined;
  needs: NeedsFact;
  /** The plan to fire (scaled with --fit). */
  schedule: Plan | ShardPlan;
  specs: FunctionSpec[];
  /** A shard deploys only its functions; their names are those of the unsharded run. */
  deployed: FunctionSpec[];
  shard: ShardPlan['shard'] | undefined;
  planned: number;
  /** Planned invocations per second of the run, and the busiest second's. */
  perSecond: Uint32Array;
  peakPerS: number;
  workflows: ReturnType<typeof planWorkflows> | undefined;
  stepRecorder: StepRecorder;
  /** What each function's rows are named (a workflow's: its first stage). */
  rowNames: readonly { id: string; name: string }[];
  warnings: string[];
}

export async function planReplay(o: ResolvedReplayOptions, log: (line: string) => void): Promise<ReplayPlan> {
  const startedAt = new Date();
  const monitorConfig = resolveMonitorConfig(o.monitor, { platform: o.platform, runtime: o.runtime });
  const { trace, plan: loaded } = await loadPlan(o);
  const { runId, dir } = await openRunFolder({
    trace: o.trace,
    startedAt,
    out: o.out,
    resultsDir: o.resultsDir,
  });
  const traceFiles = await traceFileFacts(trace.files);
  const adapter = o.platformAdapter ?? createPlatform(o.platform, platformOptionsOf(o));
  const warnings = [...(trace.warnings ?? [])];
  const pressure = reportsPace(adapter) ? () => adapter.pressure() : undefined;
  const assessed = replayNeeds(o, trace, loaded, adapter, pressure !== undefined, log, warnings);
  const schedule = assessed.plan;
  const specs = functionSpecs(schedule.functions, o.workload, schedule.options.seed);
  const shard = 'shard' in schedule ? schedule.shard : undefined;
  const deployed = shard ? shard.functions.map((fn) => specs[fn]!) : specs;
  const { planned, perSecond } = plannedPerSecond(schedule);
  let peakPerS = 0;
  for (const n of perSecond) if (n > peakPerS) peakPerS = n;
  const wrapped = await wrapPlatform(o, adapter, schedule, specs, warnings);
  return {
    startedAt,
    monitorConfig,
    trace,
    runId,
    dir,
    traceFiles,
    adapter,
    ...wrapped,
    recordsInstances: announcesInstances(adapter),
    pressure,
    needs: assessed.fact,
    schedule,
    specs,
    deployed,
    shard,
    planned,
    perSecond,
    peakPerS,
    warnings,
  };
}

/** The platform's options from the replay's (those given). */
function platformOptionsOf(o: ResolvedReplayOptions): PlatformOptions {
  return {
    keepAliveMs: o.keepAliveMs,
    invokeTimeoutMs: o.invokeTimeoutMs,
    maxInstances: o.maxInstances,
    runtime: o.runtime,
    ...(o.prewarm !== undefined ? { prewarm: o.prewarm } : {}),
    ...(o.memoryClassesMb !== undefined ? { memoryClassesMb: o.memoryClassesMb } : {}),
    ...(o.maxTimeLimitMs !== undefined ? { maxTimeLimitMs: o.maxTimeLimitMs } : {}),
    ...(o.poolMemoryMb !== undefined ? { poolMemoryMb: o.poolMemoryMb } : {}),
    ...(o.maxStarting !== undefined ? { maxStarting: o.maxStarting } : {}),
    ...(o.http ? { http: o.http } : {}),
    ...(o.openwhisk ? { openwhisk: o.openwhisk } : {}),
    ...(o.knative ? { knative: o.knative } : {}),
    ...(o.openfaas ? { openfaas: o.openfaas } : {}),
    ...(o.lambda ? { lambda: o.lambda } : {}),
  };
}

/**
 * The plan's needs, before anything is fired, logged; against this machine and the pool when
 * the platform runs its instances here; with --fit, the plan at the scale that fits.
 */
function replayNeeds(
  o: ResolvedReplayOptions,
  trace: Trace,
  loaded: Plan | ShardPlan,
  adapter: PlatformAdapter,
  local: boolean,
  log: (line: string) => void,
  warnings: string[],
): { fact: NeedsFact; plan: Plan | ShardPlan } {
  if (o.fit && !local)
    warnings.push(
      `--fit: the ${adapter.kind} platform does not run its instances here; the plan is not scaled`,
    );
  const settings = {
    keepAliveMs: o.keepAliveMs,
    maxInstances: o.maxInstances,
    memoryClassesMb: o.memoryClassesMb,
    poolMemoryMb: o.poolMemoryMb,
  };
  const capacity = local ? machineCapacity(settings) : undefined;
  const assessed = assessNeeds(trace, o, loaded, settings, capacity, o.fit === true);
  const text = formatNeedsFact(assessed.fact);
  for (const line of text.lines) log(line);
  for (const w of text.warnings) log(`warning: ${w}`);
  for (const line of text.fitted) log(line);
  warnings.push(...text.warnings);
  return assessed;
}

/** The adapter wrapped for the run: workflows (--dag) or invoke-via, then the wrappers. */
async function wrapPlatform(
  o: ResolvedReplayOptions,
  adapter: PlatformAdapter,
  schedule: Plan | ShardPlan,
  specs: FunctionSpec[],
  warnings: string[],
): Promise<Pick<ReplayPlan, 'platform' | 'workflows' | 'stepRecorder' | 'rowNames'>> {
  let via: ReturnType<typeof resolveInvokeVia>;
  try {
    via = resolveInvokeVia(o.invokeVia, schedule.functions, specs, adapter);
  } catch (e) {
    await adapter.teardown();
    throw e;
  }
  if (via.warning) warnings.push(via.warning);
  const workflows = o.dag ? planWorkflows(specs, o.dag, schedule.options.seed) : undefined;
  const stepRecorder = new StepRecorder();
  const platform = withWrappers(
    workflows
      ? withWorkflows(adapter, workflows, via.viaTrigger, stepRecorder)
      : withInvokeVia(adapter, via.viaTrigger),
    o,
  );
  // A workflow's row names its first stage (a sequence, or its entry step's action).
  const rowNames = workflows
    ? specs.map((s) => ({ id: s.id, name: workflows.get(s.name)?.stages[0]?.name ?? s.name }))
    : specs;
  return { platform, workflows, stepRecorder, rowNames };
}

/** Planned invocations in all, and per second of the run (one pass over the plan). */
function plannedPerSecond(schedule: Schedule): { planned: number; perSecond: Uint32Array } {
  const perSecond = new Uint32Array(Math.ceil(schedule.spanUs / 1e6) + 1);
  let planned = 0;
  for (const b of schedule.batches({ reuse: true })) {
    planned += b.length;
    for (let i = 0; i < b.length; i++) perSecond[Math.floor(b.atUs[i]! / 1e6)]!++;
  }
  return { planned, perSecond };
}
