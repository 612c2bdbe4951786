/**
 * A session's executions: every one of the plan that no part holds yet, in plan order, started
 * when one of `concurrency` slots is free and, with a rate, not before its turn; each written as
 * its row, with its window on its instance (for the perf counters). A stop leaves the rest (and
 * those cut by it) to a later session.
 */
import type { TableWriter } from '../dataset/table-writer.js';
import type { ActivationWindow } from '../monitor/perf-join.js';
import { activationWindow } from '../monitor/perf-join.js';
import type { ActionInvocationResult, ReturnsActionResults } from '../platforms/capabilities.js';
import type { FunctionSpec, PlatformAdapter } from '../platforms/types.js';
import type { Arrival } from '../schedule/types.js';
import { sleepUnlessAborted } from '../util/abort.js';
import { measuredCatalogCode, measuredUserCode } from './action-code.js';
import { type Execution, execution, executionTurns, type Turn } from './executions.js';
import type { FunctionPlan, GeneratePlan, ParamColumnType } from './plan.js';
import type { Session } from './session.js';
import { executionRow } from './table.js';

/** What a session has done so far (read by its progress). */
export interface Tally {
  rows: number;
  errors: number;
  inFlight: number;
  /** Executions done, by this session and those before it. */
  done: number;
}

export interface ExecutionContext {
  session: Session;
  specs: FunctionSpec[];
  platform: PlatformAdapter;
  /** The platform, when it hands back the action's answer (the targets measured inside the instance). */
  answering: ReturnsActionResults | undefined;
  writer: TableWriter;
  /** Each written execution's window on its instance. */
  windows: ActivationWindow[];
  tally: Tally;
  startedMs: number;
  /** Stops starting executions; `hard` aborts those in flight. */
  signal: AbortSignal;
  hard: AbortSignal;
}

export async function runExecutions(x: ExecutionContext): Promise<void> {
  const { plan, done } = x.session;
  // The workers share one iterator over the executions no part holds yet, in plan order.
  const todo = [...executionTurns(plan)].filter((t) => !done.has(t.index)).entries();
  const worker = async () => {
    for (const [position, t] of todo) {
      if (x.signal.aborted) return;
      if (plan.ratePerS !== undefined) {
        const dueMs = x.startedMs + position * (1000 / plan.ratePerS);
        const waitMs = dueMs - performance.now();
        if (waitMs > 0) await sleepUnlessAborted(waitMs, x.signal);
        if (x.signal.aborted) return; // not started: a later session runs it
      }
      await runOne(x, t);
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
}

/** One execution: invoked, and (unless the stop cut it) its row and window. */
async function runOne(x: ExecutionContext, t: Turn<FunctionPlan>): Promise<void> {
  const { plan, platformKind, session } = x.session;
  const spec = x.specs[t.at];
  if (spec === undefined) throw new Error(`no function spec for plan function ${t.at}`);
  const e = execution(plan, t);
  x.tally.inFlight++;
  const r: ActionInvocationResult = x.answering
    ? await x.answering.invoke(spec, arrivalOf(e), x.hard)
    : await x.platform.invoke(spec, arrivalOf(e), x.hard);
  x.tally.inFlight--;
  // An execution cut by the stop did not complete: it is left for the next session.
  if (r.outcome === 'cancelled' || x.hard.aborted) return;
  x.writer.add([
    executionRow(plan, e, { tenant: spec.owner ?? 'guest', platform: platformKind }, session, r),
  ]);
  const w = activationWindow({
    activationId: r.activationId ?? null,
    instanceId: r.instanceId ?? null,
    target: spec.name,
    sentUs: r.sentAtUs,
    endedUs: r.endedAtUs,
    execMs: r.execMs ?? null,
  });
  if (w) x.windows.push(w);
  await x.writer.writable();
  x.tally.rows++;
  x.tally.done++;
  if (r.outcome !== 'ok') x.tally.errors++;
}

/**
 * One spec per plan function: its measured action (catalog or folder), or the name of an existing
 * action; its tenant (FaaSLoad ran one user per function).
 */
export function functionSpecs(plan: GeneratePlan): FunctionSpec[] {
  const types = new Map(plan.paramColumns.map((p) => [p.name, p.type]));
  return plan.functions.map((f, i) => {
    const spec: FunctionSpec = {
      id: f.name,
      name: f.source.kind === 'action' ? f.source.action : `gen-${f.name}`,
      owner: plan.tenants === 'shared' ? 'shared' : `user${i + 1}`,
    };
    if (f.memoryMb !== undefined) spec.memoryMb = f.memoryMb;
    if (f.source.kind === 'catalog') {
      const entry = f.source.entry;
      spec.action = { code: measuredCatalogCode(entry.code), main: 'main' };
      spec.workload = { function: entry.name, seed: plan.seed, inputSize: entry.input.size.default };
    } else if (f.source.kind === 'folder') {
      const paramTypes: Record<string, ParamColumnType> = {};
      for (const name of [...Object.keys(f.params), ...f.settings.flatMap((s) => Object.keys(s))]) {
        const type = types.get(name);
        if (type !== undefined) paramTypes[name] = type;
      }
      spec.action = { code: measuredUserCode(f.source.code, f.inputs.generator, paramTypes), main: 'main' };
    }
    return spec;
  });
}

/**
 * The arrival the platforms take: the input id and the parameters (as strings, as arrivals carry
 * them), with the input's seed and size, which a user function's wrapper (or a function deployed
 * elsewhere) makes its input from.
 */
function arrivalOf(e: Execution): Arrival {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.params)) params[k] = String(v);
  params.seed = String(e.input.seed);
  params.size = String(e.input.size);
  return { seq: e.index, fn: e.fn, atUs: 0, input: e.input.id, params };
}
