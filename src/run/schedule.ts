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
  },
  { name: 'requested_memory_mb', kind: 'float64', nullable: true, doc: 'memory asked of the function, MB' },
] as const satisfies readonly ColumnSpec[];

/** One row of a written plan, typed from its schema. */
export type PlanRow = RowOf<typeof PLAN_COLUMNS>;

/** Rows handed to the writer at once. */
const ROWS_PER_ADD = 8192;

/**
 * Dictionary bytes per row group of the plan file: a day's row group names tens of thousands of
 * functions (a 256 KiB dictionary falls back to plain strings; 4 MiB keeps the ids as a
 * dictionary: a smaller file, written faster).
 */
export const PLAN_DICTIONARY_PAGE_BYTES = 4 * 1024 * 1024;

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
  const writer = new TableWriter({
    dir,
    name,
    columns: PLAN_COLUMNS,
    // Offline: planning waits for the disk instead of failing (a day is tens of millions of rows),
    // and writes Parquet alone: the plan is seeded, so a failed file is made again, not recovered.
    whenBehind: 'wait',
    crashSafe: false,
    dictionaryPageBytes: PLAN_DICTIONARY_PAGE_BYTES,
    recovery: `the plan is seeded: run the same faasload schedule again to make ${options.out}`,
    metadata: {
      'faasload.plan': JSON.stringify(plan.options),
      ...(options.shard ? { 'faasload.shard': JSON.stringify(options.shard) } : {}),
    },
  });
  const ids = plan.functions.map((f) => f.id);
  // Rows go to the writer ROWS_PER_ADD at a time, in reused objects (add() copies the cells): a
  // plan batch is up to a minute of a day (hundreds of thousands of arrivals).
  const rows: PlanRow[] = [];
  const load = new PlanLoadCounter(plan.spanUs);
  for (const b of plan.batches({ reuse: true })) {
    load.add(b);
    for (let from = 0; from < b.length; from += ROWS_PER_ADD) {
      const to = Math.min(b.length, from + ROWS_PER_ADD);
      for (let i = from; i < to; i++) {
        rows[i - from] ??= {
          seq: 0,
          function: '',
          scheduled_us: 0,
          requested_duration_ms: null,
          requested_memory_mb: null,
        };
        const row = rows[i - from]!;
        row.seq = fullSeq(b, i);
        row.function = ids[b.fn[i]!]!;
        row.scheduled_us = b.atUs[i]!;
        row.requested_duration_ms = Number.isNaN(b.durationMs[i]!) ? null : b.durationMs[i];
        row.requested_memory_mb = Number.isNaN(b.memoryMb[i]!) ? null : b.memoryMb[i];
      }
      rows.length = to - from;
      writer.add(rows);
      await writer.writable();
    }
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
