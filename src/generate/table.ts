/**
 * executions: one row per execution of a generation, usable as a training example: features
 * (function, parameters as typed param_<name> columns, input as a typed descriptor) and targets
 * (the execution's own wall, function and CPU time, peak memory, faults, I/O) beside the
 * platform's view (cold start, wait, init and execution time, instance). The fixed columns are
 * EXECUTIONS_COLUMNS; a plan adds one param_<name> column per parameter, and a run with the perf
 * monitor one perf_<event> column per event (executionsColumns; filled after the run, counters.ts).
 * Which platform gives which target: docs/generate.md ("What each platform gives").
 */
import type { ColumnKind, ColumnSpec } from '../dataset/columns.js';
import type { Row } from '../dataset/table-writer.js';
import type { ActionInvocationResult } from '../platforms/capabilities.js';
import type { ParamValue } from '../workload/types.js';
import { perfColumns } from './counters.js';
import type { Execution } from './executions.js';
import type { GeneratePlan } from './plan.js';
import { actionAnswerOf, type CarriesCgroupPeak, targetsOf } from './targets.js';

/** 3: the perf_<event> columns (the counters of each execution, with --monitor perf). */
export const EXECUTIONS_SCHEMA_VERSION = '3';

const c = (name: string, kind: ColumnKind, nullable: boolean, doc: string): ColumnSpec => ({
  name,
  kind,
  nullable,
  doc,
});

export const EXECUTIONS_COLUMNS: readonly ColumnSpec[] = [
  c('index', 'int64', false, 'position in the generation, 0-based; unique'),
  c('session', 'int32', false, 'which session ran it: 1, then 2 after a --resume, ...'),
  c('function', 'utf8', false, "the plan function's name"),
  c(
    'source',
    'utf8',
    false,
    'catalog (a catalog function), folder (a user function) or action (one already deployed)',
  ),
  c('platform', 'utf8', false, 'the platform kind it ran on (local, openwhisk, knative, openfaas, lambda)'),
  c('run', 'int64', false, "the function's run number, 0-based"),
  c('tenant', 'utf8', false, 'the user it ran as (plan tenants)'),
  c('input_id', 'utf8', false, 'KIND[.VARIANT]-SEED-SIZE: equal ids, equal bytes'),
  c('input_kind', 'utf8', false, 'image, text, records, bytes, matrices or none'),
  c('input_index', 'int64', false, "which of the function's inputs.count inputs, 0-based"),
  c('input_seed', 'int64', false, "the input generator's seed (unsigned 32-bit)"),
  c('input_size', 'int64', false, "the input's size in its generator's unit (see the catalog)"),
  c('input_bytes', 'int64', false, 'bytes of the input as the function holds it'),
  c('input_rank', 'int32', false, "the input's number of dimensions (0 for none)"),
  c('input_dim0', 'int64', true, 'first dimension: bytes (bytes, text), records, image height, 2 (matrices)'),
  c('input_dim1', 'int64', true, 'second dimension: image width, matrix rows'),
  c('input_dim2', 'int64', true, 'third dimension: 4 (RGBA channels), matrix columns'),
  c(
    'input_sampling',
    'utf8',
    false,
    'distinct (inputs drawn without replacement, plan inputs.distinct) or replacement',
  ),
  c('setting', 'int32', true, "index into the function's plan settings; null without settings"),
  c('outcome', 'utf8', false, 'ok | error | timeout'),
  c('error', 'utf8', true, 'what went wrong, when outcome is not ok'),
  c('activation_id', 'utf8', true, "the platform's activation id"),
  c('instance_id', 'utf8', true, 'the instance that ran it (joins monitor tables)'),
  c('sent_at', 'timestamp_us', false, 'when it was handed to the platform (UTC)'),
  c('ended_at', 'timestamp_us', false, 'when its answer was complete (UTC)'),
  c('latency_us', 'int64', false, 'wall time as faasload saw it: ended_at - sent_at, microseconds'),
  c('cold_start', 'bool', true, 'the platform started an instance for it'),
  c('wait_ms', 'float64', true, 'platform-reported queueing before an instance took it, ms'),
  c('init_ms', 'float64', true, 'platform-reported instance start and init (cold starts), ms'),
  c('exec_ms', 'float64', true, 'platform-reported execution time, ms'),
  c('function_ms', 'float64', true, "the function's own time: its main, measured inside the instance, ms"),
  c('compute_ms', 'float64', true, 'catalog functions: the work proper, input generation excluded, ms'),
  c('cpu_user_us', 'int64', true, 'user CPU time of the call in its instance, microseconds'),
  c('cpu_system_us', 'int64', true, 'system CPU time of the call in its instance, microseconds'),
  c(
    'peak_rss_bytes',
    'int64',
    true,
    "the instance process's peak resident memory during this execution (reset before it), bytes",
  ),
  c(
    'peak_rss_delta_bytes',
    'int64',
    true,
    'peak_rss_bytes minus the resident memory at the call start, bytes',
  ),
  c('peak_rss_method', 'utf8', true, 'reset (exact), raised (the call raised the peak) or unknown'),
  c(
    'cgroup_peak_bytes',
    'int64',
    true,
    "embedded platform, process runtime with a memory cgroup per instance: the cgroup's peak charge during this execution (reset before it), bytes",
  ),
  c('minor_faults', 'int64', true, 'minor page faults of the call'),
  c('major_faults', 'int64', true, 'major page faults of the call'),
  c('voluntary_ctx_switches', 'int64', true, 'voluntary context switches of the call'),
  c('involuntary_ctx_switches', 'int64', true, 'involuntary context switches of the call'),
  c('block_read_bytes', 'int64', true, 'bytes the call read from storage (/proc/self/io read_bytes)'),
  c('block_write_bytes', 'int64', true, 'bytes the call wrote to storage (/proc/self/io write_bytes)'),
  c(
    'net_rx_bytes',
    'int64',
    true,
    'network bytes received by the call: null where the runtime cannot isolate them',
  ),
  c(
    'net_tx_bytes',
    'int64',
    true,
    'network bytes sent by the call: null where the runtime cannot isolate them',
  ),
  c('billed_ms', 'float64', true, 'platform-billed time (Lambda)'),
  c('platform_max_memory_mb', 'float64', true, 'platform-reported peak memory of the instance (Lambda), MB'),
  c(
    'checksum',
    'utf8',
    true,
    'catalog functions: sha256 of the output (equal inputs and parameters, equal checksums)',
  ),
];

