import { cpus } from 'node:os';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { type InstanceEventsRecorder, recordInstanceEvents } from '../dataset/instance-events.js';
import { INVOCATIONS_COLUMNS, INVOCATIONS_SCHEMA_VERSION, invocationRow } from '../dataset/invocations.js';
import {
  hostFacts,
  MANIFEST_VERSION,
  type Manifest,
  traceFileFacts,
  type WarmUpFacts,
  writeManifest,
} from '../dataset/manifest.js';
import { TableWriter } from '../dataset/table-writer.js';
import { TIMELINE_COLUMNS, TIMELINE_SCHEMA_VERSION } from '../dataset/timeline.js';
import type { Clock } from '../dispatch/clock.js';
import {
  DISPATCH_DEFAULTS,
  type DispatchStats,
  dispatch,
  type InvocationRecord,
} from '../dispatch/dispatcher.js';
import { type LagAlert, LIVE_DEFAULTS, LiveStats } from '../dispatch/live.js';
import { PaceWatch } from '../dispatch/pace.js';
import {
  CpuWindow,
  choosePacing,
  createClock,
  type PacedClock,
  type PacingChoice,
} from '../dispatch/pacing.js';
import { type RunningMonitors, startMonitors } from '../monitor/run.js';
import { gapWarning, MONITOR_DEFAULTS, type MonitorOptions, resolveMonitorConfig } from '../monitor/set.js';
import { announcesInstances, reportsPace } from '../platforms/capabilities.js';
import type { RuntimeChoice } from '../platforms/local/runtime.js';
import { createPlatform, type PlatformOptions } from '../platforms/registry.js';
import type { PlatformAdapter } from '../platforms/types.js';
import { type WrapperOptions, withWrappers } from '../platforms/wrappers.js';
import { type ProgressTarget, startProgress } from '../report/progress.js';
import { formatSummary, type RunSummary, SummaryCollector } from '../report/summary.js';
import type { ResolvedPlanOptions } from '../schedule/plan.js';
import type { Schedule } from '../schedule/types.js';
import { DEFAULT_DUPLICATE_POLICY } from '../trace/types.js';
import { estimateClockOffset } from '../util/clock-offset.js';
import { VERSION } from '../version.js';
import {
  type DagShapeSpec,
  planWorkflows,
  StepRecorder,
  WORKFLOW_STEPS_COLUMNS,
  WORKFLOW_STEPS_SCHEMA_VERSION,
  withWorkflows,
  workflowStepRows,
} from '../workflow/index.js';
import { type InvokeViaChoice, resolveInvokeVia, withInvokeVia } from './invoke-via.js';
import { loadPlan, type TracePlanOptions } from './load-plan.js';
import { functionSpecs } from './names.js';
import { assessNeeds, formatNeedsFact, machineCapacity } from './needs.js';
import { createRunDir, makeRunId } from './run-dir.js';
import { checkStartAt, DEFAULT_START_TOLERANCE_MS, waitForStart } from './start-at.js';
import { warmUp } from './warm-up.js';

/** --pacing auto: the free cores are measured over start-up (plan, deploy), this long at least. */
export const FREE_CORES_WINDOW_MS = 250;

/**
 * The whole configuration of a replay: one typed object; defaults live in REPLAY_DEFAULTS and,
 * for planning, in plan().
 */
