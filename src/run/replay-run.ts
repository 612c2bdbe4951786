/**
 * A replay under way: its tables, its summary, how it stops, and what it learns as it goes (the
 * pacing chosen, the warm-up, the dispatcher's figures), read by the steps that fire and close it.
 */
import type { InstanceEventsRecorder } from '../dataset/instance-events.js';
import { INVOCATIONS_COLUMNS, INVOCATIONS_SCHEMA_VERSION } from '../dataset/invocations.js';
import type { WarmUpFacts } from '../dataset/manifest.js';
import type { TableWriter } from '../dataset/table-writer.js';
import type { DispatchStats } from '../dispatch/dispatcher.js';
import type { LagAlert, LiveStats } from '../dispatch/live.js';
import type { PacedClock } from '../dispatch/pacing.js';
import type { RunningMonitors } from '../monitor/run.js';
import { type RunSummary, SummaryCollector } from '../report/summary.js';
import { WORKFLOW_STEPS_COLUMNS, WORKFLOW_STEPS_SCHEMA_VERSION } from '../workflow/index.js';
import type { GcFact } from './gc-watch.js';
import type { ResolvedReplayOptions } from './replay-options.js';
import type { ReplayPlan } from './replay-plan.js';
import { type StopControl, stopControl } from './steps/stop.js';
import { openTable } from './steps/tables.js';
import type { YoungGenerationFact } from './young-generation.js';

export interface ReplayRun {
  readonly writer: TableWriter;
  readonly stepsWriter: TableWriter | undefined;
  readonly collector: SummaryCollector;
  readonly ctl: StopControl;
  readonly alerts: LagAlert[];
  /** Resolved after deploy, when the free cores are known. */
  pacing: { pacing: string; reason: string };
  warmedBeforeStart?: WarmUpFacts;
  startup?: { cpuMs: number; wallMs: number };
  youngGeneration?: YoungGenerationFact;
  gc?: GcFact;
  live?: LiveStats;
  stats?: DispatchStats;
  pacedClock?: PacedClock;
  summary?: RunSummary;
  monitors?: RunningMonitors;
  instanceEvents?: InstanceEventsRecorder;
}

/**
 * Step 3 of a replay: its tables opened and its stop control. A full or too slow disk stops the
 * run: the rows already written stay (see TableWriter).
 */
export function openReplayRun(
  o: ResolvedReplayOptions,
  p: ReplayPlan,
  log: (line: string) => void,
): ReplayRun {
  const ctl = stopControl({ signal: o.signal, hardSignal: o.hardSignal, graceMs: o.graceMs });
  const onError = (err: Error) => {
    log(`error: ${err.message}; stopping the run`);
    ctl.stop.abort(err);
  };
  const writer = openTable(p, 'invocations', INVOCATIONS_COLUMNS, INVOCATIONS_SCHEMA_VERSION, { onError });
  const stepsWriter = p.workflows
    ? openTable(p, 'workflow_steps', WORKFLOW_STEPS_COLUMNS, WORKFLOW_STEPS_SCHEMA_VERSION, { onError })
    : undefined;
  return {
    writer,
    stepsWriter,
    collector: new SummaryCollector(),
    ctl,
    alerts: [],
    pacing: {
      pacing: o.clock ? 'caller' : o.pacing,
      reason: o.clock ? 'a clock given by the caller' : 'not resolved: the run stopped before it started',
    },
  };
}
