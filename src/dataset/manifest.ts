import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { LagAlert } from '../dispatch/live.js';
import { FaasloadError } from '../errors.js';
import type { GenerateConfig, GenerationFacts } from '../generate/run.js';
import type { LatencyShares } from '../report/latency-breakdown.js';
import type { GcFact } from '../run/gc-watch.js';
import type { NeedsFact } from '../run/needs.js';
import type { ReplayConfig } from '../run/replay-options.js';
import type { YoungGenerationFact } from '../run/young-generation.js';
import type { SimulateConfig, SimulationFacts } from '../simulate/run.js';
import type { ClockOffsetFact } from '../util/clock-offset.js';
import type { Quantiles } from '../util/histogram.js';
import { messageOf } from '../util/message.js';
import type { ColumnSpec } from './columns.js';
import type { MonitorsFact } from './monitors-fact.js';

/**
 * 2: every manifest names its `command`; generate writes one as replay and simulate do (its
 * plan and sessions under `generation`). Manifests of version 1 (and of generate before it) are
 * still read: see manifest-read.ts.
 */
export const MANIFEST_VERSION = '2';

/** What wrote a manifest: a run (replay, simulate), a generation, or `dataset merge`. */
export const MANIFEST_COMMANDS = ['replay', 'simulate', 'generate', 'merge'] as const;
export type ManifestCommand = (typeof MANIFEST_COMMANDS)[number];

export interface TraceFileFact {
  path: string;
  bytes: number;
  sha256: string;
}

export interface TableFact {
  /** The table's file, relative to the folder (for a table written in parts: their folder). */
  file: string;
  rows: number;
  schemaVersion: string;
  columns: readonly Pick<ColumnSpec, 'name' | 'kind' | 'nullable' | 'doc'>[];
  /** A table written in parts (generate, one per session): their files, as a glob relative to the folder. */
  files?: string;
}

/** Which shard of a sharded plan a run fired (replay --shard I/N), and the planned invocations of each. */
export interface ShardFact {
  index: number;
  count: number;
  planned?: number;
  plannedPerShard?: readonly number[];
}

/** Written by `faasload dataset recover`: what was read back from the streams, per table. */
export interface RecoveryFact {
  at: string;
  tables: Record<
    string,
    { rows: number; batches: number; ended: boolean; droppedBytes: number; droppedReason?: string }
  >;
}

/** Written by `faasload dataset merge`: the runs the dataset was made of. */
export interface MergeFact {
  runs: { dir: string; runId: string; status: string; planned: number; shard?: ShardFact }[];
  /**
   * When every run is a shard of one plan: their count, which are missing, and the whole plan's
   * size when the shards' manifests give it.
   */
  shards?: { count: number; missing: number[]; planned?: number };
}

/** `dataset merge`'s configuration: the run folders merged, in order. */
export interface MergeConfig {
  merge: string[];
  /** A merge reads no trace (declared so that every command's config can be asked for it). */
  onDuplicate?: never;
}

/** The resolved configuration of each command, as its manifest records it (`config`). */
export interface ManifestConfigs {
  replay: ReplayConfig;
  simulate: SimulateConfig;
  generate: GenerateConfig;
  merge: MergeConfig;
}

/**
 * A section that only the manifests of the commands `Of` have: in another command's manifest its
 * type is never, so that the compiler refuses to write it there.
 */
type Section<C extends ManifestCommand, Of extends ManifestCommand, T> = C extends Of ? T : never;

export type HostFacts = {
  os: string;
  release: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
};

/**
 * Everything needed to reproduce and to cite a run, a generation or a merge; never credentials.
 * `Manifest<'replay'>` is a replay's; `Manifest` (every command) has each section as optional,
 * and AnyManifest is the same as a union that `command` narrows. Written by writeManifest, read
 * by readManifestFile (manifest-read.ts), nowhere else.
 */