export interface ReplayOptions extends TracePlanOptions, WrapperOptions {
  platform?: string;
  keepAliveMs?: number;
  invokeTimeoutMs?: number;
  maxInstances?: number;
  /** Embedded platform: child processes, Docker containers, or containers when an engine answers. */
  runtime?: RuntimeChoice;
  /** Embedded platform: idle instances of each function started before the run (a provisioned pool). */
  prewarm?: number;
  /** Embedded platform: memory size classes, MB ascending (platforms/local/memory.ts). */
  memoryClassesMb?: readonly number[];
  /** Embedded platform: the cap on a function's time limit raised to cover its trace durations. */
  maxTimeLimitMs?: number;
  /** Embedded platform: MB the memory limits of live instances add up to at most. */
  poolMemoryMb?: number;
  /** Embedded platform: cold starts under way at once. */
  maxStarting?: number;
  /**
   * Embedded platform: when the plan's needs (run/needs.ts) exceed this machine or the pool,
   * replay it at the --scale that fits instead (recorded in the manifest's needs.fit).
   */
  fit?: boolean;
  /** --platform http: the endpoint and request shape. */
  http?: PlatformOptions['http'];
  /** --platform openwhisk: the API host, key and namespace (else ~/.wskprops), blocking or not. */
  openwhisk?: PlatformOptions['openwhisk'];
  /** --platform knative / openfaas / lambda: where and how (docs/platforms.md). */
  knative?: PlatformOptions['knative'];
  openfaas?: PlatformOptions['openfaas'];
  lambda?: PlatformOptions['lambda'];
  /** How the dispatcher waits (see pacing.ts); auto resolves from the plan's peak rate and the free cores. */
  pacing?: PacingChoice;
  maxInFlight?: number;
  /** Invocations later than this when their turn comes are dropped instead of sent. */
  maxLatenessMs?: number;
  /** Overdue invocations fired back to back before the event loop gets a turn. */
  maxBurst?: number;
  /** The plan's first warmupMs are the warm-up phase (marked, left out of the summary figures). */
  warmupMs?: number;
  /** Lag alerts: achieved rate below (1 - lagShare) x planned, or lateness p99 above the bound. */
  lagShare?: number;
  latenessBoundMs?: number;
  /** Stop the run at the first lag alert (status 'aborted'). */
  abortOnLag?: boolean;
  /** After a stop, how long invocations in flight may still finish before they are aborted. */
  graceMs?: number;
  /** Live progress (a terminal line, or log lines). */
  progress?: ProgressTarget;
  /** What each trace function runs: ['synthetic'] (default) or catalog functions, bound in turn. */
  workload?: readonly string[];
  /** How each invocation is made: directly, through a trigger, or by the trace's trigger (invoke-via.ts). */
  invokeVia?: InvokeViaChoice;
  /** --dag / --dag-shape: each trace function runs as a workflow of this shape (src/workflow). */
  dag?: DagShapeSpec;
  /** Which monitors observe the run and how often (src/monitor); default per platform and runtime. */
  monitor?: MonitorOptions;
  /** --start-at: the run's time 0, epoch ms, shared by the shards of one replay (see start-at.ts). */
  startAtMs?: number;
  /** How far past startAtMs the run may still start (its first arrivals late); later is an error. */
  startToleranceMs?: number;
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
  runtime: 'process',
  pacing: 'auto',
  maxInFlight: 10_000,
  maxBurst: DISPATCH_DEFAULTS.maxBurst,
  warmupMs: 0,
  lagShare: LIVE_DEFAULTS.lagShare,
  latenessBoundMs: LIVE_DEFAULTS.latenessBoundUs / 1000,
  abortOnLag: false,
  graceMs: 10_000,
  startToleranceMs: DEFAULT_START_TOLERANCE_MS,
  resultsDir: 'results',
  onDuplicate: DEFAULT_DUPLICATE_POLICY,
  invokeVia: 'direct',
} as const;

/**
 * A replay's configuration as its manifest records it: the options resolved (defaults included),
 * without the caller's objects and with credentials hidden, and the plan's resolved options.
 */
export type ReplayConfig = Omit<
  ReplayOptions,
  'signal' | 'hardSignal' | 'log' | 'clock' | 'platformAdapter' | 'progress' | 'commandLine'
> & { plan: ResolvedPlanOptions };

export interface ReplayResult {
  dir: string;
  summary: RunSummary;
  manifest: Manifest<'replay'>;
}

