/** A replay's manifest: its first version (before anything is started) and its dispatch facts. */
import type { DispatchFacts, Manifest, WarmUpFacts } from '../dataset/manifest.js';
import type { DispatchStats } from '../dispatch/dispatcher.js';
import type { LagAlert } from '../dispatch/live.js';
import type { RunSummary } from '../report/summary.js';
import { commandLineWithoutCredentials, withoutCredentials } from './credentials.js';
import type { GcFact } from './gc-watch.js';
import type { ResolvedReplayOptions } from './replay-options.js';
import type { ReplayPlan } from './replay-plan.js';
import { startManifest } from './steps/manifest.js';
import type { YoungGenerationFact } from './young-generation.js';

/** The replay's manifest as the run starts: its resolved config (no credentials), plan, needs, shard. */
export function replayManifest(o: ResolvedReplayOptions, p: ReplayPlan): Manifest<'replay'> {
  const {
    signal: _signal,
    hardSignal: _hardSignal,
    log: _log,
    clock: _clock,
    platformAdapter: _p,
    progress: _progress,
    commandLine,
    ...config
  } = o;
  const manifest = startManifest({
    command: 'replay',
    runId: p.runId,
    commandLine: commandLineWithoutCredentials(commandLine ?? []),
    config: { ...withoutCredentials(config), plan: p.schedule.options },
    seed: p.schedule.options.seed,
    trace: { format: p.trace.format, files: p.traceFiles },
    platform: { kind: p.platform.kind, address: p.platform.address },
    startedAt: p.startedAt.toISOString(),
    counts: { planned: p.planned, functions: p.deployed.length },
    warnings: p.warnings,
  });
  const { shard } = p;
  if (shard) {
    manifest.shard = {
      index: shard.index,
      count: shard.count,
      planned: shard.planned,
      plannedPerShard: shard.plannedPerShard,
    };
  }
  if (o.startAtMs !== undefined)
    manifest.startAt = { at: new Date(o.startAtMs).toISOString(), toleranceMs: o.startToleranceMs };
  manifest.needs = p.needs;
  return manifest;
}

/** How the plan was fired and how well (the manifest's `dispatch`), at the end of the run. */
export function dispatchFacts(
  o: ResolvedReplayOptions,
  p: ReplayPlan,
  r: {
    pacing: { pacing: string; reason: string };
    warmedBeforeStart?: WarmUpFacts | undefined;
    startup?: { cpuMs: number; wallMs: number } | undefined;
    youngGeneration?: YoungGenerationFact | undefined;
    gc?: GcFact | undefined;
    stats?: DispatchStats | undefined;
    summary: RunSummary;
    alerts: LagAlert[];
    stop: AbortSignal;
  },
): DispatchFacts {
  const { summary, stop } = r;
  return {
    pacing: r.pacing.pacing,
    pacingReason: r.pacing.reason,
    warmupMs: o.warmupMs,
    ...(r.warmedBeforeStart ? { warmedBeforeStart: r.warmedBeforeStart } : {}),
    ...(r.startup ? { startup: r.startup } : {}),
    ...(r.youngGeneration ? { youngGeneration: r.youngGeneration } : {}),
    ...(r.gc ? { gc: r.gc } : {}),
    requestedPerS: p.schedule.spanUs > 0 ? p.planned / (p.schedule.spanUs / 1e6) : 0,
    achievedPerS: r.stats && summary.durationS > 0 ? summary.sent / summary.durationS : 0,
    droppedLate: r.stats?.droppedLate ?? 0,
    latenessUs: summary.latenessUs,
    latencyUs: summary.latencyUs,
    latencyFromScheduleUs: summary.latencyFromScheduleUs,
    latencyBreakdown: summary.latencyBreakdown,
    lagAlerts: r.alerts,
    ...(stop.aborted ? { stopReason: String(stop.reason?.message ?? stop.reason) } : {}),
  };
}