export interface Manifest<C extends ManifestCommand = ManifestCommand> {
  manifestVersion: string;
  command: C;
  tool: { name: 'faasload'; version: string };
  runId: string;
  commandLine: readonly string[];
  /** The full resolved configuration, defaults included. */
  config: ManifestConfigs[C];
  seed: number;
  /** What was read: the trace files (for generate, its plan file), each with its sha256. */
  trace: { format: string; files: TraceFileFact[] };
  platform: { kind: string; address: string };
  host: HostFacts;
  startedAt: string;
  endedAt?: string;
  /** complete; stopped (by a signal or the caller); aborted (--abort-on-lag); failed. */
  status: 'complete' | 'stopped' | 'aborted' | 'failed';
  counts: Record<string, number>;
  tables: Record<string, TableFact>;
  warnings: string[];
  /** replay: how the plan was fired and how well, written at its end. */
  dispatch?: Section<C, 'replay', DispatchFacts>;
  /**
   * replay --shard: this run is shard `index` (from 0) of `count` shards of one replay; its
   * planned invocations, and every shard's (the same list in every shard's manifest).
   */
  shard?: Section<C, 'replay', ShardFact>;
  /** replay --start-at: the shards' common time 0 (UTC); how late this run began after it, and how long it waited. */
  startAt?: Section<C, 'replay', StartAtFact>;
  /** replay with --shard or --start-at: this machine's clock offset estimate (clock sync is the cluster's job). */
  clockOffset?: Section<C, 'replay', ClockOffsetFact>;
  /** replay: the monitors that ran: settings, their own CPU cost, gaps (see src/monitor). */
  monitors?: Section<C, 'replay', MonitorsFact>;
  /**
   * replay: what the plan needed (src/report/plan-needs.ts), measured before it was fired:
   * against this machine and the pool on the embedded platform, the --scale that fits, and with
   * --fit the scale applied and the needs after it.
   */
  needs?: Section<C, 'replay', NeedsFact>;
  /** simulate: the time it took, each policy's summary, the calibration and workflows. */
  simulation?: Section<C, 'simulate', SimulationFacts>;
  /** simulate: the figures drawn, relative to the folder. */
  figures?: Section<C, 'simulate', string[]>;
  /** generate: the plan as written (with its sha256) and the sessions so far. */
  generation?: Section<C, 'generate', GenerationFacts>;
  /** dataset recover: what was read back from the streams of a crashed run. */
  recovered?: Section<C, 'replay' | 'simulate' | 'merge', RecoveryFact>;
  /** dataset merge: the runs merged. */
  merged?: Section<C, 'merge', MergeFact>;
}

/** One command's manifest per member: `command` narrows it (what readManifestFile returns). */
export type AnyManifest = { [C in ManifestCommand]: Manifest<C> }[ManifestCommand];

/** --start-at as the manifest records it. */
export interface StartAtFact {
  at: string;
  toleranceMs: number;
  lateMs?: number;
  waitedMs?: number;
}

export interface WarmUpFacts {
  /** Throw-away invocations run through the dispatcher, the send path and the row path. */
  invocations: number;
  /** Whether the platform ran its own send path (and opened its connections), else a no-op one. */
  sendPath: 'platform' | 'none';
  durationMs: number;
  /** CPU of this process (all its threads) over the warm-up. */
  cpuMs: number;
}

export interface DispatchFacts {
  pacing: string;
  pacingReason: string;
  warmupMs: number;
  /** What was warmed before time zero (throw-away work, not in the dataset), and how long it took. */
  warmedBeforeStart?: WarmUpFacts;
  /**
   * Start-up: CPU of this process (all its threads) and wall time from the process's start to the
   * run's time zero: loading the code, reading and planning the trace, deploying, starting the
   * worker threads (dataset writer, monitors) and the warm-up.
   */
  startup?: { cpuMs: number; wallMs: number };
  /** The young generation the dispatcher's thread ran with (--semi-space-mb), read at time zero. */
  youngGeneration?: YoungGenerationFact;
  /** The dispatcher's thread's garbage collections during the run: count, total and longest pause. */
  gc?: GcFact;
  /** Planned invocations over the planned run time, and sent ones over the run's duration. */
  requestedPerS: number;
  achievedPerS: number;
  /** Dropped because they were past --max-lateness when their turn came. */
  droppedLate: number;
  /** Over the measured phase (warm-up left out), microseconds, HdrHistogram 3 digits. */
  latenessUs: Quantiles | null;
  latencyUs: Quantiles | null;
  latencyFromScheduleUs: Quantiles | null;
  /** Shares of latency waiting, in init, in execution and elsewhere (report/latency-breakdown.ts). */
  latencyBreakdown?: LatencyShares | null;
  lagAlerts: LagAlert[];
  /** Why firing stopped early (a signal, a lag alert), when it did. */
  stopReason?: string;
}

export function hostFacts(): HostFacts {
  const cpu = cpus();
  return {
    os: platform(),
    release: release(),
    arch: arch(),
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
  };
}

/** sha256 and size of each trace file; a folder contributes each of its files. */
export async function traceFileFacts(paths: readonly string[]): Promise<TraceFileFact[]> {
  const facts: TraceFileFact[] = [];
  for (const path of paths) {
    const s = await stat(path);
    if (s.isDirectory()) {
      const entries = (await readdir(path)).sort();
      facts.push(...(await traceFileFacts(entries.map((e) => join(path, e)))));
      continue;
    }
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    facts.push({ path, bytes: s.size, sha256: hash.digest('hex') });
  }
  return facts;
}

/**
 * Writes manifest.json whole or not at all (a temporary file renamed over it), so that a full
 * disk leaves the previous manifest in place; the error names the file.
 */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const path = join(dir, 'manifest.json');
  try {
    await writeFile(`${path}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(`${path}.partial`, path);
  } catch (err) {
    await rm(`${path}.partial`, { force: true }).catch(() => {});
    throw new FaasloadError('E_DATASET', `${path}: could not write the manifest (${messageOf(err)})`, {
      cause: err,
    });
  }
}
