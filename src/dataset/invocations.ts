import type { InvocationRecord } from '../dispatch/dispatcher.js';
import { FAILURE_KINDS } from '../platforms/failure.js';
import type { ColumnSpec, RowOf } from './columns.js';

/** Bumped whenever a column is added, removed or changes meaning. */
export const INVOCATIONS_SCHEMA_VERSION = '7';

/** invocations: one row per planned invocation, dropped and cancelled ones included. */
export const INVOCATIONS_COLUMNS = [
  {
    name: 'seq',
    kind: 'int64',
    nullable: false,
    doc: 'position in the plan, 0-based, ascending scheduled_at',
  },
  { name: 'function', kind: 'utf8', nullable: false, doc: "the trace's function id" },
  { name: 'target', kind: 'utf8', nullable: false, doc: 'the action name on the platform' },
  {
    name: 'phase',
    kind: 'utf8',
    nullable: false,
    doc: 'warmup (the plan prefix of --warmup, left out of the summary figures) | measure',
  },
  { name: 'scheduled_at', kind: 'timestamp_us', nullable: false, doc: 'planned fire time (UTC)' },
  {
    name: 'fired_at',
    kind: 'timestamp_us',
    nullable: false,
    doc: 'when the dispatcher handed it to the platform adapter, or decided not to send it (UTC)',
  },
  {
    name: 'sent_at',
    kind: 'timestamp_us',
    nullable: true,
    doc: 'when the request was written to the socket (HTTP adapters), else handed to the platform (UTC); null if not sent',
  },
  { name: 'ended_at', kind: 'timestamp_us', nullable: true, doc: 'when its answer was complete (UTC)' },
  { name: 'lateness_us', kind: 'int64', nullable: true, doc: 'sent_at - scheduled_at, microseconds' },
  { name: 'latency_us', kind: 'int64', nullable: true, doc: 'ended_at - sent_at, microseconds' },
  {
    name: 'latency_from_schedule_us',
    kind: 'int64',
    nullable: true,
    doc: 'ended_at - scheduled_at, microseconds: latency with the lateness in it (no coordinated omission)',
  },
  {
    name: 'outcome',
    kind: 'utf8',
    nullable: false,
    doc: 'ok | error | timeout | dropped (not sent: in-flight cap or --max-lateness) | cancelled (not sent: run stopped)',
  },
  { name: 'http_status', kind: 'int32', nullable: true, doc: "the platform's HTTP status" },
  { name: 'cold_start', kind: 'bool', nullable: true, doc: 'the platform started an instance for it' },
  { name: 'wait_ms', kind: 'float64', nullable: true, doc: 'platform-reported queueing time, ms' },
  {
    name: 'wait_reason',
    kind: 'utf8',
    nullable: true,
    doc: 'embedded platform: what it waited for: none | start_slot (cold starts at their cap) | memory (pool full, nothing idle to evict) | instance_busy (a slot of its own function)',
  },
  {
    name: 'init_ms',
    kind: 'float64',
    nullable: true,
    doc: 'platform-reported instance init time (cold starts), ms',
  },
  { name: 'exec_ms', kind: 'float64', nullable: true, doc: 'platform-reported execution time, ms' },
  {
    name: 'activation_id',
    kind: 'utf8',
    nullable: true,
    doc: "the platform's activation id",
    encoding: 'plain', // random ids: a dictionary would only cost time
  },
  {
    name: 'instance_id',
    kind: 'utf8',
    nullable: true,
    doc: 'the function instance (container or process) that ran it',
    distinct: 'many', // thousands in a large run: copied, not looked up
  },
  {
    name: 'requested_duration_ms',
    kind: 'float64',
    nullable: true,
    doc: 'duration asked of the synthetic function, ms',
  },
  {
    name: 'requested_memory_mb',
    kind: 'float64',
    nullable: true,
    doc: 'memory asked of the synthetic function, MB',
    encoding: 'dictionary', // a few sizes
  },
  { name: 'error', kind: 'utf8', nullable: true, doc: 'what went wrong, when outcome is not ok' },
  {
    name: 'failure',
    kind: 'utf8',
    nullable: true,
    doc: `why it failed, null when ok: ${FAILURE_KINDS.join(' | ')} (see docs/platforms.md)`,
  },
  { name: 'billed_ms', kind: 'float64', nullable: true, doc: 'platform-reported billed time, ms (Lambda)' },
  {
    name: 'max_memory_mb',
    kind: 'float64',
    nullable: true,
    doc: 'platform-reported peak memory used, MB (Lambda)',
  },
  {
    name: 'cpu_ms',
    kind: 'float64',
    nullable: true,
    doc: "CPU time (user + system) the function used in the call, ms, as it reported it: the embedded platform's actions measure it with process.cpuUsage; null elsewhere",
  },
  {
    name: 'attempts',
    kind: 'int32',
    nullable: true,
    doc: 'sends it took with --retries; null when retries are off',
  },
  {
    name: 'invoked_via',
    kind: 'utf8',
    nullable: true,
    doc: 'how it was made (--invoke-via): direct (the action invoked) | trigger (a trigger fired, its rule invoked the action); null if not sent',
  },
  {
    name: 'trigger_activation_id',
    kind: 'utf8',
    nullable: true,
    doc: "invoked_via trigger: the trigger's own activation id",
    encoding: 'plain',
  },
  {
    name: 'trigger_ms',
    kind: 'float64',
    nullable: true,
    doc: "invoked_via trigger: platform-reported delay from the trigger's activation to the start of the action's, ms",
  },
] as const satisfies readonly ColumnSpec[];

/** One row of invocations, typed from its schema. */
export type InvocationRow = RowOf<typeof INVOCATIONS_COLUMNS>;

/** Maps a settled invocation to its row; `names` gives each function's trace id and target. */
export function invocationRow(
  record: InvocationRecord,
  names: readonly { id: string; name: string }[],
): InvocationRow {
  const { arrival, result, scheduledAtUs, firedAtUs, phase } = record;
  const sent = result.outcome !== 'dropped' && result.outcome !== 'cancelled';
  const fn = names[arrival.fn]!;
  return {
    seq: arrival.seq,
    function: fn.id,
    target: fn.name,
    phase,
    scheduled_at: scheduledAtUs,
    fired_at: firedAtUs,
    sent_at: sent ? result.sentAtUs : null,
    ended_at: sent ? result.endedAtUs : null,
    lateness_us: sent ? result.sentAtUs - scheduledAtUs : null,
    latency_us: sent ? result.endedAtUs - result.sentAtUs : null,
    latency_from_schedule_us: sent ? result.endedAtUs - scheduledAtUs : null,
    outcome: result.outcome,
    http_status: result.httpStatus,
    cold_start: result.coldStart,
    wait_ms: result.waitMs,
    wait_reason: result.waitReason,
    init_ms: result.initMs,
    exec_ms: result.execMs,
    activation_id: result.activationId,
    instance_id: result.instanceId,
    requested_duration_ms: arrival.durationMs,
    requested_memory_mb: arrival.memoryMb,
    error: result.error,
    failure: result.outcome === 'ok' ? null : result.failure,
    billed_ms: result.billedMs,
    max_memory_mb: result.maxMemoryMb,
    cpu_ms: result.cpuMs,
    attempts: result.attempts,
    invoked_via: sent ? (result.invokedVia ?? 'direct') : null,
    trigger_activation_id: result.triggerActivationId,
    trigger_ms: result.triggerMs,
  };
}
