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

/** Maps a settled invocation to a new row; `names` gives each function's trace id and target. */
export function invocationRow(
  record: InvocationRecord,
  names: readonly { id: string; name: string }[],
): InvocationRow {
  return fillInvocationRow(emptyInvocationRow(), record, names);
}

/** A row to fill (fillInvocationRow): nullable cells null, the others zero or empty. */
export function emptyInvocationRow(): InvocationRow {
  return {
    seq: 0,
    function: '',
    target: '',
    phase: 'measure',
    scheduled_at: 0,
    fired_at: 0,
    sent_at: null,
    ended_at: null,
    lateness_us: null,
    latency_us: null,
    latency_from_schedule_us: null,
    outcome: 'ok',
    http_status: null,
    cold_start: null,
    wait_ms: null,
    wait_reason: null,
    init_ms: null,
    exec_ms: null,
    activation_id: null,
    instance_id: null,
    requested_duration_ms: null,
    requested_memory_mb: null,
    error: null,
    failure: null,
    billed_ms: null,
    max_memory_mb: null,
    cpu_ms: null,
    attempts: null,
    invoked_via: null,
    trigger_activation_id: null,
    trigger_ms: null,
  };
}

/**
 * Writes the row of a settled invocation into `row`, every cell, and returns it: a writer that
 * copies a row's cells at once (TableWriter.addRow) fills one object for every invocation
 * instead of allocating one per invocation.
 */
export function fillInvocationRow(
  row: InvocationRow,
  record: InvocationRecord,
  names: readonly { id: string; name: string }[],
): InvocationRow {
  const { arrival, result, scheduledAtUs, firedAtUs, phase } = record;
  const sent = result.outcome !== 'dropped' && result.outcome !== 'cancelled';
  const fn = names[arrival.fn]!;
  row.seq = arrival.seq;
  row.function = fn.id;
  row.target = fn.name;
  row.phase = phase;
  row.scheduled_at = scheduledAtUs;
  row.fired_at = firedAtUs;
  row.sent_at = sent ? result.sentAtUs : null;
  row.ended_at = sent ? result.endedAtUs : null;
  row.lateness_us = sent ? result.sentAtUs - scheduledAtUs : null;
  row.latency_us = sent ? result.endedAtUs - result.sentAtUs : null;
  row.latency_from_schedule_us = sent ? result.endedAtUs - scheduledAtUs : null;
  row.outcome = result.outcome;
  row.http_status = result.httpStatus;
  row.cold_start = result.coldStart;
  row.wait_ms = result.waitMs;
  row.wait_reason = result.waitReason;
  row.init_ms = result.initMs;
  row.exec_ms = result.execMs;
  row.activation_id = result.activationId;
  row.instance_id = result.instanceId;
  row.requested_duration_ms = arrival.durationMs;
  row.requested_memory_mb = arrival.memoryMb;
  row.error = result.error;
  row.failure = result.outcome === 'ok' ? null : result.failure;
  row.billed_ms = result.billedMs;
  row.max_memory_mb = result.maxMemoryMb;
  row.cpu_ms = result.cpuMs;
  row.attempts = result.attempts;
  row.invoked_via = sent ? (result.invokedVia ?? 'direct') : null;
  row.trigger_activation_id = result.triggerActivationId;
  row.trigger_ms = result.triggerMs;
  return row;
}
