/**
 * The local platform's instances: one record each, holding its state, and the indices the pool
 * looks instances up by (the idle ones of each function, most recently used on top, with their
 * keep-alive timers; the busy ones that can take one more activation; the number and memory of
 * instances in each state). Every change of a record goes through one method (move), which keeps
 * the indices in step: an instance is in exactly one state from add() until drop().
 *
 * States: starting (launched, not yet ready and /init-ed), busy (running activations), idle (its
 * keep-alive running), stopping (killed, not yet exited). Transitions: starting → busy | idle |
 * stopping; busy → busy | idle | stopping; idle → busy | stopping; stopping → (dropped when it
 * exits). Anything else is a bug and throws. Changing a record that was dropped does nothing (its
 * instance exited meanwhile).
 *
 * Bookkeeping only, synchronous: which instance serves whom, and when, is pool.ts's business.
 */
import { performance } from 'node:perf_hooks';
import type { PoolUse } from './capacity-rules.js';

export type InstanceState = 'starting' | 'busy' | 'idle' | 'stopping';

/** What the table needs of an instance. */
export interface TabledInstance {
  readonly id: string;
  readonly functionName: string;
  /** False once its process or container has ended. */
  readonly alive: boolean;
}

interface Entry<I> {
  readonly instance: I;
  /** Its memory limit (MB): held in the pool until it is stopping. */
  readonly memoryMb: number;
  /** Activations it may run at once. */
  readonly concurrency: number;
  state: InstanceState;
  /** Activations running on it: at least 1 when busy, else 0. */
  active: number;
  /** busy: it takes no further activation (it goes when its last one ends). */
  draining: boolean;
  /** idle: since when (performance.now()), and the timer that ends its keep-alive. */
  idleSinceMs: number;
  keepAlive: NodeJS.Timeout | undefined;
}

/** One instance's record, as others read it; only the table changes it. */
export type InstanceRecord<I> = Readonly<Omit<Entry<I>, 'keepAlive'>>;

const NEXT: Record<InstanceState, readonly InstanceState[]> = {
  starting: ['busy', 'idle', 'stopping'],
  busy: ['busy', 'idle', 'stopping'],
  idle: ['busy', 'stopping'],
  stopping: [],
};

const perState = (): Record<InstanceState, number> => ({ starting: 0, busy: 0, idle: 0, stopping: 0 });

export class InstanceTable<I extends TabledInstance> {
  private readonly entries = new Map<I, Entry<I>>();
  /** Per function: its idle instances, the most recently used last. */
  private readonly idleOf = new Map<string, Entry<I>[]>();
  /** Per function: busy instances with a free slot, not draining, in the order they became so. */
  private readonly shareableOf = new Map<string, Set<Entry<I>>>();
  private readonly counts = perState();
  private readonly memoryMb = perState();

  /**
   * keepAliveMs: how long an instance may stay idle (0: until the next timer turn; Infinity:
   * forever); keepAliveEnded: called (from a timer) with an instance still idle when it runs out.
   */
  constructor(
    private readonly keepAliveMs: number,
    private readonly keepAliveEnded: (record: InstanceRecord<I>) => void,
  ) {}

  /** A launched instance, starting. Throws if it is in the table already. */
  add(instance: I, memoryMb: number, concurrency: number): InstanceRecord<I> {
    if (this.entries.has(instance)) throw new Error(`instance ${instance.id} is in the table already`);
    const entry: Entry<I> = {
      instance,
      memoryMb,
      concurrency,
      state: 'starting',
      active: 0,
      draining: false,
      idleSinceMs: 0,
      keepAlive: undefined,
    };
    this.entries.set(instance, entry);
    this.counts.starting++;
    this.memoryMb.starting += memoryMb;
    return entry;
  }

  get(instance: I): InstanceRecord<I> | undefined {
    return this.entries.get(instance);
  }

  /** Every instance not yet exited, in the order they were added. */
  records(): InstanceRecord<I>[] {
    return [...this.entries.values()];
  }

  /** Instances not yet exited, whatever their state. */
  get size(): number {
    return this.entries.size;
  }

  count(state: InstanceState): number {
    return this.counts[state];
  }

  /** The instances the pool holds (all but the stopping ones) and the sum of their memory limits. */
  inUse(): PoolUse {
    return {
      instances: this.entries.size - this.counts.stopping,
      memoryMb: this.memoryMb.starting + this.memoryMb.busy + this.memoryMb.idle,
    };
  }

  /** The idle instances, a subset of inUse(). */
  idleUse(): PoolUse {
    return { instances: this.counts.idle, memoryMb: this.memoryMb.idle };
  }

  /** Idle instances of a function. */
  idleCount(functionName: string): number {
    return this.idleOf.get(functionName)?.length ?? 0;
  }

  /** The most recently used idle instance of the function that is alive. */
  newestIdle(functionName: string): InstanceRecord<I> | undefined {
    const stack = this.idleOf.get(functionName) ?? [];
    for (let i = stack.length - 1; i >= 0; i--) {
      const entry = stack[i];
      if (entry?.instance.alive) return entry;
    }
    return undefined;
  }

