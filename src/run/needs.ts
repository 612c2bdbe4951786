import { availableParallelism, totalmem } from 'node:os';
import { DEFAULT_MEMORY_CLASSES_MB, sizeClassMb } from '../embedded/local/memory.js';
import { defaultPoolMemoryMb } from '../embedded/local/options.js';
import type { FunctionSpec } from '../platforms/types.js';
import { type Capacity, type Excess, excesses, fitScale, formatExcess } from '../report/plan-fit.js';
import { formatPlanNeeds, type PlanNeeds, planNeeds } from '../report/plan-needs.js';
import type { Plan } from '../schedule/plan.js';
import type { ShardPlan } from '../schedule/shard.js';
import type { Schedule } from '../schedule/types.js';
import type { Trace } from '../trace/types.js';
import { planTrace, type TracePlanOptions } from './load-plan.js';
import { functionSpecs } from './names.js';

/** What the needs are measured against: the embedded platform's settings (defaults as replay's). */
export interface NeedsSettings {
  keepAliveMs: number;
  maxInstances: number;
  memoryClassesMb?: readonly number[] | undefined;
  poolMemoryMb?: number | undefined;
}

/**
 * The plan's needs before a run, against this machine and the pool when the platform runs its
 * instances here (else capacity is absent: only the needs); with `fit`, the scale applied.
 */
export interface NeedsFact {
  needs: PlanNeeds;
  capacity?: Capacity;
  exceeded: Excess[];
  /** A --scale that fits, when something was exceeded and one was found. */
  fittingScale?: number;
  /** --fit: the scale the plan had, the one applied, and the needs at it. */
  fit?: { scaleFrom: number; scale: number; needs: PlanNeeds };
}

/** Each planned function's instance memory limit (its size class), by Schedule.functions index. */
export function instanceLimitsMb(specs: readonly FunctionSpec[], classesMb?: readonly number[]): number[] {
  return specs.map((s) => sizeClassMb(s.memoryMb, classesMb ?? DEFAULT_MEMORY_CLASSES_MB));
}

/** This machine's cores and the pool's memory (at most the host's), as the embedded platform has them. */
export function machineCapacity(s: NeedsSettings): Capacity {
  const hostMb = Math.floor(totalmem() / 2 ** 20);
  const poolMb = s.poolMemoryMb ?? defaultPoolMemoryMb();
  const memoryFrom =
    poolMb > hostMb
      ? "this machine's memory"
      : s.poolMemoryMb !== undefined
        ? '--pool-memory'
        : "--pool-memory's default, half the host's memory";
  return {
    cores: availableParallelism(),
    memoryMb: Math.min(poolMb, hostMb),
    memoryFrom,
    maxInstances: s.maxInstances,
  };
}

/**
 * Measures the plan's needs, compares them with `capacity`, and when they exceed it looks for a
 * --scale that fits (planning the trace again at each scale tried, same seed). With `fit`, returns
 * the plan at that scale to run instead. `plan` must be planTrace(trace, options).
 */
export function assessNeeds(
  trace: Trace,
  options: TracePlanOptions,
  plan: Plan | ShardPlan,
  settings: NeedsSettings,
  capacity: Capacity | undefined,
  fit: boolean,
): { fact: NeedsFact; plan: Plan | ShardPlan } {
  const limitMb = instanceLimitsMb(functionSpecs(plan.functions), settings.memoryClassesMb);
  const measure = (s: Schedule) => planNeeds(s, { limitMb, keepAliveMs: settings.keepAliveMs });
  const needs = measure(plan);
  if (!capacity) return { fact: { needs, exceeded: [] }, plan };
  const exceeded = excesses(needs, capacity);
  const fact: NeedsFact = { needs, capacity, exceeded };
  if (exceeded.length === 0) return { fact, plan };
  const scaleFrom = options.scale ?? 1;
  const found = fitScale(
    (scale) => measure(planTrace(trace, { ...options, scale })),
    capacity,
    scaleFrom,
    needs,
  );
  if (found.scale === undefined || !found.needs) return { fact, plan };
  fact.fittingScale = found.scale;
  if (!fit) return { fact, plan };
  fact.fit = { scaleFrom, scale: found.scale, needs: found.needs };
  // Plans are seeded: the same options give the plan that was measured.
  return { fact, plan: planTrace(trace, { ...options, scale: found.scale }) };
}

/**
 * The lines printed before a run: the needs and what there is, the warning when they exceed it
 * (with the scale that fits), and with --fit the needs at the scale applied.
 */
export function formatNeedsFact(f: NeedsFact): { lines: string[]; warnings: string[]; fitted: string[] } {
  const lines = formatPlanNeeds(f.needs).map((l) => `needs: ${l}`);
  const c = f.capacity;
  const warnings: string[] = [];
  if (!c) return { lines, warnings, fitted: [] };
  lines.push(
    `have: ${c.cores} cores, ${c.memoryMb} MB of instance memory (${c.memoryFrom}), --max-instances ${c.maxInstances}`,
  );
  if (f.exceeded.length > 0) {
    const what = f.exceeded.map((e) => formatExcess(e, c)).join('; ');
    const advice = f.fit
      ? `--fit applied --scale ${f.fit.scale} (was ${f.fit.scaleFrom})`
      : f.fittingScale !== undefined
        ? `--scale ${f.fittingScale} would fit (--fit applies it)`
        : 'No --scale fits (one leaving any invocation): shorten the durations (--warp-durations, --max-duration), lower --keep-alive, keep fewer --functions, or raise --pool-memory / --max-instances';
    warnings.push(`the plan does not fit: ${what}. ${advice}`);
  }
  return { lines, warnings, fitted: fittedLines(f) };
}

/** With --fit: the needs at the scale applied, printed after the warning. */
function fittedLines(f: NeedsFact): string[] {
  const fit = f.fit;
  return fit ? formatPlanNeeds(fit.needs).map((l) => `needs at --scale ${fit.scale}: ${l}`) : [];
}
