/**
 * The executions of a generation plan, each a pure function of (plan, index): which function,
 * which input, which parameters. Counter-based draws (util/random.ts) make the random state the
 * index itself, so a resumed generation continues with exactly the draws an uninterrupted one
 * makes. Functions are interleaved (round robin while each has runs left), so that a stopped
 * generation has covered every function evenly.
 *
 * Run r of a function with S settings (S = 1 without settings) takes input slot floor(r / S) and
 * setting r mod S. A slot names one of the function's `count` inputs: drawn uniformly (with
 * replacement), or, with `distinct`, the slot-th entry of a seeded permutation of the inputs
 * (slots past count start the permutation again). Input k's seed is a bijection of k, so distinct
 * input indexes are distinct inputs (ids and bytes).
 */
import { hash32, unitAt } from '../util/random.js';
import { makeInput, resolveParams } from '../workload/inputs.js';
import type { InputDescriptor, InputKind, ParamValue } from '../workload/types.js';
import { drawValue, type FunctionPlan, type GeneratePlan, generatorEntry } from './plan.js';

export interface Execution {
  /** 0-based position in the generation; unique. */
  index: number;
  /** Index into plan.functions. */
  fn: number;
  /** That function's plan. */
  functionPlan: FunctionPlan;
  /** Its function's run number, 0-based. */
  run: number;
  /** Which of the function's inputs.count inputs. */
  inputIndex: number;
  /** The setting (index into settings), undefined when the function has none. */
  setting: number | undefined;
  input: InputDescriptor;
  /** The input's dimensions as the function holds it (see inputShape). */
  shape: readonly number[];
  params: Record<string, ParamValue>;
}

/** One turn of a round robin: the item, its position in the list, its run number, and the turn's index. */
export interface Turn<T> {
  index: number;
  at: number;
  item: T;
  run: number;
}

/**
 * Round robin over `items` while each has runs left (runsOf): run r of every item before run
 * r + 1 of any, items in list order. Lazy; the turns' index counts from 0.
 */
export function* roundRobin<T>(items: readonly T[], runsOf: (item: T) => number): Generator<Turn<T>> {
  const maxRuns = Math.max(0, ...items.map(runsOf));
  let index = 0;
  for (let run = 0; run < maxRuns; run++) {
    for (const [at, item] of items.entries()) if (run < runsOf(item)) yield { index: index++, at, item, run };
  }
}

/** How many executions the plan has. */
export function executionCount(plan: GeneratePlan): number {
  return plan.functions.reduce((n, f) => n + f.runs, 0);
}

/** Where each execution sits, in order: the functions interleaved by roundRobin. */
export function executionTurns(plan: GeneratePlan): Generator<Turn<FunctionPlan>> {
  return roundRobin(plan.functions, (f) => f.runs);
}

/** The seeded permutation of a function's inputs (distinct draws), computed once per plan function. */
const permutations = new WeakMap<FunctionPlan, Uint32Array>();

function permutationOf(seed: number, f: FunctionPlan): Uint32Array {
  let p = permutations.get(f);
  if (p === undefined) {
    p = new Uint32Array(f.inputs.count);
    for (let i = 0; i < p.length; i++) p[i] = i;
    const stream = hash32(`generate:${f.name}:permutation`);
    // Fisher-Yates, one counter-based draw per position.
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(unitAt(seed, stream, i, 0) * (i + 1));
      // Swap p[i] and p[j] (j <= i < length, so both are set).
      const t = p[i] ?? i;
      p[i] = p[j] ?? j;
      p[j] = t;
    }
    permutations.set(f, p);
  }
  return p;
}

/** The dimensions of an input: bytes and text [bytes], records [records], image [h, w, 4], matrices [2, n, n]. */
export function inputShape(kind: InputKind, size: number, sizeBytes: number): number[] {
  switch (kind) {
    case 'none':
      return [];
    case 'bytes':
    case 'text':
      return [sizeBytes];
    case 'records':
      return [size];
    case 'image':
      return [size, size, 4];
    case 'matrices':
      return [2, size, size];
  }
}

/** The execution of one turn of executionTurns(plan). */
export function execution(plan: GeneratePlan, turn: Turn<FunctionPlan>): Execution {
  const { index, at: fn, item: f, run } = turn;
  const stream = hash32(`generate:${f.name}`);
  const settings = f.settings.length;
  const slot = settings > 0 ? Math.floor(run / settings) : run;
  const setting = settings > 0 ? run % settings : undefined;
  const inputIndex = f.inputs.distinct
    ? (permutationOf(plan.seed, f)[slot % f.inputs.count] ?? 0)
    : Math.floor(unitAt(plan.seed, stream, slot, 0) * f.inputs.count);
  // An input is the same whichever execution draws it, and distinct indexes have distinct seeds:
  // seed = base + k * odd (mod 2^32) is a bijection of k.
  const base = Math.floor(unitAt(plan.seed, stream ^ 0x5bd1e995, 0, 0) * 4294967296);
  const inputSeed = (base + Math.imul(inputIndex, 0x9e3779b1)) >>> 0;
  const size = Number(drawValue(f.inputs.size, unitAt(plan.seed, stream ^ 0x1b873593, inputIndex, 0)));
  const params: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(f.params)) {
    params[name] = drawValue(spec, unitAt(plan.seed, hash32(`generate:${f.name}:${name}`), run, 0));
  }
  const settingSpecs = setting !== undefined ? f.settings[setting] : undefined;
  if (settingSpecs !== undefined) {
    for (const [name, spec] of Object.entries(settingSpecs)) {
      params[name] = drawValue(spec, unitAt(plan.seed, hash32(`generate:${f.name}:${name}:setting`), run, 0));
    }
  }
  // A catalog function's row holds every parameter it runs with, defaults filled in.
  const resolved = f.source.kind === 'catalog' ? resolveParams(f.name, params) : params;
  const input =
    f.source.kind === 'catalog'
      ? makeInput(f.name, inputSeed, Math.round(size), resolved)
      : makeInput(generatorEntry(f.inputs.generator).name, inputSeed, Math.round(size));
  return {
    index,
    fn,
    functionPlan: f,
    run,
    inputIndex,
    setting,
    input,
    shape: inputShape(input.kind, input.size, input.sizeBytes),
    params: resolved,
  };
}

/** Every execution, in order (for small plans and tests; a generation walks them lazily). */
export function* executions(plan: GeneratePlan): Generator<Execution> {
  for (const turn of executionTurns(plan)) yield execution(plan, turn);
}
