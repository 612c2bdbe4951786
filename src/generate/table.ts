/**
 * executions: one row per execution of a generation, usable as a training example: features
 * (function, parameters, input), targets (duration, CPU time, memory) and the platform's view.
 */
import type { ColumnSpec } from '../dataset/columns.js';
import type { Row } from '../dataset/table-writer.js';
import type { LocalInvocationResult } from '../platforms/local/platform.js';
import type { Usage } from '../workload/types.js';
import type { Execution } from './executions.js';

export const EXECUTIONS_SCHEMA_VERSION = '1';

export const EXECUTIONS_COLUMNS: readonly ColumnSpec[] = [
  { name: 'index', kind: 'int64', nullable: false, doc: 'position in the generation, 0-based; unique' },
  {
    name: 'session',
    kind: 'int32',
    nullable: false,
    doc: 'which session ran it: 1, then 2 after a --resume, ...',
  },
  { name: 'function', kind: 'utf8', nullable: false, doc: 'the catalog function' },
  { name: 'run', kind: 'int64', nullable: false, doc: "the function's run number, 0-based" },
  { name: 'tenant', kind: 'utf8', nullable: false, doc: 'the user it ran as (plan tenants)' },
  {
    name: 'input_id',
    kind: 'utf8',
    nullable: false,
    doc: 'KIND[.VARIANT]-SEED-SIZE: equal ids, equal bytes',
  },
  { name: 'input_kind', kind: 'utf8', nullable: false, doc: 'image, text, records, bytes, matrices or none' },
  {
    name: 'input_size',
    kind: 'int64',
    nullable: false,
    doc: "the input's size in its own unit (see the catalog)",
  },
  { name: 'input_bytes', kind: 'int64', nullable: false, doc: 'bytes of the input as the function holds it' },
  { name: 'params', kind: 'utf8', nullable: false, doc: 'the parameters drawn for it, a JSON object' },
  { name: 'outcome', kind: 'utf8', nullable: false, doc: 'ok | error | timeout | cancelled' },
  { name: 'error', kind: 'utf8', nullable: true, doc: 'what went wrong, when outcome is not ok' },
  { name: 'activation_id', kind: 'utf8', nullable: true, doc: "the platform's activation id" },
  {
    name: 'instance_id',
    kind: 'utf8',
    nullable: true,
    doc: 'the instance that ran it (joins monitor tables)',
  },
  { name: 'sent_at', kind: 'timestamp_us', nullable: false, doc: 'when it was handed to the platform (UTC)' },
  { name: 'ended_at', kind: 'timestamp_us', nullable: false, doc: 'when its answer was complete (UTC)' },
  { name: 'latency_us', kind: 'int64', nullable: false, doc: 'ended_at - sent_at, microseconds' },
  { name: 'cold_start', kind: 'bool', nullable: true, doc: 'the platform started an instance for it' },
  { name: 'init_ms', kind: 'float64', nullable: true, doc: 'platform-reported instance start and init, ms' },
  { name: 'exec_ms', kind: 'float64', nullable: true, doc: 'platform-reported execution time, ms' },
  {
    name: 'compute_ms',
    kind: 'float64',
    nullable: true,
    doc: "the function's own work, measured inside it, ms",
  },
  { name: 'total_ms', kind: 'float64', nullable: true, doc: 'the whole call measured inside the action, ms' },
  {
    name: 'cpu_user_us',
    kind: 'int64',
    nullable: true,
    doc: 'user CPU time of the call in its instance, microseconds',
  },
  {
    name: 'cpu_system_us',
    kind: 'int64',
    nullable: true,
    doc: 'system CPU time of the call in its instance, microseconds',
  },
  {
    name: 'rss_bytes',
    kind: 'int64',
    nullable: true,
    doc: "the instance's resident memory after the call, bytes",
  },
  {
    name: 'max_rss_bytes',
    kind: 'int64',
    nullable: true,
    doc: "the instance process's peak resident memory so far, bytes",
  },
  {
    name: 'checksum',
    kind: 'utf8',
    nullable: true,
    doc: "sha256 of the function's output: equal inputs and parameters, equal checksums",
  },
];

/** The row of one execution and what the platform answered. */
export function executionRow(
  e: Execution,
  fn: { name: string; tenant: string },
  session: number,
  r: LocalInvocationResult,
): Row {
  const result = r.result as
    | { timings?: { computeMs?: number; totalMs?: number }; usage?: Usage; checksum?: string }
    | undefined;
  return {
    index: e.index,
    session,
    function: fn.name,
    run: e.run,
    tenant: fn.tenant,
    input_id: e.input.id,
    input_kind: e.input.kind,
    input_size: e.input.size,
    input_bytes: e.input.sizeBytes,
    params: JSON.stringify(e.params),
    outcome: r.outcome,
    error: r.error ?? null,
    activation_id: r.activationId ?? null,
    instance_id: r.instanceId ?? null,
    sent_at: r.sentAtUs,
    ended_at: r.endedAtUs,
    latency_us: Math.round(r.endedAtUs - r.sentAtUs),
    cold_start: r.coldStart ?? null,
    init_ms: r.initMs ?? null,
    exec_ms: r.execMs ?? null,
    compute_ms: result?.timings?.computeMs ?? null,
    total_ms: result?.timings?.totalMs ?? null,
    cpu_user_us: result?.usage?.cpuUserUs ?? null,
    cpu_system_us: result?.usage?.cpuSystemUs ?? null,
    rss_bytes: result?.usage?.rssBytes ?? null,
    max_rss_bytes: result?.usage?.maxRssBytes ?? null,
    checksum: r.outcome === 'ok' ? (result?.checksum ?? null) : null,
  };
}