  /** The least recently used idle instance, of any function. */
  oldestIdle(): InstanceRecord<I> | undefined {
    let oldest: Entry<I> | undefined;
    for (const stack of this.idleOf.values()) {
      const bottom = stack[0];
      if (bottom && (!oldest || bottom.idleSinceMs < oldest.idleSinceMs)) oldest = bottom;
    }
    return oldest;
  }

  /** A busy instance of the function that is alive and can take one more activation. */
  shareable(functionName: string): InstanceRecord<I> | undefined {
    for (const entry of this.shareableOf.get(functionName) ?? []) if (entry.instance.alive) return entry;
    return undefined;
  }

  /** One more activation: starting or idle → busy, or busy with one more. */
  lease(record: InstanceRecord<I>): void {
    const entry = this.entryOf(record);
    if (entry) this.move(entry, 'busy', entry.state === 'busy' ? entry.active + 1 : 1);
  }

  /**
   * One of its activations ended and others still run (busy, active above 1); `reusable`: it may
   * take more (false: it drains, taken by no one until it stops).
   */
  release(record: InstanceRecord<I>, reusable: boolean): void {
    const entry = this.entryOf(record);
    if (!entry) return;
    if (entry.state !== 'busy' || entry.active < 2)
      throw new Error(
        `instance ${entry.instance.id}: release with ${entry.active} activations (${entry.state})`,
      );
    this.move(entry, 'busy', entry.active - 1, !reusable);
  }

  /** Its one activation ended and the next begins at once (busy stays busy, with one). */
  handOff(record: InstanceRecord<I>): void {
    const entry = this.entryOf(record);
    if (!entry) return;
    if (entry.state !== 'busy' || entry.active !== 1)
      throw new Error(
        `instance ${entry.instance.id}: hand-off with ${entry.active} activations (${entry.state})`,
      );
    this.move(entry, 'busy', 1);
  }

  /** It goes idle (from starting, or busy with its last activation ended); its keep-alive starts. */
  idle(record: InstanceRecord<I>): void {
    const entry = this.entryOf(record);
    if (!entry) return;
    if (entry.state === 'busy' && entry.active !== 1)
      throw new Error(`instance ${entry.instance.id}: idle with ${entry.active} activations`);
    this.move(entry, 'idle', 0);
  }

  /** It is being stopped: its memory goes back to the pool now. A no-op when it is stopping already. */
  stop(record: InstanceRecord<I>): void {
    const entry = this.entryOf(record);
    if (entry && entry.state !== 'stopping') this.move(entry, 'stopping', 0);
  }

  /** Its process or container has exited: out of the table. */
  drop(record: InstanceRecord<I>): void {
    const entry = this.entryOf(record);
    if (!entry) return;
    this.leave(entry);
    this.markShareable(entry, false);
    this.entries.delete(entry.instance);
  }

  /** The record's entry, if it is still in the table. */
  private entryOf(record: InstanceRecord<I>): Entry<I> | undefined {
    const entry = this.entries.get(record.instance);
    return entry === record ? entry : undefined;
  }

  /** The one place a record changes: leaves its state's indices, then joins the new state's. */
  private move(entry: Entry<I>, state: InstanceState, active: number, draining = false): void {
    if (!NEXT[entry.state].includes(state))
      throw new Error(`instance ${entry.instance.id}: ${entry.state} → ${state} is not a transition`);
    this.leave(entry);
    entry.state = state;
    entry.active = active;
    entry.draining = draining;
    this.counts[state]++;
    this.memoryMb[state] += entry.memoryMb;
    if (state === 'idle') {
      const name = entry.instance.functionName;
      entry.idleSinceMs = performance.now();
      if (Number.isFinite(this.keepAliveMs)) {
        entry.keepAlive = setTimeout(() => this.keepAliveEnded(entry), this.keepAliveMs);
        // Idle instances alone do not keep the host process running.
        entry.keepAlive.unref();
      }
      let stack = this.idleOf.get(name);
      if (!stack) {
        stack = [];
        this.idleOf.set(name, stack);
      }
      stack.push(entry);
    }
    this.markShareable(entry, state === 'busy' && active < entry.concurrency && !draining);
  }

  /** In or out of its function's shareable ones; one that stays keeps its place (a Set's order). */
  private markShareable(entry: Entry<I>, shareable: boolean): void {
    const name = entry.instance.functionName;
    let set = this.shareableOf.get(name);
    if (shareable) {
      if (!set) {
        set = new Set();
        this.shareableOf.set(name, set);
      }
      set.add(entry);
    } else if (set?.delete(entry) && set.size === 0) this.shareableOf.delete(name);
  }

  /** Out of its state's count, memory and idle stack (the shareable ones are move()'s). */
  private leave(entry: Entry<I>): void {
    this.counts[entry.state]--;
    this.memoryMb[entry.state] -= entry.memoryMb;
    if (entry.state !== 'idle') return;
    clearTimeout(entry.keepAlive);
    entry.keepAlive = undefined;
    const name = entry.instance.functionName;
    const stack = this.idleOf.get(name);
    const at = stack?.indexOf(entry) ?? -1;
    if (stack && at >= 0) stack.splice(at, 1);
    if (stack?.length === 0) this.idleOf.delete(name);
  }
}
