import { type Plan, type PlanOptions, plan } from '../schedule/plan.js';
import { type ShardPlan, type ShardSpec, shardPlan } from '../schedule/shard.js';
import { readTrace } from '../trace/read.js';
import type { CsvTraceColumns, DuplicatePolicy, Trace, TraceFormat } from '../trace/types.js';

/** What to read and how to plan it: everything replay and schedule share. */
export interface TracePlanOptions extends Omit<PlanOptions, 'seed'> {
  trace: string;
  format?: TraceFormat | 'auto';
  /** Azure 2019 raw layout: days to concatenate. */
  days?: readonly number[];
  /** --format csv: which columns hold what. */
  csv?: CsvTraceColumns;
  /** Repeated rows of a trace (Azure 2019): refuse (default), sum or first (DUPLICATE_POLICIES). */
  onDuplicate?: DuplicatePolicy;
  seed?: number;
  /** Plan only this shard's functions (see schedule/shard.ts); the rows keep the full plan's seq. */
  shard?: ShardSpec;
}

export const DEFAULT_SEED = 1;

/** Reads the trace and plans it (one shard of it with `shard`). */
export async function loadPlan(o: TracePlanOptions): Promise<{ trace: Trace; plan: Plan | ShardPlan }> {
  const { trace: path, format, days, csv, onDuplicate } = o;
  const trace = await readTrace(path, {
    format: format ?? 'auto',
    ...(days ? { days } : {}),
    ...(csv ? { csv } : {}),
    ...(onDuplicate ? { onDuplicate } : {}),
  });
  return { trace, plan: planTrace(trace, o) };
}

/** Plans a trace already read (one shard of it with `shard`), as loadPlan does. */
export function planTrace(trace: Trace, o: TracePlanOptions): Plan | ShardPlan {
  const { trace: _path, format, days, csv, onDuplicate, seed, shard, ...planOptions } = o;
  const full = plan(trace, { ...planOptions, seed: seed ?? DEFAULT_SEED });
  return shard ? shardPlan(full, shard) : full;
}
