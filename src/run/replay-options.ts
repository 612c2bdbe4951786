/**
 * A replay's options: the one typed configuration object, its defaults (REPLAY_DEFAULTS) and the
 * first step of a replay, resolving them.
 */

import type { Clock } from '../dispatch/clock.js';
import { DISPATCH_DEFAULTS } from '../dispatch/dispatcher.js';
import { LIVE_DEFAULTS } from '../dispatch/live.js';
import type { PacingChoice } from '../dispatch/pacing.js';
import type { MonitorOptions } from '../monitor/set.js';
import type { PlatformOptions } from '../platforms/registry.js';
import type { PlatformAdapter } from '../platforms/types.js';
import type { WrapperOptions } from '../platforms/wrappers.js';
import type { ProgressTarget } from '../report/progress.js';
import type { ResolvedPlanOptions } from '../schedule/plan.js';
import { DEFAULT_DUPLICATE_POLICY } from '../trace/types.js';
import { definedOnly } from '../util/defined.js';
import type { DagShapeSpec } from '../workflow/index.js';
import type { InvokeViaChoice } from './invoke-via.js';
import type { TracePlanOptions } from './load-plan.js';
import { DEFAULT_START_TOLERANCE_MS } from './start-at.js';

/**
 * The whole configuration of a replay: one typed object; defaults live in REPLAY_DEFAULTS and,
 * for planning, in plan(). The platform's options are PlatformOptions' (registry.ts).
 */
export interface ReplayOptions extends TracePlanOptions, WrapperOptions, PlatformOptions {
  platform?: string;
  /**
   * Embedded platform: when the plan's needs (run/needs.ts) exceed this machine or the pool,
   * replay it at the --scale that fits instead (recorded in the manifest's needs.fit).
   */
  fit?: boolean;
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

/** The options with their defaults: what every step of a replay reads. */
export type ResolvedReplayOptions = ReturnType<typeof resolveReplayOptions>;

/** Step 1 of a replay: the caller's options over the defaults (an undefined option takes its default). */
export function resolveReplayOptions(options: ReplayOptions) {
  // The required options are defined: they stay as ReplayOptions types them.
  return { ...REPLAY_DEFAULTS, ...(definedOnly(options) as ReplayOptions) };
}
