/**
 * Step 7 of a replay, whatever happened before: the platform torn down, the monitors stopped, the
 * tables closed (a table that cannot be finished fails the run, after its manifest), the derived
 * tables written, and the manifest's last write with the counts and the dispatch facts.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { INVOCATIONS_COLUMNS, INVOCATIONS_SCHEMA_VERSION } from '../dataset/invocations.js';
import type { Manifest } from '../dataset/manifest.js';
import { TIMELINE_COLUMNS, TIMELINE_SCHEMA_VERSION } from '../dataset/timeline.js';
import type { LiveStats } from '../dispatch/live.js';
import { gapWarning, MONITOR_DEFAULTS } from '../monitor/set.js';
import { WORKFLOW_STEPS_COLUMNS, WORKFLOW_STEPS_SCHEMA_VERSION } from '../workflow/index.js';
import { dispatchFacts } from './replay-manifest.js';
import type { ResolvedReplayOptions } from './replay-options.js';
import type { ReplayPlan } from './replay-plan.js';
import type { ReplayRun } from './replay-run.js';
import { finishManifest } from './steps/manifest.js';
import { stopMonitors } from './steps/monitors.js';
import { closeTableKeeping, writeTable } from './steps/tables.js';

/** Closes the run into its manifest; the error that failed the tables, if one did. */
export async function closeReplay(
  o: ResolvedReplayOptions,
  p: ReplayPlan,
  run: ReplayRun,
  manifest: Manifest<'replay'>,
): Promise<unknown> {
  await run.pacedClock?.close();
  // The instances' state after the last invocation gets sampled before they are removed.
  if (run.monitors)
    await sleepMs(2 * (p.monitorConfig.sampleIntervalMs ?? MONITOR_DEFAULTS.sampleIntervalMs));
  await p.platform.teardown();
  run.ctl.dispose();
  if (run.instanceEvents) manifest.tables.instance_events = await run.instanceEvents.close();
  // After teardown, so that the instances' last events (die, destroy) are in.
  if (run.monitors) {
    const stopped = await stopMonitors(run.monitors, p.warnings);
    if (stopped) {
      manifest.monitors = stopped.fact;
      Object.assign(manifest.tables, stopped.tables);
      p.warnings.push(
        ...stopped.fact.gaps.map(gapWarning),
        ...stopped.fact.errors.map((e) => `monitor ${e}`),
      );
    }
  }
  const tableError = await closeTables(p, run, manifest);
  const summary = run.summary ?? run.collector.summary(0);
  run.summary = summary;
  manifest.counts = {
    ...manifest.counts,
    sent: summary.sent,
    ...summary.outcomes,
    coldStarts: summary.coldStarts,
  };
  manifest.dispatch = dispatchFacts(o, p, { ...run, summary, stop: run.ctl.stop.signal });
  await finishManifest(p.dir, manifest, tableError);
  return tableError;
}

/** The run's tables closed into the manifest, then those derived from them; the first failure. */
async function closeTables(p: ReplayPlan, run: ReplayRun, manifest: Manifest<'replay'>): Promise<unknown> {
  const invocations = await closeTableKeeping(run.writer, INVOCATIONS_SCHEMA_VERSION, INVOCATIONS_COLUMNS);
  manifest.tables.invocations = invocations.fact;
  let tableError = invocations.error;
  if (run.stepsWriter) {
    const steps = await closeTableKeeping(
      run.stepsWriter,
      WORKFLOW_STEPS_SCHEMA_VERSION,
      WORKFLOW_STEPS_COLUMNS,
    );
    manifest.tables.workflow_steps = steps.fact;
    tableError ??= steps.error;
  }
  if (run.live && !tableError) manifest.tables.timeline = await writeTimeline(p, run.live);
  // Per-activation counter deltas need both tables closed (the perf monitor's and invocations).
  // Loaded only when the perf monitor wrote counters: it brings parquet-wasm into this thread,
  // a start-up cost every run would pay otherwise.
  if (!tableError && manifest.tables.counters) {
    const { addInvocationCounters } = await import('../monitor/perf-invocations.js');
    await addInvocationCounters(p.dir, p.runId, manifest, p.warnings);
  }
  return tableError;
}

/** The per-second timeline of the run (requested, sent, completed, lateness). */
function writeTimeline(p: ReplayPlan, live: LiveStats) {
  return writeTable(p, 'timeline', TIMELINE_COLUMNS, TIMELINE_SCHEMA_VERSION, live.timeline());
}
