/** What trace readers produce (src/trace) and planning consumes (src/schedule). */

/**
 * The trace formats faasload reads. 'csv' (one row per invocation, columns chosen by
 * ReadTraceOptions.csv) is never auto-detected: it has to be asked for.
 */
export type TraceFormat = 'azure2019' | 'azure2021' | 'huawei2023' | 'faasload' | 'csv';
export const TRACE_FORMATS: readonly TraceFormat[] = [
  'azure2019',
  'azure2021',
  'huawei2023',
  'faasload',
  'csv',
];

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
  /** The tenant, where the trace has one (FaaSLoad workload traces: one user per file). */
  user?: string;
  trigger?: string;
  /** Execution time in milliseconds (Azure 2019; plain CSV: the distribution of its duration column). */
  durationMs?: Percentiles;
  /**
   * Allocated memory in megabytes (Azure 2019: the app's memory split across its functions;
   * FaaSLoad: the MEMORY of the trace file name; plain CSV: the distribution of its memory column).
   */
  memoryMb?: Percentiles;
}

/**
 * One function's arrivals in trace time, microseconds from the trace's time 0.
 * - counts, dense (no `bins`): `counts[i]` invocations in [startUs + i*binUs, startUs + (i+1)*binUs).
 * - counts, sparse (`bins` given, same length as counts, ascending): `counts[i]` invocations in bin
 *   `bins[i]`; bins not listed have none. Readers of large traces keep only non-empty bins.
 * - times: one entry per invocation, ascending atUs; the optional columns have one entry per
 *   invocation too (durationMs[i] belongs to atUs[i]); a NaN duration or memory means unknown.
 */
export type ArrivalSource =
  | { kind: 'counts'; startUs: number; binUs: number; counts: Uint32Array; bins?: Uint32Array }
  | {
      kind: 'times';
      atUs: Float64Array;
      durationMs?: Float64Array;
      memoryMb?: Float64Array;
      /** FaaSLoad workload traces: the input named by each invocation, and its parameters. */
      inputs?: readonly (string | undefined)[];
      params?: readonly (Readonly<Record<string, string>> | undefined)[];
    };

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
   * Problems that did not stop the read (a duplicate row skipped or summed, a function without durations),
   * one sentence each, for the manifest and the CLI. Long runs of one kind are summarised.
   */
  readonly warnings?: readonly string[];
}

/**
 * What a reader does with rows that repeat a key the trace must hold once (Azure 2019: an (owner,
 * app, function) triple in the invocations or durations file, a triple or an app in the memory
 * file). Nothing is dropped silently:
 * - refuse (the default): a row error naming the file and line of both rows;
 * - sum: the invocations rows are one function: their minute counts are added. Durations and
 *   memory rows hold percentiles, which do not add: the first row is kept, with a warning;
 * - first: the first row is kept, the later ones are skipped, with a warning naming both lines.
 */
export const DUPLICATE_POLICIES = ['refuse', 'sum', 'first'] as const;
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];
export const DEFAULT_DUPLICATE_POLICY: DuplicatePolicy = 'refuse';

export interface ReadTraceOptions {
  format?: TraceFormat | 'auto';
  /** Repeated rows (Azure 2019; other formats have none to repeat): default refuse. */
  onDuplicate?: DuplicatePolicy;
  /**
   * The days to read, as the files number them: Azure 2019 raw days (from 1, concatenated in
   * time) or Huawei 2023 day files (from 0, consecutive). Other formats have no days.
   */
  days?: readonly number[];
  /** Plain CSV (`--format csv`): which columns hold what. */
  csv?: CsvTraceColumns;
}

/** The columns of a plain CSV trace: one row per invocation. */
export interface CsvTraceColumns {
  /**
   * The arrival time column; default `time`. Every column option is a header name, or a 0-based
   * column index written in digits ('0', '3') when no header cell has that name. The first line is
   * always the header.
   */
  timeColumn?: string;
  /** How to read it: seconds, milliseconds, microseconds, or date-time strings. Default s. */
  timeUnit?: 's' | 'ms' | 'us' | 'datetime';
  /** Optional columns; absent = a single function, unknown durations or memory. */
  functionColumn?: string;
  durationColumn?: string;
  /** Unit of the duration column; default ms. */
  durationUnit?: 's' | 'ms';
  memoryColumn?: string;
}
