/**
 * The local platform's instance pool, in the role of OpenWhisk's ContainerPool: which instances
 * exist (instance-table.ts, one record each), the pool's capacity (memory size classes and an
 * instance count, capacity-rules.ts), start slots, idle instances reused most recently used first
 * and evicted least recently used first (to make room, or when their keep-alive ends), and the
 * queue of invocations waiting for an instance, with what each waits for (WaitReason). How an
 * instance is started and spoken to is its own business (PooledInstance; instance-proxy.ts).
 *
 * The rules (capacity-rules.ts states them; src/simulate/platform-model.ts models them):
 * - An invocation takes a busy instance of its function with a free slot (concurrency above 1),
 *   else the most recently used idle one (warm), else a cold start, dedicated to it.
 * - With concurrency above 1, it rather waits for a free slot of an instance being started than
 *   starts another, as OpenWhisk's container pool does.
 * - A cold start needs a start slot and room in the pool, made if need be by evicting idle
 *   instances of any function, least recently used first (all or nothing).
 * - Waiting invocations are served in arrival order, but an invocation waits only behind earlier
 *   ones of its own function, or behind earlier ones that wait for a start slot or memory: a warm
 *   instance is never held back by another function's cold starts.
 * - An invocation whose cold start is under way takes an instance of its function that comes free
 *   first; its start still ends, into the next invocation of its function or the idle pool.
 * Single-threaded and synchronous, apart from starts and the timers of waits and keep-alives.
 */
import { performance } from 'node:perf_hooks';
import type { PlatformPressure, WaitReason } from '../../platforms/types.js';
import { messageOf } from '../../util/message.js';
import {
  type ColdStartBlock,
  coldStartBlock,
  fitsAfterEvictingIdle,
  fitsInPool,
  type PoolLimits,
} from './capacity-rules.js';
import { type ExitInfo, InstanceFailure } from './instance.js';
import type { LifecycleEvent } from './instance-channel.js';
import { type InstanceRecord, InstanceTable, type TabledInstance } from './instance-table.js';

/** What the pool needs of an instance (instance-proxy.ts's InstanceProxy; fakes in tests). */
export interface PooledInstance extends TabledInstance {
  /** Settles (never rejects) once it has ended, whoever ended it. */
  readonly exited: Promise<ExitInfo>;
  /** Makes the launched instance ready to run; rejects (a StartFailure says at which step) if not. */
  start(signal: AbortSignal): Promise<void>;
  /** Ends it without waiting; `exited` settles later. Safe to call more than once. */
  remove(): void;
}

/** A function as the pool sees it, resolved by the platform when an invocation arrives. */
export interface PoolFunction {
  readonly name: string;
  /** Its instances' memory limit (its size class), MB. */
  readonly memoryMb: number;
  /** Activations one instance runs at once (at least 1). */
  readonly concurrency: number;
}

export interface PoolOptions extends PoolLimits {
  /** How long an instance may stay idle; Infinity keeps it. */
  keepAliveMs: number;
  /** How long an invocation may wait for an instance before it fails with 'timeout'. */
  waitTimeoutMs: number;
  /** Cold starts that may be under way at once (asked when one is wanted). */
  startSlots(): number;
}

export interface PoolHooks<I> {
  /** Launches an instance of fn, synchronously (its process or container is on its way); throws if it cannot. */
  launch(fn: PoolFunction): I;
  /** Whether an instance still runs its function as deployed (after a redeploy, old ones are removed). */
  isCurrent(instance: I): boolean;
  /** An instance's lifecycle event (instance-channel.ts), with its memory limit. */
  lifecycle(instance: I, event: LifecycleEvent, reason: string, memoryLimitMb: number): void;
}

/** An instance leased to one invocation, and how it was obtained. */
export interface Lease<I> {
  instance: I;
  coldStart: boolean;
  /** Cold starts: from launch to ready (and /init-ed), ms. */
  initMs?: number;
  /** Time spent waiting for an instance, a slot or room, ms. */
  waitMs: number;
  waitReason: WaitReason;
}

