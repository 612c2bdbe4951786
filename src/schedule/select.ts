import { FaasloadError } from '../errors.js';
import type { TraceFunction } from '../trace/types.js';
import { hash32, unitAt } from '../util/random.js';

/**
 * How --functions N picks its functions:
 * - top: the N with the most invocations in the window (ties: trace order).
 * - random: N at random (seeded; each function's rank depends only on the seed and its id).
 * - representative: the In-Vitro loader's idea: a sample whose distributions of per-function
 *   invocation rate and duration are closest, in Wasserstein distance, to the whole trace's.
 * Every method is nested: for one seed, the sample of N is a subset of the sample of N + 1.
 * Functions with no invocation in the window are never sampled.
 */
export type SampleMethod = 'top' | 'random' | 'representative';
export const SAMPLE_METHODS: readonly SampleMethod[] = ['top', 'random', 'representative'];

export interface SelectOptions {
  seed: number;
  functions?: number;
  sample?: SampleMethod;
  /** Keep only functions with one of these triggers (case-insensitive). */
  triggers?: readonly string[];
}

/** Per-function facts selection needs, computed by the planner over the window. */
export interface FunctionWeights {
  /** Invocations in the window (before scaling). */
  invocations: Float64Array;
  /** A typical duration in ms (NaN when unknown). */
  durationMs: Float64Array;
}

/** The indices of the selected functions, ascending (trace order). */
export function selectFunctions(
  functions: readonly TraceFunction[],
  weights: FunctionWeights,
  options: SelectOptions,
): number[] {
  let candidates = functions.map((_, i) => i);
  if (options.triggers && options.triggers.length > 0)
    candidates = filterTriggers(functions, options.triggers);
  const n = options.functions;
  if (n === undefined) return candidates;
  if (!Number.isInteger(n) || n < 1)
    throw new FaasloadError('E_USAGE', `--functions: expected a positive integer, got ${n}`);
  const active = candidates.filter((i) => weights.invocations[i]! > 0);
  if (n >= active.length) return active;
  let order: number[];
  switch (options.sample ?? 'representative') {
    case 'top':
      order = [...active].sort((a, b) => weights.invocations[b]! - weights.invocations[a]! || a - b);
      break;
    case 'random': {
      const rank = (i: number) => unitAt(options.seed, hash32(functions[i]!.id), 0x5a3b1e, 0);
      order = [...active].sort((a, b) => rank(a) - rank(b) || a - b);
      break;
    }
    case 'representative':
      order = representativeOrder(active, weights, options.seed, n);
      break;
  }
  return order.slice(0, n).sort((a, b) => a - b);
}

function filterTriggers(functions: readonly TraceFunction[], triggers: readonly string[]): number[] {
  const present = new Set(functions.map((f) => f.trigger?.toLowerCase()).filter((t) => t !== undefined));
  if (present.size === 0)
    throw new FaasloadError('E_USAGE', '--trigger: this trace has no trigger information');
  const wanted = new Set(triggers.map((t) => t.toLowerCase()));
  const unknown = [...wanted].filter((t) => !present.has(t));
  if (unknown.length > 0) {
    throw new FaasloadError(
      'E_USAGE',
      `--trigger: no function has trigger ${unknown.join(', ')} (this trace has: ${[...present].sort().join(', ')})`,
    );
  }
  return functions.flatMap((f, i) => (f.trigger && wanted.has(f.trigger.toLowerCase()) ? [i] : []));
}

const HIST_BINS = 64;
/** Candidates drawn at each greedy step. */
const CANDIDATES = 32;

/** One feature's distribution over the whole candidate set, binned, and the sample's histogram. */
class Feature {
  readonly bin: Uint16Array;
  readonly target = new Float64Array(HIST_BINS);
  readonly hist = new Float64Array(HIST_BINS);

  constructor(values: Float64Array) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const width = hi > lo ? (hi - lo) / HIST_BINS : 1;
    this.bin = new Uint16Array(values.length);
    values.forEach((v, i) => {
      this.bin[i] = Math.min(HIST_BINS - 1, Math.floor((v - lo) / width));
      this.target[this.bin[i]!]! += 1 / values.length;
    });
    for (let j = 1; j < HIST_BINS; j++) this.target[j]! += this.target[j - 1]!;
  }

  /** Wasserstein-1 distance (in bins / HIST_BINS) to the target if candidate `c` joined the sample of n. */
  distanceWith(c: number, n: number): number {
    const b = this.bin[c]!;
    let cum = 0;
    let d = 0;
    for (let j = 0; j < HIST_BINS; j++) {
      cum += this.hist[j]! + (j === b ? 1 : 0);
      d += Math.abs(cum / (n + 1) - this.target[j]!);
    }
    return d / HIST_BINS;
  }
}

/**
 * A greedy, seeded order of the candidates: at each step, of CANDIDATES drawn from those left, the
 * one that brings the sample's rate and duration distributions closest to the whole set's.
 * Prefixes of the order are the nested samples. Cost O(n * CANDIDATES * HIST_BINS).
 */
function representativeOrder(active: number[], weights: FunctionWeights, seed: number, n: number): number[] {
  const logOf = (v: number) => Math.log10(1 + (Number.isFinite(v) ? v : 0));
  const rate = new Feature(Float64Array.from(active, (i) => logOf(weights.invocations[i]!)));
  const duration = new Feature(Float64Array.from(active, (i) => logOf(weights.durationMs[i]!)));
  const left = active.map((_, k) => k);
  const order: number[] = [];
  for (let step = 0; step < n; step++) {
    let best = -1;
    let bestAt = -1;
    let bestD = Number.POSITIVE_INFINITY;
    const draws = Math.min(CANDIDATES, left.length);
    for (let d = 0; d < draws; d++) {
      const at = Math.floor(unitAt(seed, 0x7e9a, step, d) * left.length);
      const c = left[at]!;
      const dist = rate.distanceWith(c, step) + duration.distanceWith(c, step);
      if (dist < bestD) {
        bestD = dist;
        best = c;
        bestAt = at;
      }
    }
    left[bestAt] = left[left.length - 1]!;
    left.pop();
    rate.hist[rate.bin[best]!]!++;
    duration.hist[duration.bin[best]!]!++;
    order.push(active[best]!);
  }
  return order;
}
