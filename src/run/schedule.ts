import { basename, dirname } from 'node:path';
import type { ColumnSpec, RowOf } from '../dataset/columns.js';
import { TableWriter } from '../dataset/table-writer.js';
import { FaasloadError } from '../errors.js';
import { type PlanLoad, PlanLoadCounter, planLoad } from '../report/plan-load.js';
import { fullSeq } from '../schedule/shard.js';
import { loadPlan, type TracePlanOptions } from './load-plan.js';
import {
  assessNeeds,
  formatNeedsFact,
  machineCapacity,
  type NeedsFact,
  type NeedsSettings,
} from './needs.js';

export const PLAN_COLUMNS = [
  { name: 'seq', kind: 'int64', nullable: false, doc: 'position in the plan, 0-based' },
  { name: 'function', kind: 'utf8', nullable: false, doc: "the trace's function id" },
  { name: 'scheduled_us', kind: 'int64', nullable: false, doc: 'fire time, microseconds from the run start' },
  {
    name: 'requested_duration_ms',
    kind: 'float64',
    nullable: true,
    doc: 'duration asked of the function, ms',
    // Drawn per invocation from the function's percentiles: nearly every value differs.
    encoding: 'byte_stream_split_only',
    codec: 'snappy',
  },
  {
    name: 'requested_memory_mb',
    kind: 'float64',
    nullable: true,
    doc: 'memory asked of the function, MB',
    encoding: 'byte_stream_split_only',
    codec: 'snappy',
  },
] as const satisfies readonly ColumnSpec[];

/** One row of a written plan, typed from its schema. */
export type PlanRow = RowOf<typeof PLAN_COLUMNS>;

/**
 * Rows per batch handed to the writer thread: large batches cost fewer messages and fewer
 * Arrow/Parquet hand-overs per row (a day is about 470 of them).
 */
const PLAN_BATCH_ROWS = 65_536;

/**
 * Rows per row group of the plan file: each row group stores its function ids' dictionary once
 * (tens of thousands of ids of up to 200 bytes in a day's busy hour), so larger groups make a
 * smaller file, written faster. The writer holds the group being encoded (about 20 MB of a
 * day's busiest hour): its WebAssembly memory peaked at 125 MB over a synthetic full day.
 */
export const PLAN_ROW_GROUP_ROWS = 1024 * 1024;

/**
 * Dictionary bytes per row group of the plan file: at least every id of the plan once (4 bytes
 * of length each), so that the function column stays a dictionary in every row group however
 * many functions a group names (past the limit, Parquet writers fall back to plain strings: a
 * larger file, written slower); and at least the 4 MiB that suits small plans.
 */
export function planDictionaryPageBytes(ids: readonly string[]): number {
  let bytes = 0;
  for (const id of ids) bytes += 4 + Buffer.byteLength(id, 'utf8');
  return Math.max(4 * 1024 * 1024, bytes);
}

export interface ScheduleResult {
  file: string;
  rows: number;
  functions: number;
  spanUs: number;
  /** Arrivals per second of run time: mean, peak, the peak second, peak-to-mean. */
  load: PlanLoad;
}

export interface CapacityResult {
  rows: number;
  functions: number;
  spanUs: number;
  load: PlanLoad;
  /** Its needs on the embedded platform, against this machine (run/needs.ts). */
  needs: NeedsFact;
  /** The needs as printed, warnings included. */
  lines: string[];
}

/**
 * Plans a trace without writing it: how much it asks per second, and what it needs of the
 * embedded platform under `settings` against this machine (`schedule --capacity`).
 */
export async function scheduleCapacity(
  options: TracePlanOptions,
  settings: NeedsSettings,
): Promise<CapacityResult> {
  const { trace, plan } = await loadPlan(options);
  const load = planLoad(plan);
  const { fact } = assessNeeds(trace, options, plan, settings, machineCapacity(settings), false);
  const text = formatNeedsFact(fact);
  return {
    rows: load.invocations,
    functions: plan.functions.length,
    spanUs: plan.spanUs,
    load,
    needs: fact,
    lines: [...text.lines, ...text.warnings.map((w) => `warning: ${w}`)],
  };
}

/** Plans a trace without firing it and writes the plan as Parquet (`out` must end in .parquet). */
export async function writeSchedule(options: TracePlanOptions & { out: string }): Promise<ScheduleResult> {
  if (!options.out.endsWith('.parquet')) {
    throw new FaasloadError(
      'E_USAGE',
      `--out ${options.out}: the plan is written as Parquet; name a .parquet file`,
    );
  }
  const { plan } = await loadPlan(options);
  const dir = dirname(options.out);
  const name = basename(options.out, '.parquet');
  const ids = plan.functions.map((f) => f.id);
  const writer = new TableWriter({
    dir,
    name,
    columns: PLAN_COLUMNS,
    // Offline: planning waits for the disk instead of failing (a day is tens of millions of rows),
    // and writes Parquet alone: the plan is seeded, so a failed file is made again, not recovered.
    whenBehind: 'wait',
    crashSafe: false,
    batchRows: PLAN_BATCH_ROWS,
    // Batches cut by rows alone: the same plan makes the same bytes.
    flushIntervalMs: 0,
    rowGroupRows: PLAN_ROW_GROUP_ROWS,
    dictionaryPageBytes: planDictionaryPageBytes(ids),
    // The function column is the plan's function index: its ids go to the writer thread once.
    dictionaries: { function: ids },
    recovery: `the plan is seeded: run the same faasload schedule again to make ${options.out}`,
    metadata: {
      'faasload.plan': JSON.stringify(plan.options),
      ...(options.shard ? { 'faasload.shard': JSON.stringify(options.shard) } : {}),
    },
  });
  // Each plan batch (up to a minute of a day: hundreds of thousands of arrivals) goes to the
  // writer as its own columns (copied: the batch's arrays are reused by the next one).
  let seqs = new Float64Array(0);
  const load = new PlanLoadCounter(plan.spanUs);
  for (const b of plan.batches({ reuse: true })) {
    load.add(b);
    if (seqs.length < b.length) seqs = new Float64Array(Math.max(b.length, 2 * seqs.length));
    const seq = seqs.subarray(0, b.length);
    for (let i = 0; i < b.length; i++) seq[i] = fullSeq(b, i);
    writer.addColumns(b.length, {
      seq,
      function: b.fn,
      scheduled_us: b.atUs,
      requested_duration_ms: b.durationMs,
      requested_memory_mb: b.memoryMb,
    });
    await writer.writable();
  }
  const table = await writer.close();
  return {
    file: options.out,
    rows: table.rows,
    functions: plan.functions.length,
    spanUs: plan.spanUs,
    load: load.result(),
  };
}
