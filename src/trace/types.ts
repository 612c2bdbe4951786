/** What trace readers produce (src/trace) and planning consumes (src/schedule). */

export type TraceFormat = 'azure2019' | 'azure2021';
export const TRACE_FORMATS: readonly TraceFormat[] = ['azure2019', 'azure2021'];

/**
 * A distribution given by percentiles: `points` maps a percentile in [0, 100] to a value, sorted
 * by percentile. Azure 2019 durations give 0,1,25,50,75,99,100; memory gives 1,5,25,50,75,95,99,100.
 */
export interface Percentiles {
  average?: number;
  points: ReadonlyArray<readonly [percentile: number, value: number]>;
}

export interface TraceFunction {
  /** Unique in the trace: Azure 2019 `owner/app/function` hashes, Azure 2021 `app/func`. */
  id: string;
  app?: string;
  trigger?: string;
  /** Execution time in milliseconds (Azure 2019). */
  durationMs?: Percentiles;
  /** Allocated memory in megabytes (Azure 2019, the app's memory split across its functions). */
  memoryMb?: Percentiles;
}

/**
 * One function's arrivals in trace time, microseconds from the trace's time 0.
 * - counts: `counts[i]` invocations in [startUs + i*binUs, startUs + (i+1)*binUs).
 * - times: one entry per invocation, ascending atUs; durationMs[i] belongs to atUs[i].
 */
export type ArrivalSource =
  | { kind: 'counts'; startUs: number; binUs: number; counts: Uint32Array }
  | { kind: 'times'; atUs: Float64Array; durationMs?: Float64Array };

export interface Trace {
  readonly format: TraceFormat;
  /** The files read, for the manifest (path as given, sha256 filled in by the run). */
  readonly files: readonly string[];
  readonly functions: readonly TraceFunction[];
  /** Trace time covered, from 0 to spanUs. */
  readonly spanUs: number;
  /** Arrivals of functions[fn]. */
  arrivals(fn: number): ArrivalSource;
  /**
   * Problems that did not stop the read (a duplicate row skipped, a function without durations),
   * one sentence each, for the manifest and the CLI. Long runs of one kind are summarised.
   */
  readonly warnings?: readonly string[];
}

export interface ReadTraceOptions {
  format?: TraceFormat | 'auto';
}
