import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { LagAlert } from '../dispatch/live.js';
import { FaasloadError } from '../errors.js';
import type { LatencyShares } from '../report/latency-breakdown.js';
import type { GcFact } from '../run/gc-watch.js';
import type { NeedsFact } from '../run/needs.js';
import type { YoungGenerationFact } from '../run/young-generation.js';
import type { ClockOffsetFact } from '../util/clock-offset.js';
import type { Quantiles } from '../util/histogram.js';
import { messageOf } from '../util/message.js';
import type { ColumnSpec } from './columns.js';
import type { MonitorsFact } from './monitors-fact.js';

export const MANIFEST_VERSION = '1';

export interface TraceFileFact {
  path: string;
  bytes: number;
  sha256: string;
}

export interface TableFact {
  file: string;
  rows: number;
  schemaVersion: string;
  columns: readonly Pick<ColumnSpec, 'name' | 'kind' | 'nullable' | 'doc'>[];
}

/** Everything needed to reproduce and to cite a run; never credentials. */
export interface Manifest {
  manifestVersion: string;
  tool: { name: 'faasload'; version: string };
  runId: string;
  commandLine: readonly string[];
  /** The full resolved configuration, defaults included. */
  config: Record<string, unknown>;
  seed: number;
  trace: { format: string; files: TraceFileFact[] };
  platform: { kind: string; address: string };
  host: {
    os: string;
    release: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    node: string;
  };
  startedAt: string;
  endedAt?: string;
  /** complete; stopped (by a signal or the caller); aborted (--abort-on-lag); failed. */
  status: 'complete' | 'stopped' | 'aborted' | 'failed';
  counts: Record<string, number>;
  /** How the plan was fired and how well: written at the end of a replay. */
  dispatch?: DispatchFacts;
  /**
   * --shard: this run is shard `index` (from 0) of `count` shards of one replay; its planned
   * invocations, and every shard's (the same list in every shard's manifest).
   */
  shard?: { index: number; count: number; planned?: number; plannedPerShard?: readonly number[] };
  /** --start-at: the shards' common time 0 (UTC); how late this run began after it, and how long it waited. */
  startAt?: { at: string; toleranceMs: number; lateMs?: number; waitedMs?: number };
  /** With --shard or --start-at: this machine's clock offset estimate (clock sync is the cluster's job). */
  clockOffset?: ClockOffsetFact;
  /** The monitors that ran: settings, their own CPU cost, gaps (see src/monitor). */
  monitors?: MonitorsFact;
  /**
   * What the plan needed (src/report/plan-needs.ts), measured before it was fired: against this
   * machine and the pool on the embedded platform, the --scale that fits, and with --fit the
   * scale applied and the needs after it.
   */
  needs?: NeedsFact;
  tables: Record<string, TableFact>;
  warnings: string[];
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

export function hostFacts(): Manifest['host'] {
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
