/**
 * What the manifest records about the monitors of a run: each monitor's summary, its gaps, and
 * their cost. Defined beside the manifest, so that the dataset needs nothing from src/monitor;
 * the monitors produce these (src/monitor/types.ts re-exports them).
 */
import type { Quantiles } from '../util/histogram.js';
import type { TableFact } from './manifest.js';

/** A time during which a monitor could not observe what it should. */
export interface MonitorGap {
  monitor: string;
  /** What was unreachable, e.g. `docker events`, an endpoint URL, a container id. */
  target: string;
  /** Epoch microseconds; toUs absent if the gap was still open when the monitor stopped. */
  fromUs: number;
  toUs?: number;
  reason: string;
}

export interface MonitorSummary {
  name: string;
  /** The tables it wrote (their manifest entries); MonitorsFact lists only their names. */
  tables: Record<string, TableFact>;
  /** Sampling ticks done, and ticks skipped because the previous one overran. */
  ticks: number;
  skippedTicks: number;
  /** Rows written in all. */
  rows: number;
  /** How late ticks started after their planned time (µs); null if no tick ran. */
  tickLateUs: Quantiles | null;
  /**
   * Wall time spent in the sampling ticks' synchronous work (reads and parsing), seconds: close
   * to the CPU the sampling costs (reads of /proc and /sys do not sleep).
   */
  busyS: number;
  /** Sum over ticks of the targets sampled (containers, processes), for a per-target cost. */
  targetSamples: number;
  gaps: MonitorGap[];
  /** Monitor-specific counts (events seen, containers vanished, scrapes failed, ...). */
  counts: Record<string, number>;
}

/** What the manifest records about the monitors of a run. */
export interface MonitorsFact {
  /** The monitors that ran, with their settings. */
  selected: string[];
  sampleIntervalMs: number;
  hostIntervalMs: number;
  scrapeIntervalMs: number;
  /**
   * CPU time of the thread the monitors ran on, seconds (/proc/thread-self/stat, user + system,
   * 10 ms resolution), from the moment all had started to their stop, the final Parquet
   * conversion left out: the observation's self-cost (reads, parsing, Docker events, Arrow
   * batches). null where /proc/thread-self is missing.
   */
  selfCpuS: number | null;
  /** selfCpuS over the same wall time: the share of one core the monitors took. */
  selfCpuShare: number | null;
  /** The same per container or process sample: selfCpuS / (samples of containers and processes). */
  selfCpuUsPerTargetSample: number | null;
  /** One-off costs: the thread's start (module loading) and the Parquet conversion at the end. */
  startupCpuS: number | null;
  parquetCpuS: number;
  wallS: number;
  monitors: (Omit<MonitorSummary, 'tables'> & { tables: string[] })[];
  /** Every gap of every monitor, in time order. */
  gaps: MonitorGap[];
  /** Monitors that failed to stop cleanly (e.g. a table not written: the message names the file). */
  errors: string[];
}
