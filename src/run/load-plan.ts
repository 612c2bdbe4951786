import { type Plan, type PlanOptions, plan } from '../schedule/plan.js';
import { readTrace } from '../trace/read.js';
import type { CsvTraceColumns, Trace, TraceFormat } from '../trace/types.js';

/** What to read and how to plan it: everything replay and schedule share. */
export interface TracePlanOptions extends Omit<PlanOptions, 'seed'> {
  trace: string;
  format?: TraceFormat | 'auto';
  /** Azure 2019 raw layout: days to concatenate. */
  days?: readonly number[];
  /** --format csv: which columns hold what. */
  csv?: CsvTraceColumns;
  seed?: number;
}

export const DEFAULT_SEED = 1;

/** Reads the trace and plans it. */
export async function loadPlan(o: TracePlanOptions): Promise<{ trace: Trace; plan: Plan }> {
  const { trace: path, format, days, csv, seed, ...planOptions } = o;
  const trace = await readTrace(path, {
    format: format ?? 'auto',
    ...(days ? { days } : {}),
    ...(csv ? { csv } : {}),
  });
  return { trace, plan: plan(trace, { ...planOptions, seed: seed ?? DEFAULT_SEED }) };
}