/**
 * Replays a trace: reads it, plans it, deploys the functions, fires the plan open-loop, and
 * writes <dir>/invocations.parquet and <dir>/manifest.json. Rows already measured are kept
 * whatever fails later: the table is streamed during the run and the manifest says how it ended.
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const o = { ...REPLAY_DEFAULTS, ...stripUndefined(options) };
  const log = o.log ?? (() => {});
  // Free cores, for --pacing auto: measured from here to the end of deploy (this process's own
  // work counts as free: its threads are the run's).
  const cpuWindow = o.pacing === 'auto' && !o.clock ? new CpuWindow() : undefined;
  // Before planning and deploying: a common start that has already passed fails at once.
  if (o.startAtMs !== undefined)
    checkStartAt(o.startAtMs, o.clock ? o.clock.nowUs() / 1000 : Date.now(), o.startToleranceMs);
  const startedAt = new Date();

  const monitorConfig = resolveMonitorConfig(o.monitor, { platform: o.platform, runtime: o.runtime });
  const { trace, plan: loaded } = await loadPlan(o);
  /** Resolved after deploy, when the free cores are known. */
  let pacing: { pacing: string; reason: string } = {
    pacing: o.clock ? 'caller' : o.pacing,
    reason: o.clock ? 'a clock given by the caller' : 'not resolved: the run stopped before it started',
  };
  let warmedBeforeStart: WarmUpFacts | undefined;
  let startup: { cpuMs: number; wallMs: number } | undefined;

  const runId = makeRunId(o.trace, startedAt);
  const dir = await createRunDir(o.out, o.resultsDir, runId);
  const traceFiles = await traceFileFacts(trace.files);
  // From here on, whatever fails, the platform is torn down and the dataset closed (finally).
  const platformOptions: PlatformOptions = {
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
  const adapter = o.platformAdapter ?? createPlatform(o.platform, platformOptions);
  // Capabilities are the adapter's: the wrappers forward PlatformAdapter only.
  const recordsInstances = announcesInstances(adapter);
  const warnings = [...(trace.warnings ?? [])];
  // The plan's needs, before anything is fired; against this machine and the pool when the
  // platform runs its instances here (it reports its pool: PaceReporter).
  const pressure = reportsPace(adapter) ? () => adapter.pressure() : undefined;
  if (o.fit && !pressure)
    warnings.push(
      `--fit: the ${adapter.kind} platform does not run its instances here; the plan is not scaled`,
    );
  const needsSettings = {
    keepAliveMs: o.keepAliveMs,
    maxInstances: o.maxInstances,
    memoryClassesMb: o.memoryClassesMb,
    poolMemoryMb: o.poolMemoryMb,
  };
  const assessed = assessNeeds(
    trace,
    o,
    loaded,
    needsSettings,
    pressure ? machineCapacity(needsSettings) : undefined,
    o.fit === true,
  );
  const schedule = assessed.plan;
  const needsText = formatNeedsFact(assessed.fact);
  for (const line of needsText.lines) log(line);
  for (const w of needsText.warnings) log(`warning: ${w}`);
  for (const line of needsText.fitted) log(line);
  warnings.push(...needsText.warnings);
  const specs = functionSpecs(schedule.functions, o.workload, schedule.options.seed);
  // A shard deploys and fires only its functions; their names are those of the unsharded run.
  const shard = 'shard' in schedule ? schedule.shard : undefined;
  const deployed = shard ? shard.functions.map((fn) => specs[fn]!) : specs;
  const { planned, perSecond } = plannedPerSecond(schedule);
  let peakPerS = 0;
  for (const n of perSecond) if (n > peakPerS) peakPerS = n;
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
  const {
    signal,
    hardSignal,
    log: _log,
    clock: _clock,
    platformAdapter: _p,
    progress: _progress,
    commandLine,
    ...config
  } = o;

  const manifest: Manifest<'replay'> = {
    manifestVersion: MANIFEST_VERSION,
    command: 'replay',
    tool: { name: 'faasload', version: VERSION },
    runId,
    commandLine: commandLineWithoutCredentials(commandLine ?? []),
    config: { ...withoutCredentials(config), plan: schedule.options },
    seed: schedule.options.seed,
    trace: { format: trace.format, files: traceFiles },
    platform: { kind: platform.kind, address: platform.address },
    host: hostFacts(),
    startedAt: startedAt.toISOString(),
    status: 'failed',
    counts: { planned, functions: deployed.length },
    ...(shard
      ? {
          shard: {
            index: shard.index,
            count: shard.count,
            planned: shard.planned,
            plannedPerShard: shard.plannedPerShard,
          },
        }
      : {}),
    ...(o.startAtMs !== undefined
      ? { startAt: { at: new Date(o.startAtMs).toISOString(), toleranceMs: o.startToleranceMs } }
      : {}),
    needs: assessed.fact,
    tables: {},
    warnings,
  };

  const writer = new TableWriter({
    dir,
    name: 'invocations',
    columns: INVOCATIONS_COLUMNS,
    metadata: { 'faasload.schema_version': INVOCATIONS_SCHEMA_VERSION, 'faasload.run_id': runId },
    // A full or too slow disk stops the run: the rows already written stay (see TableWriter).
    onError: (err) => {
      log(`error: ${err.message}; stopping the run`);
      stop.abort(err);
    },
  });
  const stepsWriter = workflows
    ? new TableWriter({
        dir,
        name: 'workflow_steps',
        columns: WORKFLOW_STEPS_COLUMNS,
        metadata: { 'faasload.schema_version': WORKFLOW_STEPS_SCHEMA_VERSION, 'faasload.run_id': runId },
        onError: (err) => {
          log(`error: ${err.message}; stopping the run`);
          stop.abort(err);
        },
      })
    : undefined;
  const collector = new SummaryCollector();
  // Stopping: the caller's signal or a lag alert stops firing; graceMs later, or at the caller's
  // hard signal, invocations still in flight are aborted.
  const stop = new AbortController();
  const hard = new AbortController();
  signal?.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
  hardSignal?.addEventListener('abort', () => hard.abort(hardSignal.reason), { once: true });
  stop.signal.addEventListener(
    'abort',
    () => setTimeout(() => hard.abort(new Error('grace time over')), o.graceMs).unref(),
    { once: true },
  );
  const alerts: LagAlert[] = [];
  let live: LiveStats | undefined;
  let stats: DispatchStats | undefined;
  let pacedClock: PacedClock | undefined;
  let summary: RunSummary | undefined;
  let monitors: RunningMonitors | undefined;
  let instanceEvents: InstanceEventsRecorder | undefined;
  /** The invocations table could not be written (a full disk): the run fails, after its manifest. */
  let tableError: unknown;
  try {
    await writeManifest(dir, manifest);
    // Before deploy, so that instances started then (prewarm) are observed from their creation.
    if (monitorConfig.monitors.length > 0) monitors = await startMonitors(monitorConfig, { dir, runId, log });
    if (recordsInstances) instanceEvents = recordInstanceEvents(dir, runId);
    log(
      `replaying ${planned} invocations of ${deployed.length} functions over ${(schedule.spanUs / 1e6).toFixed(1)} s on ${platform.kind} -> ${dir}`,
    );
    if (shard || o.startAtMs !== undefined)
      manifest.clockOffset = await estimateClockOffset({ url: platform.address });
    try {
      await platform.deploy(deployed, stop.signal);
    } catch (e) {
      // Stopped while deploying: nothing is fired, every invocation is recorded as cancelled.
      if (!stop.signal.aborted) throw e;
    }
    let clock: Clock;
    if (o.clock) clock = o.clock;
    else {
      const leftMs = FREE_CORES_WINDOW_MS - (cpuWindow?.elapsedMs() ?? FREE_CORES_WINDOW_MS);
      if (leftMs > 0) await sleepMs(leftMs);
      const freeCores = cpuWindow?.freeCores() ?? 0;
      const chosen = choosePacing(o.pacing, { peakPerS, freeCores, cpus: cpus().length });
      pacing = chosen;
      pacedClock = createClock(chosen.pacing);
      clock = pacedClock;
    }
    // Before time zero: the writer thread running, the connections open, the code compiled.
    const warmStartMs = performance.now();
    const warmStartCpu = process.cpuUsage();
    await writer.drain();
    const warmInvoker = stop.signal.aborted
      ? undefined
      : await platform.warm?.(deployed, { peakPerS }, stop.signal);
    const throwAwayLive = new LiveStats({ startUs: clock.nowUs(), requestedPerSecond: [] });
    const throwAwayCollector = new SummaryCollector();
    let warmed = 0;
    try {
      warmed = await warmUp({
        arrivals: schedule.arrivals(),
        ...(warmInvoker ? { invoke: (a, s) => warmInvoker.invoke(specs[a.fn]!, a, s) } : {}),
        clock,
        onFire: (scheduledAtUs, firedAtUs) => throwAwayLive.fired(scheduledAtUs, firedAtUs),
        onRecord: (record) => {
          writer.rehearse([invocationRow(record, rowNames)]);
          throwAwayCollector.add(record);
          throwAwayLive.settled(record);
        },
        signal: stop.signal,
        // A caller's clock (a test's fake) may not move by itself: nothing waits on it.
        ...(o.clock ? { spanUs: 0 } : {}),
      });
    } finally {
      await warmInvoker?.close();
    }
    warmedBeforeStart = {
      invocations: warmed,
      sendPath: warmInvoker ? 'platform' : 'none',
      durationMs: Math.round(performance.now() - warmStartMs),
      cpuMs: cpuMsSince(warmStartCpu),
    };
    startup = {
      cpuMs: cpuMsSince(),
      wallMs: Math.round(performance.now()),
    };
    // Logged as the run starts (tests and scripts take it as the start).
    log(
      `pacing: ${pacing.pacing} (${pacing.reason}); warmed in ${warmedBeforeStart.durationMs} ms; start-up ${startup.cpuMs} ms of CPU`,
    );
    let startUs = clock.nowUs();
    if (o.startAtMs !== undefined && manifest.startAt) {
      log(`waiting for --start-at ${manifest.startAt.at}`);
      const start = await waitForStart(clock, o.startAtMs, o.startToleranceMs, stop.signal);
      startUs = start.startUs;
      manifest.startAt.lateMs = start.lateUs / 1000;
      manifest.startAt.waitedMs = start.waitedUs / 1000;
      if (start.lateUs > 0)
        warnings.push(
          `started ${(start.lateUs / 1e6).toFixed(3)} s after --start-at: the first arrivals are late`,
        );
    }
    const warmupUs = o.warmupMs * 1000;
    const liveStats = new LiveStats({
      startUs,
      requestedPerSecond: perSecond,
      lagShare: o.lagShare,
      latenessBoundUs: o.latenessBoundMs * 1000,
      warmupUs,
    });
    live = liveStats;
    const checker = setInterval(() => {
      for (const alert of liveStats.check(clock.nowUs())) {
        alerts.push(alert);
        const action = o.abortOnLag ? 'stopping (--abort-on-lag)' : 'the run goes on';
        log(`warning: at ${alert.second} s: ${alert.message}; ${action}`);
        warnings.push(`lag at ${alert.second} s: ${alert.message}`);
        if (o.abortOnLag && !stop.signal.aborted) stop.abort(new Error(`lag: ${alert.message}`));
      }
    }, 1000);
    checker.unref();
    // When the platform, not the plan, sets the pace: sampled once a second, each kind said once.
    const pace = pressure ? new PaceWatch({ pressure }) : undefined;
    let paceChecking = false;
    const paceChecker = pace
      ? setInterval(() => {
          if (paceChecking) return;
          paceChecking = true;
          const second = Math.floor((clock.nowUs() - startUs) / 1e6);
          void pace
            .check(second)
            .then((raised) => {
              for (const alert of raised) {
                log(`warning: at ${alert.second} s the platform sets the pace: ${alert.message}`);
                warnings.push(`the platform set the pace at ${alert.second} s: ${alert.message}`);
              }
            })
            .finally(() => {
              paceChecking = false;
            });
        }, 1000)
      : undefined;
    paceChecker?.unref();
    const progress = o.progress
      ? startProgress({
          target: o.progress,
          snapshot: () => liveStats.snapshot(clock.nowUs()),
          planned,
          spanS: schedule.spanUs / 1e6,
          ...(pace ? { note: () => pace.progressNote() } : {}),
        })
      : undefined;
    try {
      stats = await dispatch(schedule.arrivals(), (a, s) => platform.invoke(specs[a.fn]!, a, s), {
        clock,
        startUs,
        onFire: (scheduledAtUs, firedAtUs) => liveStats.fired(scheduledAtUs, firedAtUs),
        onRecord: (record: InvocationRecord) => {
          writer.add([invocationRow(record, rowNames)]);
          const wf = workflows?.get(specs[record.arrival.fn]!.name);
          if (wf && stepsWriter) {
            stepsWriter.add(workflowStepRows(record, wf, stepRecorder.take(record.arrival.seq)));
          }
          collector.add(record);
          liveStats.settled(record);
        },
        maxInFlight: o.maxInFlight,
        maxBurst: o.maxBurst,
        warmupUs,
        ...(o.maxLatenessMs !== undefined ? { maxLatenessUs: o.maxLatenessMs * 1000 } : {}),
        signal: stop.signal,
        invokeSignal: hard.signal,
      });
    } finally {
      clearInterval(checker);
      clearInterval(paceChecker);
      progress?.stop();
    }
    summary = collector.summary((stats.endUs - stats.startUs) / 1e6);
    manifest.status = !stop.signal.aborted
      ? 'complete'
      : o.abortOnLag && alerts.length > 0 && !signal?.aborted
        ? 'aborted'
        : 'stopped';
    if (stats.planned !== planned) {
      warnings.push(`the plan yielded ${stats.planned} invocations but counted ${planned}`);
    }
  } finally {
    await pacedClock?.close();
    // The instances' state after the last invocation gets sampled before they are removed.
    if (monitors) await sleepMs(2 * (monitorConfig.sampleIntervalMs ?? MONITOR_DEFAULTS.sampleIntervalMs));
    await platform.teardown();
    if (instanceEvents) manifest.tables.instance_events = await instanceEvents.close();
    // After teardown, so that the instances' last events (die, destroy) are in.
    if (monitors) await stopMonitors(monitors, manifest, warnings);
    const table = await writer.close().catch((err: unknown) => {
      tableError = err;
      return { file: 'invocations.arrows', rows: writer.counts.written };
    });
    manifest.tables.invocations = {
      file: table.file,
      rows: table.rows,
      schemaVersion: INVOCATIONS_SCHEMA_VERSION,
      columns: INVOCATIONS_COLUMNS,
    };
    if (stepsWriter) {
      const steps = await stepsWriter.close().catch((err: unknown) => {
        tableError ??= err;
        return { file: 'workflow_steps.arrows', rows: stepsWriter.counts.written };
      });
      manifest.tables.workflow_steps = {
        file: steps.file,
        rows: steps.rows,
        schemaVersion: WORKFLOW_STEPS_SCHEMA_VERSION,
        columns: WORKFLOW_STEPS_COLUMNS,
      };
    }
    if (live && !tableError) manifest.tables.timeline = await writeTimeline(dir, runId, live);
    // Per-activation counter deltas need both tables closed (the perf monitor's and invocations).
    // Loaded only when the perf monitor wrote counters: it brings parquet-wasm into this thread,
    // a start-up cost every run would pay otherwise.
    if (!tableError && manifest.tables.counters) {
      const { addInvocationCounters } = await import('../monitor/perf-invocations.js');
      await addInvocationCounters(dir, runId, manifest, warnings);
    }
    summary ??= collector.summary(0);
    manifest.counts = {
      ...manifest.counts,
      sent: summary.sent,
      ...summary.outcomes,
      coldStarts: summary.coldStarts,
    };
    manifest.dispatch = {
      pacing: pacing.pacing,
      pacingReason: pacing.reason,
      warmupMs: o.warmupMs,
      ...(warmedBeforeStart ? { warmedBeforeStart } : {}),
      ...(startup ? { startup } : {}),
      requestedPerS: schedule.spanUs > 0 ? planned / (schedule.spanUs / 1e6) : 0,
      achievedPerS: stats && summary.durationS > 0 ? summary.sent / summary.durationS : 0,
      droppedLate: stats?.droppedLate ?? 0,
      latenessUs: summary.latenessUs,
      latencyUs: summary.latencyUs,
      latencyFromScheduleUs: summary.latencyFromScheduleUs,
      latencyBreakdown: summary.latencyBreakdown,
      lagAlerts: alerts,
      ...(stop.signal.aborted
        ? { stopReason: String(stop.signal.reason?.message ?? stop.signal.reason) }
        : {}),
    };
    manifest.endedAt = new Date().toISOString();
    if (tableError) {
      manifest.status = 'failed';
      warnings.push((tableError as Error).message);
      // The disk may be full: then the manifest written at the start (status failed) stays.
      await writeManifest(dir, manifest).catch(() => {});
    } else await writeManifest(dir, manifest);
  }
  if (tableError) throw tableError;
  log(formatSummary(summary));
  return { dir, summary, manifest };
}

