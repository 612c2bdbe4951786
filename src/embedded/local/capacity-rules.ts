/**
 * The embedded platform's capacity rules as pure functions, shared by the platform (pool.ts)
 * and by its model in `faasload simulate` (src/simulate/platform-model.ts), so that both apply the
 * same rules. No clocks, no timers, no instances: the callers hold the state.
 *
 * The rules, in the order an invocation meets them:
 * - An instance's memory limit is its function's size class (sizeClassMb, memory.ts).
 * - An invocation takes the most recently used idle instance of its function (warm). A cold
 *   start is dedicated to the invocation that asked for it: its instance is busy from launch
 *   through /init and that invocation's /run; an instance of the function freed meanwhile goes
 *   idle (or to the next waiter of its function).
 * - A cold start needs a start slot (fewer than maxStarting under way) and room in the pool
 *   (fitsInPool), made if need be by evicting idle instances of any function, least recently
 *   used first, and only when evicting them all would make room (fitsAfterEvictingIdle).
 *   coldStartBlock says which of these blocks it.
 * - A waiting invocation is served, in arrival order, by whichever comes first: an instance of
 *   its function going idle, or a start slot and room for a cold start.
 * - An instance's keep-alive starts when its last activation ends (it goes idle) and ends
 *   keepAliveMs later (keepAliveEndsAt); reuse before that stops it.
 */
export { DEFAULT_FUNCTION_MEMORY_MB, DEFAULT_MEMORY_CLASSES_MB, sizeClassMb } from './memory.js';

/** The pool's limits: the memory limits of live instances, and their number. */
export interface PoolLimits {
  readonly poolMemoryMb: number;
  readonly maxInstances: number;
}

/** Instances counted against the pool (live, not being stopped), or a subset of them. */
export interface PoolUse {
  /** Sum of their memory limits (MB). */
  readonly memoryMb: number;
  readonly instances: number;
}

/** Whether one more instance of needMb fits in the pool as it is. */
export function fitsInPool(use: PoolUse, limits: PoolLimits, needMb: number): boolean {
  return use.memoryMb + needMb <= limits.poolMemoryMb && use.instances < limits.maxInstances;
}

/**
 * Whether one more instance of needMb would fit once every idle instance (`idle`, a subset of
 * `use`) were evicted. Eviction is all or nothing: when this is false nothing is evicted, since
 * it would make room for no one.
 */
export function fitsAfterEvictingIdle(
  use: PoolUse,
  idle: PoolUse,
  limits: PoolLimits,
  needMb: number,
): boolean {
  return fitsInPool(
    { memoryMb: use.memoryMb - idle.memoryMb, instances: use.instances - idle.instances },
    limits,
    needMb,
  );
}

/** What keeps a cold start from beginning now. */
export type ColdStartBlock = 'start_slot' | 'memory';

/**
 * Why a cold start cannot begin now, or undefined if it may (in which case makeRoom has made
 * room). Checked in this order: earlier invocations already wait for a start slot or memory
 * (`queuedBefore`: cold starts are granted in arrival order), no free start slot, no room.
 * makeRoom: true if the instance fits, after evicting idle instances if that makes it fit; it is
 * called last, and only when a start slot is free, so nothing is evicted for a start that waits.
 */
export function coldStartBlock(
  queuedBefore: ColdStartBlock | undefined,
  starting: number,
  startSlots: number,
  makeRoom: () => boolean,
): ColdStartBlock | undefined {
  if (queuedBefore !== undefined) return queuedBefore;
  if (starting >= startSlots) return 'start_slot';
  return makeRoom() ? undefined : 'memory';
}

/** When an instance idle since `idleSince` reaches the end of its keep-alive (same unit). */
export function keepAliveEndsAt(idleSince: number, keepAlive: number): number {
  return idleSince + keepAlive;
}
