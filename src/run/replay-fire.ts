/**
 * Steps 4 to 6 of a replay: deploy the functions and choose the clock, warm up before time zero,
 * then fire the plan from time zero (or --start-at) while the run is watched.
 */
import { cpus } from 'node:os';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { emptyInvocationRow, fillInvocationRow, invocationRow } from '../dataset/invocations.js';
import type { Manifest } from '../dataset/manifest.js';
import type { Clock } from '../dispatch/clock.js';
import { dispatch, type InvocationRecord } from '../dispatch/dispatcher.js';
import { LiveStats } from '../dispatch/live.js';
import { type CpuWindow, choosePacing, createClock } from '../dispatch/pacing.js';
import { SummaryCollector } from '../report/summary.js';
import { workflowStepRows } from '../workflow/index.js';
import { watchGc } from './gc-watch.js';
import type { ResolvedReplayOptions } from './replay-options.js';
import type { ReplayPlan } from './replay-plan.js';
import type { ReplayRun } from './replay-run.js';
import { watchRun } from './replay-watch.js';
import { waitForStart } from './start-at.js';
import { warmUp } from './warm-up.js';
import { scavengeBeforeStart, youngGenerationFact } from './young-generation.js';

/** --pacing auto: the free cores are measured over start-up (plan, deploy), this long at least. */
export const FREE_CORES_WINDOW_MS = 250;

/** Deploys the functions; stopped while deploying, nothing is fired (every invocation cancelled). */
export async function deployPlan(p: ReplayPlan, run: ReplayRun): Promise<void> {
  try {
    await p.platform.deploy(p.deployed, run.ctl.stop.signal);
  } catch (e) {
    if (!run.ctl.stop.signal.aborted) throw e;
  }
}

/** The caller's clock, or the pacing chosen from the plan's peak rate and the free cores. */
export async function chooseClock(
  o: ResolvedReplayOptions,
  p: ReplayPlan,
  run: ReplayRun,
  cpuWindow: CpuWindow | undefined,
): Promise<Clock> {
  if (o.clock) return o.clock;
  const leftMs = FREE_CORES_WINDOW_MS - (cpuWindow?.elapsedMs() ?? FREE_CORES_WINDOW_MS);
  if (leftMs > 0) await sleepMs(leftMs);
  const freeCores = cpuWindow?.freeCores() ?? 0;
  const chosen = choosePacing(o.pacing, { peakPerS: p.peakPerS, freeCores, cpus: cpus().length });
  run.pacing = chosen;
  run.pacedClock = createClock(chosen.pacing);
  return run.pacedClock;
}

/**
 * Before time zero: the writer thread running, the connections open, the code compiled, by
 * throw-away invocations (not in the dataset); what was warmed and the start-up's cost, logged.
 */
export async function warmBeforeStart(
  o: ResolvedReplayOptions,
  p: ReplayPlan,
  run: ReplayRun,
  clock: Clock,
  log: (line: string) => void,
): Promise<void> {
  const warmStartMs = performance.now();
  const warmStartCpu = process.cpuUsage();
  const stop = run.ctl.stop.signal;
  await run.writer.drain();
  const warmInvoker = stop.aborted
    ? undefined
    : await p.platform.warm?.(p.deployed, { peakPerS: p.peakPerS }, stop);
  const throwAwayLive = new LiveStats({ startUs: clock.nowUs(), requestedPerSecond: [] });
  const throwAwayCollector = new SummaryCollector();
  let warmed = 0;
  try {
    warmed = await warmUp({
      arrivals: p.schedule.arrivals(),
      ...(warmInvoker ? { invoke: (a, s) => warmInvoker.invoke(p.specs[a.fn]!, a, s) } : {}),
      clock,
      onFire: (scheduledAtUs, firedAtUs) => throwAwayLive.fired(scheduledAtUs, firedAtUs),
      onRecord: (record) => {
        run.writer.rehearse([invocationRow(record, p.rowNames)]);
        throwAwayCollector.add(record);
        throwAwayLive.settled(record);
      },
      signal: stop,
      // A caller's clock (a test's fake) may not move by itself: nothing waits on it.
      ...(o.clock ? { spanUs: 0 } : {}),
    });
  } finally {
    await warmInvoker?.close();
  }
  run.warmedBeforeStart = {
    invocations: warmed,
    sendPath: warmInvoker ? 'platform' : 'none',
    durationMs: Math.round(performance.now() - warmStartMs),
    cpuMs: cpuMsSince(warmStartCpu),
  };
  run.startup = { cpuMs: cpuMsSince(), wallMs: Math.round(performance.now()) };
  // Last before time zero: the run starts with an empty young generation (young-generation.ts).
  // Not with a caller's clock (a test's fake), whose run has no pauses to move.
  run.youngGeneration = youngGenerationFact(o.clock ? null : scavengeBeforeStart());
  // Logged as the run starts (tests and scripts take it as the start).
  log(
    `pacing: ${run.pacing.pacing} (${run.pacing.reason}); warmed in ${run.warmedBeforeStart.durationMs} ms; start-up ${run.startup.cpuMs} ms of CPU`,
  );
}

