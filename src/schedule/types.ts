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
  /** FaaSLoad workload traces: the input the invocation names, and its parameters. */
  input?: string;
  params?: Readonly<Record<string, string>>;
}

/**
 * Planned invocations in columns, in plan order: arrival i of the batch has seq `seq + i`.
 * NaN in durationMs or memoryMb means none; `source` is the invocation's index in its function's
 * per-invocation source (times traces), -1 for binned traces. durationMs and memoryMb may be
 * computed when first read (the planner draws them then): read them only if they are needed.
 */
export interface ArrivalBatch {
  readonly seq: number;
  readonly length: number;
  readonly fn: Uint32Array;
  readonly atUs: Float64Array;
  readonly durationMs: Float64Array;
  readonly memoryMb: Float64Array;
  readonly source: Int32Array;
}

export interface BatchOptions {
  /**
   * Reuse one set of arrays for every batch: each batch overwrites the previous one's columns,
   * so read a batch (durationMs and memoryMb included) before asking for the next. Saves tens of
   * MB of garbage on a long plan; for consumers that stream.
   */
  reuse?: boolean;
}

/** A plan: data, not behaviour. Generation is lazy, ascending in atUs, and the same each call. */
export interface Schedule {
  readonly functions: readonly TraceFunction[];
  /**
   * Run time covered, microseconds: the window divided by the speed, plus the time the copies of
   * its last arrivals may follow it (--scale above 1 on per-invocation traces, see copies.ts).
   */
  readonly spanUs: number;
  /** Planned invocations in total (generates the plan once to count them, then remembers). */
  count(): number;
  /** The plan in columnar batches (fast; one batch per trace minute or so). */
  batches(options?: BatchOptions): Iterable<ArrivalBatch>;
  /** The plan one arrival at a time. */
  arrivals(): Iterable<Arrival>;
}
