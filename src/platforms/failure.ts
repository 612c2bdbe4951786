/**
 * Why an invocation failed, as a closed set of kinds: set by whoever knows (the adapter, the
 * embedded platform, the HTTP clients, the dispatcher), written to the invocations dataset as
 * `failure`, and read by the retry wrapper, the summary and the report. The message (`error`)
 * stays free text for people; behaviour is decided on the kind only.
 */

/** Every failure kind, in the order summaries list them. */
export const FAILURE_KINDS = [
  /** The connection to the platform could not be opened, or broke before the answer was complete. */
  'connect',
  /** No answer within the time limit: the client's --timeout, a 408, or the platform's own limit. */
  'timeout',
  /** Turned away for want of room: 429 (throttled), 503 (unavailable), 504 (the gateway gave up). */
  'capacity',
  /** The platform does not know the function: 404, or a function the embedded platform never deployed. */
  'not_found',
  /** The function's code did not initialize (the embedded platform's /init failed or timed out). */
  'init',
  /** The function ran and failed: it threw, returned no result, or its instance exited under it
   * (OpenWhisk's application and developer errors, 502 from a runtime, Lambda's function errors). */
  'application',
  /** Its instance was killed for exceeding its memory limit. */
  'oom',
  /** The platform failed or refused otherwise: 401, 403, another 4xx or 5xx, an answer faasload could
   * not understand, an instance it could not start or lost, a memory limit larger than its pool. */
  'platform',
  /** faasload could not make the request: parameters the bound workload refuses, a URL template that
   * cannot be filled, an adapter already torn down, an adapter that threw. */
  'client',
  /** Not sent: the run was stopped first. */
  'cancelled',
  /** Sent, then abandoned: the run was stopped while it was under way. */
  'aborted',
  /** Not sent: the in-flight cap (--max-in-flight) or --max-lateness. */
  'dropped',
] as const;

export type FailureKind = (typeof FAILURE_KINDS)[number];

/**
 * The kind of a failed HTTP answer, by its status alone, for platforms with no better knowledge:
 * 404 not_found, 408 timeout, 429, 503 and 504 capacity, anything else platform. An adapter that
 * knows more (OpenWhisk's 502 is an application error) decides before calling this.
 */
export function failureOfStatus(status: number): FailureKind {
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429 || status === 503 || status === 504) return 'capacity';
  return 'platform';
}

/** Failures worth sending again: nothing ran, and a later send may be served. */
const RETRYABLE: ReadonlySet<FailureKind> = new Set<FailureKind>(['connect', 'capacity']);

/** Whether a failure of this kind may be sent again (see RETRYABLE). */
export function isRetryable(kind: FailureKind | undefined): boolean {
  return kind !== undefined && RETRYABLE.has(kind);
}

/** Counts per failure kind, every kind present (0 when none). */
export type FailureCounts = Record<FailureKind, number>;

export function emptyFailureCounts(): FailureCounts {
  return Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as FailureCounts;
}

/** Whether a text read back from a dataset is a failure kind. */
export function isFailureKind(x: unknown): x is FailureKind {
  return typeof x === 'string' && (FAILURE_KINDS as readonly string[]).includes(x);
}
