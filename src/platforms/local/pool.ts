/**
 * Idle (warm) instances per function, with keep-alive eviction.
 *
 * take() hands out the most recently used idle instance of a function (LIFO, so that a shrinking
 * load lets the oldest ones age out); put() makes an instance idle and starts its keep-alive
 * timer; when the timer fires the instance leaves the pool and goes to `evict`, which kills it.
 * Synchronous and single-threaded: an instance is either idle here or leased to one caller.
 */
import { performance } from 'node:perf_hooks';
import type { FunctionInstance as Instance } from './runtime.js';

interface Idle {
  instance: Instance;
  timer: NodeJS.Timeout | undefined;
  /** When it became idle (performance.now()), to find the least recently used. */
  sinceMs: number;
}

export class IdlePool {
  private readonly idle = new Map<string, Idle[]>();
  private count = 0;

  /**
   * keepAliveMs: how long an instance may stay idle (0 evicts on the next timer turn, Infinity
   * never); evict: called with each instance whose keep-alive ran out, already out of the pool.
   */
  constructor(
    private readonly keepAliveMs: number,
    private readonly evict: (instance: Instance) => void,
  ) {}

  /** Idle instances, all functions together. */
  get size(): number {
    return this.count;
  }

  /** Removes and returns a live idle instance of the function, or undefined if there is none. */
  take(functionName: string): Instance | undefined {
    const stack = this.idle.get(functionName);
    while (stack && stack.length > 0) {
      const entry = stack.pop()!;
      this.count--;
      clearTimeout(entry.timer);
      if (stack.length === 0) this.idle.delete(functionName);
      if (entry.instance.alive) return entry.instance;
    }
    return undefined;
  }

  /** Makes a leased instance idle again; its keep-alive starts now. */
  put(instance: Instance): void {
    const entry: Idle = { instance, timer: undefined, sinceMs: performance.now() };
    if (Number.isFinite(this.keepAliveMs)) {
      entry.timer = setTimeout(() => {
        if (this.remove(instance)) this.evict(instance);
      }, this.keepAliveMs);
      // Idle instances alone do not keep the host process running.
      entry.timer.unref();
    }
    let stack = this.idle.get(instance.functionName);
    if (!stack) {
      stack = [];
      this.idle.set(instance.functionName, stack);
    }
    stack.push(entry);
    this.count++;
  }

  /** Whether an idle instance of the function is there. */
  /** Idle instances of a function. */
  idleOf(functionName: string): number {
    return this.idle.get(functionName)?.length ?? 0;
  }

  has(functionName: string): boolean {
    return this.idle.has(functionName);
  }

  /** Removes and returns the least recently used idle instance of any function (to make room). */
  takeOldest(): Instance | undefined {
    let oldest: Idle | undefined;
    for (const stack of this.idle.values()) {
      const bottom = stack[0];
      if (bottom && (!oldest || bottom.sinceMs < oldest.sinceMs)) oldest = bottom;
    }
    if (oldest) this.remove(oldest.instance);
    return oldest?.instance;
  }

  /** Takes an instance out of the pool (e.g. it exited on its own); false if it was not idle. */
  remove(instance: Instance): boolean {
    const stack = this.idle.get(instance.functionName);
    const at = stack ? stack.findIndex((e) => e.instance === instance) : -1;
    if (!stack || at < 0) return false;
    const [entry] = stack.splice(at, 1);
    clearTimeout(entry?.timer);
    this.count--;
    if (stack.length === 0) this.idle.delete(instance.functionName);
    return true;
  }

  /** Empties the pool, cancelling every keep-alive timer, and returns what was idle. */
  drain(): Instance[] {
    const all: Instance[] = [];
    for (const stack of this.idle.values()) {
      for (const entry of stack) {
        clearTimeout(entry.timer);
        all.push(entry.instance);
      }
    }
    this.idle.clear();
    this.count = 0;
    return all;
  }
}
