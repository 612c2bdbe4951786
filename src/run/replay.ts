/**
 * replay(): a short pipeline of named steps, each in its own module: resolve the options, plan
 * (trace, run folder, platform, needs), open the run (tables, stop control), write the first
 * manifest, observe (monitors, instance events), deploy, choose the clock, warm up, fire, close
 * (teardown, monitors, tables, last manifest).
 */
import { recordInstanceEvents } from '../dataset/instance-events.js';
import type { Manifest } from '../dataset/manifest.js';
import { writeManifest } from '../dataset/manifest.js';
import { CpuWindow } from '../dispatch/pacing.js';
import { startMonitors } from '../monitor/run.js';
import { formatSummary, type RunSummary } from '../report/summary.js';
import { estimateClockOffset } from '../util/clock-offset.js';
import { closeReplay } from './replay-close.js';
import { chooseClock, deployPlan, firePlan, warmBeforeStart } from './replay-fire.js';
import { replayManifest } from './replay-manifest.js';
import { type ReplayOptions, resolveReplayOptions } from './replay-options.js';
import { planReplay } from './replay-plan.js';
import { openReplayRun } from './replay-run.js';
import { checkStartAt } from './start-at.js';

export { FREE_CORES_WINDOW_MS } from './replay-fire.js';
export { REPLAY_DEFAULTS, type ReplayConfig, type ReplayOptions } from './replay-options.js';

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
  const o = resolveReplayOptions(options);
  const log = o.log ?? (() => {});
  // Free cores, for --pacing auto: measured from here to the end of deploy (this process's own
  // work counts as free: its threads are the run's).
  const cpuWindow = o.pacing === 'auto' && !o.clock ? new CpuWindow() : undefined;
  // Before planning and deploying: a common start that has already passed fails at once.
  if (o.startAtMs !== undefined)
    checkStartAt(o.startAtMs, o.clock ? o.clock.nowUs() / 1000 : Date.now(), o.startToleranceMs);
  const p = await planReplay(o, log);
  const manifest = replayManifest(o, p);
  const run = openReplayRun(o, p, log);
  // From here on, whatever fails, the platform is torn down and the dataset closed (finally).
  let tableError: unknown;
  try {
    await writeManifest(p.dir, manifest);
    // Before deploy, so that instances started then (prewarm) are observed from their creation.
    if (p.monitorConfig.monitors.length > 0)
      run.monitors = await startMonitors(p.monitorConfig, { dir: p.dir, runId: p.runId, log });
    if (p.recordsInstances) run.instanceEvents = recordInstanceEvents(p.dir, p.runId);
    log(
      `replaying ${p.planned} invocations of ${p.deployed.length} functions over ${(p.schedule.spanUs / 1e6).toFixed(1)} s on ${p.platform.kind} -> ${p.dir}`,
    );
    if (p.shard || o.startAtMs !== undefined)
      manifest.clockOffset = await estimateClockOffset({ url: p.platform.address });
    await deployPlan(p, run);
    const clock = await chooseClock(o, p, run, cpuWindow);
    await warmBeforeStart(o, p, run, clock, log);
    await firePlan(o, p, run, clock, manifest, log);
  } finally {
    tableError = await closeReplay(o, p, run, manifest);
  }
  if (tableError) throw tableError;
  const summary = run.summary ?? run.collector.summary(0);
  log(formatSummary(summary));
  return { dir: p.dir, summary, manifest };
}
