import type { TraceFunction } from '../trace/types.js';

/** One planned invocation. */
export interface Arrival {
  /** 0-based, in ascending atUs order; unique in a plan. */
  seq: number;
  /** Index into Schedule.functions. */
  fn: number;
  /** Fire time, microseconds from the run's start (after time-warp). */
  atUs: number;
  /** How long the synthetic function should run. */
  durationMs?: number;
  /** How much memory the synthetic function should touch. */
  memoryMb?: number;
}

/** A plan: data, not behaviour. arrivals() is lazy, ascending in atUs, and the same each call. */
export interface Schedule {
  readonly functions: readonly TraceFunction[];
  /** Planned invocations in total, known without iterating. */
  readonly count: number;
  /** Run time covered, microseconds. */
  readonly spanUs: number;
  arrivals(): Iterable<Arrival>;
}