/** Counters since construction and the instances now, for the run's summary and manifest. */
export interface PoolStats {
  /** Instances launched (cold starts attempted). */
  started: number;
  /** Cold starts that failed (launch, ready or /init). */
  failedStarts: number;
  /** Instances removed because their keep-alive ran out or to make room (evictedForRoom). */
  evicted: number;
  /** Idle instances removed, least recently used first, to make room for a cold start. */
  evictedForRoom: number;
  /** Instances removed after a failure, a timeout or an abort, or found dead. */
  discarded: number;
  /** Instances not yet exited, whatever their state; idle and busy are subsets. */
  alive: number;
  idle: number;
  busy: number;
  /** Sum of the memory limits of instances not stopping (MB): what the pool holds. */
  usedMemoryMb: number;
}

/** A start that failed, and at which step: launch and ready ('start') or the code's /init ('init'). */
export class StartFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly stage: 'start' | 'init',
  ) {
    super(messageOf(cause));
  }
}

/** A cold start that failed, with the time its invocation had waited before it. */
export class ColdStartFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly waitMs: number,
    readonly waitReason: WaitReason,
    readonly stage: 'start' | 'init',
  ) {
    super(`cold start: ${messageOf(cause)}`);
  }
}

interface Waiter<I> {
  fn: PoolFunction;
  signal: AbortSignal;
  enqueuedMs: number;
  settle(r: Lease<I> | Error): void;
  /** Leaves the queue: stops the wait's timer and abort listener. */
  leave(): void;
  /** A cold start whose free slot this waiter waits for, rather than starting another instance. */
  awaits?: ColdStart<I>;
  /** What it was last blocked on (undefined: not blocked yet). */
  blocked?: Exclude<WaitReason, 'none'>;
  /** Its lease (or failure) has been given: by its own cold start, or by an instance that came free first. */
  served?: boolean;
}

/** A cold start under way for one invocation. */
interface ColdStart<I> {
  readonly waiter: Waiter<I>;
  /** Slots its instance will have beyond its first activation, not yet promised to a waiter. */
  spare: number;
  /** The start has ended (its instance leased or released, or the start failed). */
  ended: boolean;
}

/** What a wait that ran out waited for, in its error message. */
const WAITED_FOR = {
  'an instance': 'an instance',
  start_slot: 'a start slot (--max-starting)',
  memory: 'room in the pool (--pool-memory, --max-instances)',
  instance_busy: 'a slot on an instance of its function',
} as const;

/** Why an instance ended on its own, for its lifecycle event. */
function exitReason(info: ExitInfo): string {
  if (info.oomKilled) return 'out of memory';
  if (info.error) return `could not start: ${info.error.message}`;
  return info.signal !== null ? `killed by ${info.signal}` : `exited with code ${String(info.code)}`;
}

export class InstancePool<I extends PooledInstance> {
  private readonly table: InstanceTable<I>;
  /** Invocations waiting for an instance, first come first served. */
  private readonly waiters: Waiter<I>[] = [];
  /** Per function: cold starts under way for an invocation, in the order they began. */
  private readonly starts = new Map<string, ColdStart<I>[]>();
  /** Cold starts holding a start slot. */
  private starting = 0;
  private readonly counters = { started: 0, failedStarts: 0, evicted: 0, evictedForRoom: 0, discarded: 0 };
  private closing = false;

  constructor(
    private readonly o: PoolOptions,
    private readonly hooks: PoolHooks<I>,
  ) {
    this.table = new InstanceTable<I>(o.keepAliveMs, (record) => {
      this.counters.evicted++;
      this.stop(record.instance, 'keep_alive_expired', `idle for ${o.keepAliveMs} ms`);
    });
  }

  /** close() has been called: no cold start begins, released instances are removed. */
  get closed(): boolean {
    return this.closing;
  }

