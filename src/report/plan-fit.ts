import type { PlanNeeds } from './plan-needs.js';

/**
 * A plan's needs (plan-needs.ts) against what runs it: the machine's cores and memory, and the
 * embedded platform's pool (its memory budget and instance cap). Says what is exceeded and finds
 * a --scale under which the plan fits.
 */
export interface Capacity {
  /** CPUs of this machine. */
  cores: number;
  /** MB the instances' memory limits may add up to: the pool (--pool-memory), at most the host's memory. */
  memoryMb: number;
  /** Where memoryMb comes from, for the message. */
  memoryFrom: string;
  /** --max-instances. */
  maxInstances: number;
}

export type ExcessKind = 'cores' | 'memory' | 'instances';

export interface Excess {
  kind: ExcessKind;
  need: number;
  have: number;
}

/** What the plan needs beyond the capacity (empty if it fits). */
export function excesses(n: PlanNeeds, c: Capacity): Excess[] {
  const out: Excess[] = [];
  if (n.peakCores > c.cores) out.push({ kind: 'cores', need: n.peakCores, have: c.cores });
  if (n.peakMemoryMb > c.memoryMb) out.push({ kind: 'memory', need: n.peakMemoryMb, have: c.memoryMb });
  if (n.peakInstances > c.maxInstances)
    out.push({ kind: 'instances', need: n.peakInstances, have: c.maxInstances });
  return out;
}

/** One sentence per excess: what, how much, what there is. */
export function formatExcess(e: Excess, c: Capacity): string {
  switch (e.kind) {
    case 'cores':
      return `the plan's busiest minute needs ${e.need.toFixed(1)} cores of function work; this machine has ${e.have}`;
    case 'memory':
      return `its instances under the keep-alive need ${Math.ceil(e.need)} MB of memory limits at once; there are ${e.have} MB (${c.memoryFrom})`;
    case 'instances':
      return `it keeps ${e.need} instances alive at once; --max-instances is ${e.have}`;
  }
}

export interface FitResult {
  /** The scale found (the plan's own if it fits), and the needs at it; undefined if none was found. */
  scale?: number;
  needs?: PlanNeeds;
  /** Scales tried, in order, with what still exceeded at each. */
  tried: { scale: number; exceeded: ExcessKind[] }[];
}

/** Steps of the search down at most, then of the bisection back up. */
const MAX_TRIES = 12;
const BISECTIONS = 4;
/** Below this a scale is not worth proposing: the plan would be almost empty. */
const MIN_SCALE = 1e-4;

/** `x` rounded down to two significant digits (0.0347 → 0.034), so that the flag reads well. */
export function roundDown2(x: number): number {
  if (!(x > 0)) return 0;
  const p = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.floor(x / p + 1e-9) * p).toPrecision(2));
}

/**
 * A scale under which the plan fits, from `scale` (the plan's own) down: each step scales by the
 * worst ratio of capacity to need (cores and cold starts follow the scale; instances and memory
 * under a keep-alive less than proportionally), rounded down to two significant digits, and
 * measures the plan again (needsAt: a plan made at that scale, with the same seed). Once one
 * fits, a few bisections between it and the last that did not look for a larger one that fits
 * (instances and memory shrink less than the rate, so the first fit can be well below the
 * largest). Only a scale measured to fit, with invocations left, is returned. Gives up after
 * MAX_TRIES steps down, below MIN_SCALE, or when the plan is empty: instances kept alive by many
 * functions invoked rarely do not go away with the rate, nor does one invocation longer than
 * the cores can run in a minute.
 */
export function fitScale(
  needsAt: (scale: number) => PlanNeeds,
  capacity: Capacity,
  scale: number,
  needs: PlanNeeds,
): FitResult {
  const tried: FitResult['tried'] = [];
  let current = needs;
  let s = scale;
  let above = scale;
  for (let i = 0; i < MAX_TRIES; i++) {
    const over = excesses(current, capacity);
    if (i > 0) tried.push({ scale: s, exceeded: over.map((e) => e.kind) });
    // An empty plan fits anything: a scale that leaves nothing to run is no answer.
    if (i > 0 && current.invocations === 0) break;
    if (over.length === 0) return i === 0 ? { scale: s, needs: current, tried } : bisect(s, current, above);
    const ratio = Math.min(...over.map((e) => e.have / e.need));
    let next = roundDown2(s * ratio);
    if (next >= s) next = roundDown2(s * 0.9);
    if (next < MIN_SCALE) break;
    above = s;
    s = next;
    current = needsAt(s);
  }
  return { tried };

  function bisect(fits: number, fitNeeds: PlanNeeds, fails: number): FitResult {
    let lo = fits;
    let loNeeds = fitNeeds;
    let hi = fails;
    for (let i = 0; i < BISECTIONS; i++) {
      const mid = roundDown2((lo + hi) / 2);
      if (mid <= lo || mid >= hi) break;
      const n = needsAt(mid);
      const over = excesses(n, capacity);
      tried.push({ scale: mid, exceeded: over.map((e) => e.kind) });
      if (over.length === 0 && n.invocations > 0) {
        lo = mid;
        loNeeds = n;
      } else hi = mid;
    }
    return { scale: lo, needs: loNeeds, tried };
  }
}
