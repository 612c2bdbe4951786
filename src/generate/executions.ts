/**
 * The executions of a generation plan, each a pure function of (plan, index): which function,
 * which input, which parameters. Counter-based draws (util/random.ts) make the random state the
 * index itself, so a resumed generation continues with exactly the draws an uninterrupted one
 * makes. Functions are interleaved (round robin while each has runs left), so that a stopped
 * generation has covered every function evenly.
 */
import { hash32, unitAt } from '../util/random.js';
import { makeInput } from '../workload/inputs.js';
import type { InputDescriptor, ParamValue } from '../workload/types.js';
import { drawValue, type GeneratePlan } from './plan.js';

export interface Execution {
  /** 0-based position in the generation; unique. */
  index: number;
  /** Index into plan.functions. */
  fn: number;
  /** Its function's run number, 0-based. */
  run: number;
  /** Which of the function's inputs.count inputs. */
  inputIndex: number;
  input: InputDescriptor;
  params: Record<string, ParamValue>;
}

/** The function of each execution index, in order. */
export function executionOrder(plan: GeneratePlan): Uint32Array {
  const total = plan.functions.reduce((n, f) => n + f.runs, 0);
  const order = new Uint32Array(total);
  const maxRuns = Math.max(...plan.functions.map((f) => f.runs));
  let i = 0;
  for (let run = 0; run < maxRuns; run++) {
    for (let fn = 0; fn < plan.functions.length; fn++) if (run < plan.functions[fn]!.runs) order[i++] = fn;
  }
  return order;
}

/** Execution `index`; `run` is its function's run number (count the order up to it). */
export function execution(plan: GeneratePlan, index: number, fn: number, run: number): Execution {
  const f = plan.functions[fn]!;
  const stream = hash32(`generate:${f.name}`);
  const inputIndex = Math.floor(unitAt(plan.seed, stream, run, 0) * f.inputs.count);
  // An input is the same whichever execution draws it: drawn from its own index.
  const inputSeed = Math.floor(unitAt(plan.seed, stream ^ 0x5bd1e995, inputIndex, 0) * 4294967296);
  const size = Number(drawValue(f.inputs.size, unitAt(plan.seed, stream ^ 0x1b873593, inputIndex, 0)));
  const params: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(f.params)) {
    params[name] = drawValue(spec, unitAt(plan.seed, hash32(`generate:${f.name}:${name}`), run, 0));
  }
  const input = makeInput(f.name, inputSeed, Math.round(size), params);
  return { index, fn, run, inputIndex, input, params };
}

/** Every execution, in order (for small plans and tests; a generation walks them lazily). */
export function* executions(plan: GeneratePlan): Generator<Execution> {
  const order = executionOrder(plan);
  const runs = new Uint32Array(plan.functions.length);
  for (let i = 0; i < order.length; i++) {
    const fn = order[i]!;
    yield execution(plan, i, fn, runs[fn]!++);
  }
}