/** CPU milliseconds of this process (all its threads) since `from`, or since it started. */
function cpuMsSince(from?: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return Math.round((used.user + used.system) / 1000);
}

/** Stops the monitors into the manifest: their tables, costs and gaps; a failure is a warning. */
async function stopMonitors(monitors: RunningMonitors, manifest: Manifest<'replay'>, warnings: string[]) {
  try {
    const { fact, tables } = await monitors.stop();
    manifest.monitors = fact;
    Object.assign(manifest.tables, tables);
    warnings.push(...fact.gaps.map(gapWarning), ...fact.errors.map((e) => `monitor ${e}`));
  } catch (e) {
    warnings.push(`monitors: ${(e as Error).message}`);
  }
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

async function writeTimeline(dir: string, runId: string, live: LiveStats) {
  const writer = new TableWriter({
    dir,
    name: 'timeline',
    columns: TIMELINE_COLUMNS,
    metadata: { 'faasload.schema_version': TIMELINE_SCHEMA_VERSION, 'faasload.run_id': runId },
  });
  writer.add(live.timeline());
  const table = await writer.close();
  return {
    file: table.file,
    rows: table.rows,
    schemaVersion: TIMELINE_SCHEMA_VERSION,
    columns: TIMELINE_COLUMNS,
  };
}

const HIDDEN = '(not recorded)';
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$/i;
const urlWithoutCredentials = (url: string) =>
  url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${HIDDEN}@`);

/** The configuration without keys, URL passwords or authorization headers: manifests get shared. */
function withoutCredentials<T extends Pick<ReplayOptions, 'http' | 'openwhisk' | 'openfaas'>>(config: T): T {
  const out = { ...config };
  if (out.openwhisk?.auth !== undefined) out.openwhisk = { ...out.openwhisk, auth: HIDDEN };
  if (out.openfaas?.password !== undefined) out.openfaas = { ...out.openfaas, password: HIDDEN };
  if (out.http) {
    const url = urlWithoutCredentials(out.http.url);
    const headers = Object.fromEntries(
      Object.entries(out.http.headers ?? {}).map(([k, v]) => [k, SECRET_HEADER.test(k) ? HIDDEN : v]),
    );
    out.http = { ...out.http, url, headers };
  }
  return out;
}

/** The command line with the same secrets hidden: --auth's value, secret headers, URL passwords. */
function commandLineWithoutCredentials(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    const previous = args[i - 1];
    if (previous === '--auth' || arg.startsWith('--auth='))
      return arg.startsWith('--auth=') ? `--auth=${HIDDEN}` : HIDDEN;
    if (
      (previous === '--header' || arg.startsWith('--header=')) &&
      SECRET_HEADER.test(
        arg
          .replace(/^--header=/, '')
          .split(':')[0]!
          .trim(),
      )
    )
      return arg.startsWith('--header=') ? `--header=${HIDDEN}` : HIDDEN;
    return urlWithoutCredentials(arg);
  });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
