import { FaasloadError } from '../errors.js';
import type { Plan } from './plan.js';
import type { Arrival, ArrivalBatch, BatchOptions } from './types.js';

/**
 * Sharding: one plan split across N load generators by function, so that each function's
 * arrivals stay on one generator and keep their spacing.
 *
 * Contract: the plan of shard I of N is exactly the rows of the full plan whose function is
 * assigned to I (same seq, times, durations, memory, inputs), because it *is* the full plan,
 * filtered. Every shard plans the whole trace (the planner makes millions of arrivals per second
 * on one core, far more than one generator can fire) and keeps its functions' rows; the
 * assignment depends only on the full plan, so it is the same on every machine.
 */

/** Shard `index` (0-based, as Kubernetes' JOB_COMPLETION_INDEX) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Parses `I/N` (0 <= I < N); the error names the flag. */
export function parseShard(text: string, flag = '--shard'): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) {
    throw new FaasloadError(
      'E_USAGE',
      `${flag} ${text}: expected I/N, the shard's index from 0 and the shard count, e.g. 0/3`,
    );
  }
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1) || !Number.isSafeInteger(count))
    throw new FaasloadError('E_USAGE', `${flag} ${text}: the shard count must be at least 1`);
  if (index >= count) {
    throw new FaasloadError(
      'E_USAGE',
      `${flag} ${text}: the index counts from 0, so it must be below ${count} (0/${count} to ${count - 1}/${count})`,
    );
  }
  return { index, count };
}

/**
 * Assigns functions to `count` shards, balanced by planned invocations: longest processing time
 * first (the busiest function goes to the least loaded shard), ties between functions broken by
 * function id, between shards by the lower index. Integer arithmetic only, so every machine
 * computes the same. The busiest shard has at most the mean load plus the busiest function's.
 * Functions with no planned invocation are spread by id too, so each is deployed on one shard.
 * Returns the shard of each function.
 */
export function assignShards(
  invocations: ArrayLike<number>,
  ids: readonly string[],
  count: number,
): Uint32Array {
  if (ids.length !== invocations.length)
    throw new Error(`assignShards: ${ids.length} ids for ${invocations.length} functions`);
  const order = Array.from(ids, (_, i) => i).sort(
    (a, b) => invocations[b]! - invocations[a]! || compareIds(ids[a]!, ids[b]!) || a - b,
  );
  const load = new Float64Array(count);
  const shardOf = new Uint32Array(ids.length);
  for (const fn of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s]! < load[best]!) best = s;
    shardOf[fn] = best;
    // An idle function weighs 1 here, so idle functions spread instead of piling on shard 0.
    load[best]! += Math.max(invocations[fn]!, 0) || 1e-9;
  }
  return shardOf;
}

/** Code-unit order, not locale order: the same on every machine. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What a shard's plan says about its shard. */
export interface ShardFacts extends ShardSpec {
  /** Indices (into the plan's functions) of the functions this shard fires, ascending. */
  functions: readonly number[];
  /** Planned invocations of this shard, and of every shard (index by shard). */
  planned: number;
  plannedPerShard: readonly number[];
}

/**
 * A shard's plan. `functions` stays the full plan's list (indices and action names are those of
 * the unsharded run, so shards never collide on a shared platform): deploy only
 * `shard.functions`. arrivals() carry the full plan's seq; batches() carry them in `seqs`.
 */
export interface ShardPlan extends Plan {
  readonly shard: ShardFacts;
}

/** Planned invocations per function of the plan (one pass over it, times and functions only). */
export function invocationsPerFunction(plan: Plan): Float64Array {
  const counts = new Float64Array(plan.functions.length);
  for (const b of plan.batches({ reuse: true })) for (let i = 0; i < b.length; i++) counts[b.fn[i]!]!++;
  return counts;
}

/** The plan of shard `spec.index` of `spec.count` (see the contract at the top). */
export function shardPlan(plan: Plan, spec: ShardSpec): ShardPlan {
  if (
    !(
      Number.isInteger(spec.index) &&
      Number.isInteger(spec.count) &&
      spec.index >= 0 &&
      spec.index < spec.count
    )
  )
    throw new FaasloadError('E_USAGE', `shard ${spec.index}/${spec.count}: expected 0 <= I < N`);
  const perFunction = invocationsPerFunction(plan);
  const shardOf = assignShards(
    perFunction,
    plan.functions.map((f) => f.id),
    spec.count,
  );
  const plannedPerShard = new Array<number>(spec.count).fill(0);
  const functions: number[] = [];
  shardOf.forEach((s, fn) => {
    plannedPerShard[s]! += perFunction[fn]!;
    if (s === spec.index) functions.push(fn);
  });
  const keep = Uint8Array.from(shardOf, (s) => (s === spec.index ? 1 : 0));
  const planned = plannedPerShard[spec.index]!;
  return {
    functions: plan.functions,
    traceIndex: plan.traceIndex,
    options: plan.options,
    spanUs: plan.spanUs,
    shard: { ...spec, functions, planned, plannedPerShard },
    count: () => planned,
    *batches(options: BatchOptions = {}): Generator<ArrivalBatch> {
      for (const b of plan.batches(options)) {
        const rows: number[] = [];
        for (let i = 0; i < b.length; i++) if (keep[b.fn[i]!] === 1) rows.push(i);
        if (rows.length > 0) yield new ShardBatch(b, Uint32Array.from(rows));
      }
    },
    *arrivals(): Generator<Arrival> {
      for (const a of plan.arrivals()) if (keep[a.fn] === 1) yield a;
    },
  };
}

/**
 * The rows of a full-plan batch that belong to one shard. Durations and memory are read from
 * the full batch only when asked (the planner draws them lazily), so the same reuse rules apply:
 * read a batch before asking for the next.
 */
class ShardBatch implements ArrivalBatch {
  readonly seq: number;
  readonly length: number;
  readonly fn: Uint32Array;
  readonly atUs: Float64Array;
  readonly source: Int32Array;
  /** The full plan's seq of each row: a shard's rows are not consecutive in it. */
  readonly seqs: Float64Array;

  constructor(
    private readonly full: ArrivalBatch,
    private readonly rows: Uint32Array,
  ) {
    this.length = rows.length;
    this.fn = pick(full.fn, rows, new Uint32Array(rows.length));
    this.atUs = pick(full.atUs, rows, new Float64Array(rows.length));
    this.source = pick(full.source, rows, new Int32Array(rows.length));
    this.seqs = Float64Array.from(rows, (r) => fullSeq(full, r));
    this.seq = this.seqs[0]!;
  }

  private durations: Float64Array | undefined;
  private memories: Float64Array | undefined;

  get durationMs(): Float64Array {
    this.durations ??= pick(this.full.durationMs, this.rows, new Float64Array(this.length));
    return this.durations;
  }

  get memoryMb(): Float64Array {
    this.memories ??= pick(this.full.memoryMb, this.rows, new Float64Array(this.length));
    return this.memories;
  }
}

function pick<T extends Float64Array | Uint32Array | Int32Array>(
  from: ArrayLike<number>,
  rows: Uint32Array,
  to: T,
): T {
  for (let i = 0; i < rows.length; i++) to[i] = from[rows[i]!]!;
  return to;
}

/** The seq of row i of a batch: from its `seqs` column when it has one, else consecutive. */
export function fullSeq(b: ArrivalBatch, i: number): number {
  const seqs = (b as { seqs?: Float64Array }).seqs;
  return seqs ? seqs[i]! : b.seq + i;
}