  /**
   * An instance for one invocation: at once if one is free or may be started, else after a wait
   * of at most waitTimeoutMs (rejects InstanceFailure 'timeout', or 'aborted' on signal). A cold
   * start that fails rejects ColdStartFailure. A function whose instances are bigger than the
   * pool rejects at once ('start').
   */
  acquire(fn: PoolFunction, signal: AbortSignal): Promise<Lease<I>> {
    return new Promise<Lease<I>>((resolve, reject) => {
      if (fn.memoryMb > this.o.poolMemoryMb) {
        reject(
          new InstanceFailure(
            'start',
            `its memory limit of ${fn.memoryMb} MB does not fit in the pool's ${this.o.poolMemoryMb} MB`,
          ),
        );
        return;
      }
      const waiter: Waiter<I> = {
        fn,
        signal,
        enqueuedMs: performance.now(),
        settle: (r) => (r instanceof Error ? reject(r) : resolve(r)),
        leave: () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
        },
      };
      const onAbort = () => {
        waiter.leave();
        reject(new InstanceFailure('aborted', 'aborted while waiting for an instance'));
      };
      const timer = setTimeout(() => {
        waiter.leave();
        const what = waiter.blocked ?? 'an instance';
        reject(new InstanceFailure('timeout', `waited ${this.o.waitTimeoutMs} ms for ${WAITED_FOR[what]}`));
      }, this.o.waitTimeoutMs);
      // Served at once unless an earlier one of its function waits (first come, first served per
      // function); a cold start, also unless earlier ones wait for a start slot or memory.
      let ownBefore = false;
      let coldBefore: ColdStartBlock | undefined;
      for (const w of this.waiters) {
        if (w.fn.name === fn.name) ownBefore = true;
        if (w.blocked === 'start_slot' || w.blocked === 'memory') coldBefore ??= w.blocked;
      }
      if (!ownBefore && this.serve(waiter, true, coldBefore)) {
        clearTimeout(timer);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /**
   * One activation on the instance ended. When none is left it goes to the next invocation of its
   * function whose own cold start is under way, else idle; unless the pool is closing, the
   * instance is gone or stopping, or its function was redeployed: then it is removed.
   */
  release(instance: I): void {
    const record = this.table.get(instance);
    const current = this.hooks.isCurrent(instance);
    const reusable = current && instance.alive && !this.closing;
    if (record?.state === 'busy' && record.active > 1) {
      this.table.release(record, reusable);
      this.pump();
      return;
    }
    if (record?.state === 'stopping') return; // being removed already (discarded once)
    if (!record || !reusable) {
      this.discard(instance, this.closing ? 'the platform is closing' : !current ? 'redeployed' : 'exited');
      return;
    }
    // An invocation of its function waiting for its own cold start takes it now (the start, when
    // it ends, serves the next one or goes idle): no invocation waits for a start longer than
    // for an instance of its function to come free.
    const waiting = this.starts.get(instance.functionName)?.find((s) => !s.waiter.served)?.waiter;
    if (waiting) {
      waiting.served = true;
      if (record.state === 'busy') this.table.handOff(record);
      else this.table.lease(record);
      const waitMs = performance.now() - waiting.enqueuedMs;
      waiting.settle({ instance, coldStart: false, waitMs, waitReason: 'instance_busy' });
      return;
    }
    this.table.idle(record);
    this.pump();
  }

  /** Removes an instance after a failure (counted in discarded). */
  discard(instance: I, reason = 'unusable'): void {
    this.counters.discarded++;
    this.stop(instance, 'discarded', reason);
  }

  /** Removes the function's idle instances (a redeploy or an undeploy); busy ones go when released. */
  retire(functionName: string, reason: string): void {
    for (let idle = this.table.newestIdle(functionName); idle; idle = this.table.newestIdle(functionName))
      this.discard(idle.instance, reason);
  }

  /**
   * Starts idle instances of fn until it has `count` (fewer if maxInstances or the pool's memory
   * is reached), one after the other and without start slots: a provisioned pool. A start that
   * fails is counted (failedStarts), not thrown.
   */
  async prewarm(fn: PoolFunction, count: number, signal: AbortSignal): Promise<void> {
    const { maxInstances, poolMemoryMb } = this.o;
    const fits = () =>
      this.table.size < maxInstances && this.table.inUse().memoryMb + fn.memoryMb <= poolMemoryMb;
    for (let n = this.table.idleCount(fn.name); n < count && fits(); n++) {
      try {
        this.release(await this.startInstance(fn, signal));
      } catch {
        // counted in startInstance
      }
    }
  }

  stats(): PoolStats {
    return {
      ...this.counters,
      alive: this.table.size,
      idle: this.table.count('idle'),
      busy: this.table.count('busy'),
      usedMemoryMb: this.table.inUse().memoryMb,
    };
  }

  /** What waiting invocations wait for, start slots, the pool's memory and instances. */
  pressure(): PlatformPressure {
    const waiting = { start_slot: 0, memory: 0, instance_busy: 0 };
    for (const w of this.waiters) if (w.blocked !== undefined) waiting[w.blocked]++;
    const use = this.table.inUse();
    return {
      waiting,
      starting: this.starting,
      startSlots: this.o.startSlots(),
      usedMemoryMb: use.memoryMb,
      poolMemoryMb: this.o.poolMemoryMb,
      instances: use.instances,
      maxInstances: this.o.maxInstances,
    };
  }

  /** The instances not yet exited, with their state. */
  records(): InstanceRecord<I>[] {
    return this.table.records();
  }

  /**
   * Fails every waiting invocation, removes every instance and resolves once all have exited.
   * Afterwards no cold start begins and released instances are removed. Idempotent.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of [...this.waiters]) {
      w.leave();
      w.settle(new InstanceFailure('aborted', 'the local platform was torn down'));
    }
    const exits = this.table.records().map(({ instance }) => {
      this.stop(instance, 'teardown', 'the platform was torn down');
      return instance.exited;
    });
    await Promise.all(exits);
  }

  /** Serves waiting invocations in arrival order with whatever is free now. Synchronous. */
  private pump(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i];
      if (w && this.serve(w)) w.leave();
      else i++;
    }
  }

  /**
   * Gives the waiter a warm instance (or a free slot on a busy one) or starts one for it, if
   * possible now; else records what blocks it. A waiter served on arrival (before any wait) gets
   * waitMs 0 and waitReason none. `coldBefore`: earlier invocations wait for that to start an
   * instance; this one then takes a warm instance only, or waits behind them.
   */
  private serve(w: Waiter<I>, onArrival = false, coldBefore?: ColdStartBlock): boolean {
    const waitMs = onArrival ? 0 : performance.now() - w.enqueuedMs;
    const waitReason: WaitReason = onArrival ? 'none' : (w.blocked ?? 'none');
    const name = w.fn.name;
    const warm = this.table.shareable(name) ?? this.table.newestIdle(name);
    if (warm) {
      // A slot promised on an instance still starting goes back to those behind.
      if (w.awaits && !w.awaits.ended) w.awaits.spare++;
      this.table.lease(warm);
      w.settle({ instance: warm.instance, coldStart: false, waitMs, waitReason });
      return true;
    }
    if (w.awaits && !w.awaits.ended) return false;
    const promised = this.starts.get(name)?.find((s) => s.spare > 0);
    if (promised) {
      promised.spare--;
      w.awaits = promised;
      w.blocked = 'instance_busy';
      return false;
    }
    if (this.closing) return false;
    const block = coldStartBlock(coldBefore, this.starting, this.o.startSlots(), () =>
      this.makeRoom(w.fn.memoryMb),
    );
    if (block) {
      w.blocked = block;
      return false;
    }
    this.coldStartFor(w, waitMs, waitReason);
    return true;
  }

  /** Starts an instance for the waiter, which it serves unless an instance came free first. */
  private coldStartFor(w: Waiter<I>, waitMs: number, waitReason: WaitReason): void {
    const name = w.fn.name;
    const start: ColdStart<I> = { waiter: w, spare: w.fn.concurrency - 1, ended: false };
    const starts = this.starts.get(name) ?? [];
    starts.push(start);
    this.starts.set(name, starts);
    const ended = () => {
      start.ended = true;
      const at = starts.indexOf(start);
      if (at >= 0) starts.splice(at, 1);
      if (starts.length === 0 && this.starts.get(name) === starts) this.starts.delete(name);
    };
    this.coldStart(w.fn, w.signal).then(
      ({ instance, initMs }) => {
        ended();
        if (w.served) {
          // The invocation took an instance that came free first: this one goes to the next
          // invocation of its function, or idle, as a prewarmed instance does.
          this.release(instance);
          return;
        }
        w.served = true;
        // Not starting any more if it was removed meanwhile (close()): its /run will say so.
        const record = this.table.get(instance);
        if (record?.state === 'starting') this.table.lease(record);
        w.settle({ instance, coldStart: true, initMs, waitMs, waitReason });
        // Its other slots (concurrency above 1) serve those waiting for them.
        this.pump();
      },
      (e: unknown) => {
        ended();
        if (!w.served) {
          w.served = true;
          w.settle(
            e instanceof StartFailure
              ? new ColdStartFailure(e.cause, waitMs, waitReason, e.stage)
              : new ColdStartFailure(e, waitMs, waitReason, 'start'),
          );
        }
        this.pump();
      },
    );
  }

  /** A start holding a start slot; initMs spans launch to ready. */
  private async coldStart(fn: PoolFunction, signal: AbortSignal): Promise<{ instance: I; initMs: number }> {
    this.starting++;
    const startedAt = performance.now();
    try {
      const instance = await this.startInstance(fn, signal);
      return { instance, initMs: performance.now() - startedAt };
    } finally {
      this.starting--;
      queueMicrotask(() => this.pump());
    }
  }

  /** Launches and starts an instance (in the table, starting, from launch on); removes it if the start fails. */
  private async startInstance(fn: PoolFunction, signal: AbortSignal): Promise<I> {
    this.counters.started++;
    let instance: I;
    try {
      instance = this.hooks.launch(fn);
    } catch (e) {
      this.counters.failedStarts++;
      throw e;
    }
    this.table.add(instance, fn.memoryMb, fn.concurrency);
    void instance.exited.then((info) => {
      const record = this.table.get(instance);
      if (record && record.state !== 'stopping' && !this.closing)
        this.record(instance, 'crashed', exitReason(info));
      if (record) this.table.drop(record);
      this.pump();
    });
    try {
      await instance.start(signal);
      this.record(instance, 'started', 'cold start');
      return instance;
    } catch (e) {
      this.counters.failedStarts++;
      this.stop(instance, 'discarded', `failed start: ${messageOf(e)}`);
      throw e;
    }
  }

  /**
   * True if an instance of needMb fits in the pool (memory and maxInstances), after evicting the
   * least recently used idle instances if that makes it fit; evicts nothing if it would not.
   */
  private makeRoom(needMb: number): boolean {
    const fits = () => fitsInPool(this.table.inUse(), this.o, needMb);
    if (fits()) return true;
    if (!fitsAfterEvictingIdle(this.table.inUse(), this.table.idleUse(), this.o, needMb)) return false;
    while (!fits()) {
      const oldest = this.table.oldestIdle();
      if (!oldest) return false;
      this.counters.evicted++;
      this.counters.evictedForRoom++;
      this.stop(oldest.instance, 'evicted_for_room', `room for ${needMb} MB`);
    }
    return true;
  }

  /**
   * Kills without waiting; the instance leaves the table when it has exited, and gives its memory
   * back to the pool now. The first stop of an instance records `event` (if given).
   */
  private stop(instance: I, event?: LifecycleEvent, reason = ''): void {
    const record = this.table.get(instance);
    if (record && record.state !== 'stopping') {
      if (event) this.record(instance, event, reason);
      this.table.stop(record);
    }
    instance.remove();
  }

  private record(instance: I, event: LifecycleEvent, reason: string): void {
    this.hooks.lifecycle(instance, event, reason, this.table.get(instance)?.memoryMb ?? 0);
  }
}