const PARAM_KINDS = { int64: 'int64', float64: 'float64', utf8: 'utf8', bool: 'bool' } as const;

/**
 * The plan's columns: the fixed ones, one param_<name> per parameter of the plan, then one
 * perf_<event> per perf event counted (none without the perf monitor).
 */
export function executionsColumns(plan: GeneratePlan, perfEvents: readonly string[] = []): ColumnSpec[] {
  return [
    ...EXECUTIONS_COLUMNS,
    ...plan.paramColumns.map((p) =>
      c(`param_${p.name}`, PARAM_KINDS[p.type], true, `parameter ${p.name}; null for functions without it`),
    ),
    ...perfColumns(perfEvents),
  ];
}

/**
 * The row of one execution and what the platform answered. The perf_<event> cells are left out
 * (null): the counters are known after the run (counters.ts fills them).
 */
export function executionRow(
  plan: GeneratePlan,
  e: Execution,
  fn: { tenant: string; platform: string },
  session: number,
  r: ActionInvocationResult & CarriesCgroupPeak,
): Row {
  const f = e.functionPlan;
  const t = targetsOf(r.outcome === 'ok' ? actionAnswerOf(r) : undefined);
  const row: Row = {
    index: e.index,
    session,
    function: f.name,
    source: f.source.kind,
    platform: fn.platform,
    run: e.run,
    tenant: fn.tenant,
    input_id: e.input.id,
    input_kind: e.input.kind,
    input_index: e.inputIndex,
    input_seed: e.input.seed,
    input_size: e.input.size,
    input_bytes: e.input.sizeBytes,
    input_rank: e.shape.length,
    input_dim0: e.shape[0] ?? null,
    input_dim1: e.shape[1] ?? null,
    input_dim2: e.shape[2] ?? null,
    input_sampling: f.inputs.distinct ? 'distinct' : 'replacement',
    setting: e.setting ?? null,
    outcome: r.outcome,
    error: r.error ?? null,
    activation_id: r.activationId ?? null,
    instance_id: r.instanceId ?? null,
    sent_at: r.sentAtUs,
    ended_at: r.endedAtUs,
    latency_us: Math.round(r.endedAtUs - r.sentAtUs),
    cold_start: r.coldStart ?? null,
    wait_ms: r.waitMs ?? null,
    init_ms: r.initMs ?? null,
    exec_ms: r.execMs ?? null,
    function_ms: t.functionMs ?? null,
    compute_ms: t.computeMs ?? null,
    cpu_user_us: t.cpuUserUs ?? null,
    cpu_system_us: t.cpuSystemUs ?? null,
    peak_rss_bytes: t.peakRssBytes ?? null,
    peak_rss_delta_bytes: t.peakRssDeltaBytes ?? null,
    cgroup_peak_bytes: r.outcome === 'ok' ? (r.cgroupPeakBytes ?? null) : null,
    peak_rss_method: t.peakRssMethod ?? null,
    minor_faults: t.minorFaults ?? null,
    major_faults: t.majorFaults ?? null,
    voluntary_ctx_switches: t.voluntaryContextSwitches ?? null,
    involuntary_ctx_switches: t.involuntaryContextSwitches ?? null,
    block_read_bytes: t.blockReadBytes ?? null,
    block_write_bytes: t.blockWriteBytes ?? null,
    net_rx_bytes: null,
    net_tx_bytes: null,
    billed_ms: r.billedMs ?? null,
    platform_max_memory_mb: r.maxMemoryMb ?? null,
    checksum: t.checksum ?? null,
  };
  for (const p of plan.paramColumns) row[`param_${p.name}`] = paramCell(e.params[p.name]);
  return row;
}

function paramCell(v: ParamValue | undefined): ParamValue | null {
  return v === undefined ? null : v;
}
