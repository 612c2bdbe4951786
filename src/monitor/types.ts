/**
 * The monitor seam: a monitor observes something (containers, processes, the host, Prometheus
 * endpoints) while a replay runs and writes its own table(s) through TableWriter.
 *
 * Contract: start() resolves once the monitor is observing (its tables are open); it never
 * throws for what it observes going away (an engine, a container, an endpoint): that is a gap,
 * recorded in the summary. stop() ends the observation, closes the tables (Parquet) and resolves
 * with what it did; it is called once.
 */
import type { MonitorSummary } from '../dataset/monitors-fact.js';

export type { MonitorGap, MonitorSummary, MonitorsFact } from '../dataset/monitors-fact.js';

export interface MonitorContext {
  /** The run folder: tables go to <dir>/<table>.parquet. */
  dir: string;
  runId: string;
  /** Warnings and notable events (a gap opening, a reconnect). Must not block. */
  log: (line: string) => void;
}

export interface Monitor {
  readonly name: string;
  start(context: MonitorContext): Promise<void>;
  stop(): Promise<MonitorSummary>;
}