/**
 * Fires the plan open-loop from time zero (after --start-at's wait), each record to the tables,
 * the summary and the live figures; then the run's status.
 */
export async function firePlan(
  o: ResolvedReplayOptions,
  p: ReplayPlan,
  run: ReplayRun,
  clock: Clock,
  manifest: Manifest<'replay'>,
  log: (line: string) => void,
): Promise<void> {
  const { stop, hard } = run.ctl;
  const startUs = await startTime(o, p, run, clock, manifest, log);
  const warmupUs = o.warmupMs * 1000;
  const live = new LiveStats({
    startUs,
    requestedPerSecond: p.perSecond,
    lagShare: o.lagShare,
    latenessBoundUs: o.latenessBoundMs * 1000,
    warmupUs,
  });
  run.live = live;
  const watch = watchRun(o, p, run, live, clock, startUs, log);
  // One row object for every invocation: addRow copies its cells at once.
  const row = emptyInvocationRow();
  const gcWatch = watchGc();
  try {
    run.stats = await dispatch(p.schedule.arrivals(), (a, s) => p.platform.invoke(p.specs[a.fn]!, a, s), {
      clock,
      startUs,
      onFire: (scheduledAtUs, firedAtUs) => live.fired(scheduledAtUs, firedAtUs),
      onRecord: (record: InvocationRecord) => {
        run.writer.addRow(fillInvocationRow(row, record, p.rowNames));
        const wf = p.workflows?.get(p.specs[record.arrival.fn]!.name);
        if (wf && run.stepsWriter) {
          run.stepsWriter.add(workflowStepRows(record, wf, p.stepRecorder.take(record.arrival.seq)));
        }
        run.collector.add(record);
        live.settled(record);
      },
      maxInFlight: o.maxInFlight,
      maxBurst: o.maxBurst,
      warmupUs,
      ...(o.maxLatenessMs !== undefined ? { maxLatenessUs: o.maxLatenessMs * 1000 } : {}),
      signal: stop.signal,
      invokeSignal: hard.signal,
    });
  } finally {
    run.gc = gcWatch.stop();
    watch.stop();
  }
  const { stats } = run;
  run.summary = run.collector.summary((stats.endUs - stats.startUs) / 1e6);
  manifest.status = !stop.signal.aborted
    ? 'complete'
    : o.abortOnLag && run.alerts.length > 0 && !o.signal?.aborted
      ? 'aborted'
      : 'stopped';
  if (stats.planned !== p.planned) {
    p.warnings.push(`the plan yielded ${stats.planned} invocations but counted ${p.planned}`);
  }
}

/** The run's time zero: now, or --start-at's (waited for; how late it began is recorded). */
async function startTime(
  o: ResolvedReplayOptions,
  p: ReplayPlan,
  run: ReplayRun,
  clock: Clock,
  manifest: Manifest<'replay'>,
  log: (line: string) => void,
): Promise<number> {
  if (o.startAtMs === undefined || !manifest.startAt) return clock.nowUs();
  log(`waiting for --start-at ${manifest.startAt.at}`);
  const start = await waitForStart(clock, o.startAtMs, o.startToleranceMs, run.ctl.stop.signal);
  manifest.startAt.lateMs = start.lateUs / 1000;
  manifest.startAt.waitedMs = start.waitedUs / 1000;
  if (start.lateUs > 0)
    p.warnings.push(
      `started ${(start.lateUs / 1e6).toFixed(3)} s after --start-at: the first arrivals are late`,
    );
  return start.startUs;
}

/** CPU milliseconds of this process (all its threads) since `from`, or since it started. */
function cpuMsSince(from?: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return Math.round((used.user + used.system) / 1000);
}
