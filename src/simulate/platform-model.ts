import {
  type ColdStartBlock,
  coldStartBlock,
  fitsAfterEvictingIdle,
  fitsInPool,
  keepAliveEndsAt,
  type PoolLimits,
  sizeClassMb,
} from '../embedded/local/capacity-rules.js';
import { heapPop, heapPush } from '../util/min-heap.js';
import type { BatchResults, SimulationModel, SimulationUnits } from './model.js';
import type { KeepAlivePolicy, PolicyState } from './policy.js';

/**
 * The embedded platform (src/embedded/local) as a discrete-event model in virtual time: the same
 * capacity rules, from the same pure functions (capacity-rules.ts). Per function, instances run
 * one execution at a time. Across functions: a pool of memory (the size classes of live
 * instances) and of instance count, idle instances evicted least recently used to make room, and
 * at most maxStarting cold starts under way. A cold start takes coldStartMs and serves the
 * invocation that asked for it, unless an instance of its function comes free first: then that
 * one serves it (warm) and the start, when it ends, serves the next invocation of its function
 * or goes idle (local/pool.ts release()). An invocation that cannot be served waits (FIFO, as the
 * platform's queue) for an instance of its function to go idle or for a start slot and room.
 *
 * Keep-alive comes from the policy, as in the ideal model (model.ts): once an instance's
 * execution ends at e, it is unloaded during [e, e + prewarm) (its memory back to the pool),
 * loaded again at e + prewarm if it fits without evicting anything (a pre-warm waits for no one,
 * so its start cost is not modelled), and unloaded at the end of its keep-alive.
 *
 * Not modelled: CPU contention (executions last their planned duration + execOverheadMs), start
 * and wait timeouts (a run that was not saturated has none), failed starts.
 *
 * Unlike the ideal model, functions interact, so arrivals must come in plan (time) order, and an
 * invocation's wait is known only later: results are kept per invocation (25 bytes each, when
 * `record` is set) and read back with resultsOf() once finish() has run.
 */
export interface PlatformModelOptions {
  /** Per plan function: its memory as the platform deploys it (MB), undefined if the trace has none. */
  functionMemoryMb: readonly (number | undefined)[];
  memoryClassesMb: readonly number[];
  poolMemoryMb: number;
  /** Instances alive at most, all functions together. */
  maxInstances: number;
  /** Cold starts under way at once, all functions together. */
  maxStarting: number;
  coldStartMs: number;
  execOverheadMs: number;
  defaultDurationMs: number;
  horizonUs: number;
  /** Keep each invocation's result for resultsOf(). */
  record: boolean;
  /**
   * How long an invocation may wait for an instance before it fails (the platform's
   * invokeTimeoutMs); Infinity: it waits as long as it takes.
   */
  waitTimeoutMs: number;
  /** Calibration: the replayed run's timing of each invocation, instead of the plan's and the medians. */
  measured?: MeasuredTiming;
  /**
   * Called when an invocation gets its instance, with its index and when it will end in simulated
   * time (init of a cold start + execution); may call arriveLater() (workflow steps: workflows.ts).
   */
  onStarted?: (index: number, endUs: number) => void;
}

/**
 * What a run measured of each invocation, indexed by its position in the plan; NaN where it has
 * nothing (not answered, or warm for initMs). The model then sees an arrival when the platform
 * did (scheduled + lateness), runs it as long as the platform did (execMs), and a cold start of
 * an invocation that was cold in the run lasts that start's init time (others the median).
 */
export interface MeasuredTiming {
  latenessUs: Float64Array;
  execMs: Float64Array;
  initMs: Float64Array;
}

/** A loaded or pre-warm-pending instance. */
interface Instance {
  fn: number;
  serial: number;
  memMb: number;
  state: 'starting' | 'busy' | 'idle' | 'unloaded' | 'gone';
  /** When it was last loaded and idle (µs): the start of its wasted memory time. */
  loadedAt: number;
  /** Bumped at every state change, to invalidate stale events and LRU entries. */
  version: number;
  prewarmUs: number;
  keepAliveUs: number;
  /** starting: the invocation it was started for, until that one is served. */
  owner?: Waiter;
}

interface Waiter {
  /** Ordinal of the invocation in the plan. */
  index: number;
  fn: number;
  atUs: number;
  execUs: number;
  /** Its cold start's cost, if it gets one. */
  initUs: number;
  prewarmUs: number;
  keepAliveUs: number;
  blocked: ColdStartBlock | undefined;
  /** Served, or timed out: no longer waiting. */
  settled: boolean;
  /** Its wait timeout is scheduled. */
  timer: boolean;
  /** Its own cold start is under way and it has no instance yet (local/pool.ts: ColdStart). */
  awaitsStart?: boolean;
}

enum Kind {
  Arrive = -1,
  StartDone = 0,
  ExecEnd = 1,
  Reload = 2,
  Expire = 3,
  WaitTimeout = 4,
}

interface Event {
  atUs: number;
  /** Tie-break: events at the same time in the order they were scheduled. */
  order: number;
  kind: Kind;
  /** Absent for Arrive and WaitTimeout. */
  instance?: Instance;
  version: number;
  /** Arrive, WaitTimeout: the invocation; StartDone: the invocation it was started for. */
  waiter?: Waiter;
}

/** One policy's simulation of the embedded platform. run() batches in plan order, then finish(). */
export class PlatformSimulator implements SimulationModel {
  readonly policy: KeepAlivePolicy;
  readonly state: PolicyState;
  readonly needsPlanOrder = true;
  readonly invocations: Float64Array;
  readonly coldStarts: Float64Array;
  readonly wastedMbUs: Float64Array;
  readonly queuedUs: Float64Array;
  readonly instancesCreated: Float64Array;
  /** Idle instances removed to make room for a cold start of another function. */
  evictedForRoom = 0;
  /** Invocations that waited, by what they last waited for. */
  readonly waited = { start_slot: 0, memory: 0, own_function: 0 };
  /** Per unit: invocations that waited past waitTimeoutMs (they never ran; not cold starts). */
  readonly timedOut: Float64Array;
  missingDurations = 0;
  missingMemory = 0;

  private readonly o: PlatformModelOptions;
  private readonly limits: PoolLimits;
  private readonly coldUs: number;
  private readonly overheadUs: number;
  private readonly memOf: Float64Array;
  private readonly busyUntil: Float64Array;
  /** Per function: loaded idle instances, the most recently idle last. */
  private readonly idle: Instance[][];
  /** Per function: instances unloaded until their pre-warm. */
  private readonly unloaded: Instance[][];
  /** Per function: invocations whose own cold start is under way, in arrival order. */
  private readonly startsFor: Waiter[][];
  /** Loaded idle instances of every function in the order they went idle (stale entries skipped). */
  private lru: { instance: Instance; version: number }[] = [];
  private lruHead = 0;
  private readonly events: Event[] = [];
  private order = 0;
  private readonly waiters: Waiter[] = [];
  private usedMb = 0;
  private liveCount = 0;
  private idleMb = 0;
  private idleCount = 0;
  private starting = 0;
  private serial = 0;
  private nowUs = 0;
  private count = 0;
  private finished = false;
  private readonly w = { prewarmUs: 0, keepAliveUs: 0 };
  // Per-invocation results (record: true).
  private rCold = new Uint8Array(0);
  private rWaitUs = new Float64Array(0);
  private rExecUs = new Float64Array(0);
  private rInstance = new Float64Array(0);

  constructor(
    policy: KeepAlivePolicy,
    private readonly units: SimulationUnits,
    options: PlatformModelOptions,
  ) {
    if (units.kind !== 'function') throw new Error('the platform model simulates functions (unit function)');
    this.policy = policy;
    this.o = options;
    this.limits = { poolMemoryMb: options.poolMemoryMb, maxInstances: options.maxInstances };
    this.coldUs = options.coldStartMs * 1000;
    this.overheadUs = options.execOverheadMs * 1000;
    this.state = policy.start(units.groupNames.length);
    const n = units.units;
    this.invocations = new Float64Array(n);
    this.coldStarts = new Float64Array(n);
    this.wastedMbUs = new Float64Array(n);
    this.queuedUs = new Float64Array(n);
    this.instancesCreated = new Float64Array(n);
    this.timedOut = new Float64Array(n);
    this.busyUntil = new Float64Array(n).fill(-1);
    this.memOf = Float64Array.from(options.functionMemoryMb, (m) => sizeClassMb(m, options.memoryClassesMb));
    this.idle = Array.from({ length: n }, () => []);
    this.unloaded = Array.from({ length: n }, () => []);
    this.startsFor = Array.from({ length: n }, () => []);
  }

  /** The memory limit of the function's instances (MB). */
  memoryLimitOf(fn: number): number {
    return this.memOf[fn]!;
  }

  /** Arrivals in plan order (continuing the previous batch); results via resultsOf(). */
  run(
    fn: Uint32Array,
    atUs: Float64Array,
    durationMs: Float64Array,
    _memoryMb: Float64Array,
    n: number,
    _out?: BatchResults,
  ): void {
    const { unitOf } = this.units;
    if (this.o.record) this.reserve(this.count + n);
    for (let k = 0; k < n; k++) {
      const t = atUs[k]!;
      // Every later arrival comes at or after t (lateness >= 0): what happens up to t is settled.
      this.advance(t);
      this.add(unitOf[fn[k]!]!, t, durationMs[k]!);
    }
  }

  /** Handles every event up to atUs (for callers that add arrivals with arriveLater()). */
  settle(atUs: number): void {
    this.advance(atUs);
  }

  /**
   * An invocation of plan function `fn` arriving at atUs, not before the model's now (a workflow's
   * next step, called from onStarted); handled in time order with the other events. Its index.
   */
  arriveLater(fn: number, atUs: number, durationMs: number): number {
    if (atUs < this.nowUs) throw new RangeError(`arriveLater: ${atUs} µs is before now (${this.nowUs} µs)`);
    if (this.o.record) this.reserve(this.count + 1);
    return this.add(this.units.unitOf[fn]!, atUs, durationMs, true);
  }

  /** One arrival (plan order unless `later`: then always through the event queue). Its index. */
  private add(f: number, t: number, durationMs: number, later = false): number {
    const m = this.o.measured;
    const index = this.count++;
    let d = durationMs;
    if (Number.isNaN(d)) {
      d = this.o.defaultDurationMs;
      this.missingDurations++;
    }
    if (this.o.functionMemoryMb[f] === undefined) this.missingMemory++;
    const late = m ? m.latenessUs[index] : undefined;
    const exec = m ? m.execMs[index]! : Number.NaN;
    const init = m ? m.initMs[index]! : Number.NaN;
    const w: Waiter = {
      index,
      fn: f,
      atUs: late !== undefined && late > 0 ? t + late : t,
      execUs: Number.isNaN(exec) ? d * 1000 + this.overheadUs : exec * 1000,
      initUs: Number.isNaN(init) ? this.coldUs : init * 1000,
      prewarmUs: 0,
      keepAliveUs: 0,
      blocked: undefined,
      settled: false,
      timer: false,
    };
    if (w.atUs === t && !later) this.arrive(w);
    else
      heapPush(
        this.events,
        { atUs: w.atUs, order: this.order++, kind: Kind.Arrive, version: 0, waiter: w },
        before,
      );
    return index;
  }

  /** An invocation reaches the platform now (nowUs = w.atUs). */
  private arrive(w: Waiter): void {
    const f = w.fn;
    const t = w.atUs;
    const last = this.busyUntil[f]!;
    this.state.onInvocation(this.units.groupOf[f]!, t, last < 0 ? -1 : t > last ? t - last : 0, this.w);
    w.prewarmUs = this.w.prewarmUs;
    w.keepAliveUs = this.w.keepAliveUs;
    this.invocations[f]!++;
    // The unit's idle time, as the policy sees it: busy until its latest known execution end.
    const end = t + w.execUs;
    if (end > last) this.busyUntil[f] = end;
    this.waiters.push(w);
    this.pump();
  }

  /** Runs every pending event (executions end, keep-alives expire) and counts the idle memory left. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.advance(Number.POSITIVE_INFINITY);
    const H = this.o.horizonUs;
    for (const list of this.idle) {
      for (const i of list) {
        const until = Math.min(keepAliveEndsAt(i.loadedAt, i.keepAliveUs), H);
        if (until > i.loadedAt) this.wastedMbUs[i.fn]! += i.memMb * (until - i.loadedAt);
      }
    }
  }

  /** Per-invocation results in plan order, from `from` (record: true, after finish()). */
  resultsOf(from: number, n: number, out: BatchResults): void {
    out.reserve(n);
    out.cold.set(this.rCold.subarray(from, from + n));
    out.waitUs.set(this.rWaitUs.subarray(from, from + n));
    out.execUs.set(this.rExecUs.subarray(from, from + n));
    out.instance.set(this.rInstance.subarray(from, from + n));
  }

  /** Processes every event up to and including atUs (executions end before arrivals at the same time). */
  private advance(atUs: number): void {
    const events = this.events;
    while (events.length > 0 && events[0]!.atUs <= atUs) {
      const e = heapPop(events, before);
      this.nowUs = e.atUs;
      if (e.kind === Kind.Arrive) {
        this.arrive(e.waiter!);
        continue;
      }
      if (e.kind === Kind.WaitTimeout) {
        this.timeOut(e.waiter!);
        continue;
      }
      if (e.version !== e.instance!.version) continue;
      this.handle(e);
      if (this.waiters.length > 0) this.pump();
    }
    if (Number.isFinite(atUs)) this.nowUs = atUs;
  }

  private handle(e: Event): void {
    const i = e.instance!;
    const now = e.atUs;
    switch (e.kind) {
      case Kind.StartDone: {
        this.starting--;
        const w = i.owner;
        i.owner = undefined;
        if (w?.awaitsStart) {
          w.awaitsStart = false;
          removeFrom(this.startsFor[w.fn]!, w);
          this.coldStarts[w.fn]!++;
          this.record(w, i, true, i.loadedAt);
          this.execute(i, w, now);
        } else {
          // Its invocation took an instance that came free first: this one serves the next.
          this.release(i, now);
        }
        break;
      }
      case Kind.ExecEnd: {
        if (i.prewarmUs > 0) {
          this.unaccount(i);
          i.state = 'unloaded';
          i.version++;
          this.unloaded[i.fn]!.push(i);
          this.schedule(now + i.prewarmUs, Kind.Reload, i);
        } else {
          this.release(i, now);
        }
        break;
      }
      case Kind.Reload: {
        removeFrom(this.unloaded[i.fn]!, i);
        if (fitsInPool({ memoryMb: this.usedMb, instances: this.liveCount }, this.limits, i.memMb)) {
          this.usedMb += i.memMb;
          this.liveCount++;
          this.makeIdle(i, now);
        } else {
          i.state = 'gone';
          i.version++;
        }
        break;
      }
      case Kind.Expire: {
        this.drop(i, now);
        break;
      }
    }
  }

  /** Serves waiting invocations in arrival order with what is free now (local/pool.ts pump()). */
  private pump(): void {
    const now = this.nowUs;
    // Earlier waiters of a function are served first: a later one of the same function waits.
    let j = 0;
    for (let k = 0; k < this.waiters.length; k++) {
      const w = this.waiters[k]!;
      if (this.serve(w, now)) {
        w.settled = true;
        continue;
      }
      this.waiters[j++] = w;
      if (!w.timer && Number.isFinite(this.o.waitTimeoutMs)) {
        // The platform's wait timer runs from the invocation's arrival.
        w.timer = true;
        heapPush(
          this.events,
          {
            atUs: w.atUs + this.o.waitTimeoutMs * 1000,
            order: this.order++,
            kind: Kind.WaitTimeout,
            version: 0,
            waiter: w,
          },
          before,
        );
      }
    }
    this.waiters.length = j;
  }

  /** The invocation's wait ran out: it leaves the queue without running (outcome timeout). */
  private timeOut(w: Waiter): void {
    if (w.settled) return;
    w.settled = true;
    removeFrom(this.waiters, w);
    this.timedOut[w.fn]!++;
    this.queuedUs[w.fn]! += this.nowUs - w.atUs;
    if (!this.o.record) return;
    this.rCold[w.index] = 0;
    this.rWaitUs[w.index] = this.nowUs - w.atUs;
    this.rExecUs[w.index] = 0;
    this.rInstance[w.index] = -1;
  }

  private serve(w: Waiter, now: number): boolean {
    const stack = this.idle[w.fn]!;
    const warm = stack.pop();
    if (warm) {
      this.takeIdle(warm, now);
      this.record(w, warm, false, now);
      this.execute(warm, w, now);
      return true;
    }
    const need = this.memOf[w.fn]!;
    const block = coldStartBlock(undefined, this.starting, this.o.maxStarting, () =>
      this.makeRoom(need, now),
    );
    if (block) {
      w.blocked = block;
      return false;
    }
    // A pending pre-warm of the function is cancelled: this start replaces it.
    const pending = this.unloaded[w.fn]!.pop();
    if (pending) {
      pending.state = 'gone';
      pending.version++;
    }
    const i: Instance = {
      fn: w.fn,
      serial: this.serial++,
      memMb: need,
      state: 'starting',
      loadedAt: now,
      version: 0,
      prewarmUs: 0,
      keepAliveUs: 0,
    };
    this.usedMb += need;
    this.liveCount++;
    this.starting++;
    this.instancesCreated[w.fn]!++;
    // Recorded when it ends (StartDone), unless an instance of its function frees first (release).
    i.owner = w;
    w.awaitsStart = true;
    this.startsFor[w.fn]!.push(w);
    this.schedule(now + w.initUs, Kind.StartDone, i);
    return true;
  }

  /**
   * An instance that comes free goes first to the earliest invocation of its function whose own
   * cold start is under way (warm, as local/pool.ts release() does), else idle.
   */
  private release(i: Instance, now: number): void {
    const w = this.startsFor[i.fn]!.shift();
    if (!w) {
      this.makeIdle(i, now);
      return;
    }
    w.awaitsStart = false;
    w.blocked = undefined;
    this.record(w, i, false, now);
    this.execute(i, w, now);
  }

  /** The instance runs the waiter's invocation from `now`. */
  private execute(i: Instance, w: Waiter, now: number): void {
    i.state = 'busy';
    i.version++;
    i.prewarmUs = w.prewarmUs;
    i.keepAliveUs = w.keepAliveUs;
    this.schedule(now + w.execUs, Kind.ExecEnd, i);
  }

  private record(w: Waiter, i: Instance, cold: boolean, now: number): void {
    const waitUs = now - w.atUs;
    this.o.onStarted?.(w.index, now + (cold ? w.initUs : 0) + w.execUs);
    if (waitUs > 0) {
      this.queuedUs[w.fn]! += waitUs;
      if (w.blocked !== undefined) this.waited[w.blocked]++;
      else this.waited.own_function++;
    }
    if (!this.o.record) return;
    const k = w.index;
    this.rCold[k] = cold ? 1 : 0;
    this.rWaitUs[k] = waitUs + (cold ? w.initUs : 0);
    this.rExecUs[k] = w.execUs;
    this.rInstance[k] = i.serial;
  }

  private makeIdle(i: Instance, now: number): void {
    i.state = 'idle';
    i.version++;
    i.loadedAt = now;
    this.idle[i.fn]!.push(i);
    this.lru.push({ instance: i, version: i.version });
    this.idleMb += i.memMb;
    this.idleCount++;
    if (Number.isFinite(i.keepAliveUs)) this.schedule(keepAliveEndsAt(now, i.keepAliveUs), Kind.Expire, i);
  }

  /** An idle instance leaves the idle set (taken warm, expired or evicted); counts its idle time. */
  private takeIdle(i: Instance, now: number): void {
    const H = this.o.horizonUs;
    const until = Math.min(now, H);
    if (until > i.loadedAt) this.wastedMbUs[i.fn]! += i.memMb * (until - i.loadedAt);
    this.idleMb -= i.memMb;
    this.idleCount--;
    i.version++;
  }

  /** Unloads an idle instance (keep-alive expired, or evicted for room). */
  private drop(i: Instance, now: number): void {
    removeFrom(this.idle[i.fn]!, i);
    this.takeIdle(i, now);
    this.unaccount(i);
    i.state = 'gone';
  }

  private unaccount(i: Instance): void {
    this.usedMb -= i.memMb;
    this.liveCount--;
  }

  /** local/pool.ts makeRoom(): evicts least recently used idle instances if that makes room. */
  private makeRoom(needMb: number, now: number): boolean {
    const use = () => ({ memoryMb: this.usedMb, instances: this.liveCount });
    if (fitsInPool(use(), this.limits, needMb)) return true;
    const idle = { memoryMb: this.idleMb, instances: this.idleCount };
    if (!fitsAfterEvictingIdle(use(), idle, this.limits, needMb)) return false;
    while (!fitsInPool(use(), this.limits, needMb)) {
      const oldest = this.takeOldest();
      if (!oldest) return false;
      this.drop(oldest, now);
      this.evictedForRoom++;
    }
    return true;
  }

  private takeOldest(): Instance | undefined {
    while (this.lruHead < this.lru.length) {
      const { instance, version } = this.lru[this.lruHead++]!;
      if (instance.state === 'idle' && instance.version === version) return instance;
    }
    return undefined;
  }

  private schedule(atUs: number, kind: Kind, instance: Instance, waiter?: Waiter): void {
    const e: Event = { atUs, order: this.order++, kind, instance, version: instance.version };
    if (waiter) e.waiter = waiter;
    // A start's completion is the event that makes the instance busy: its version moves on then.
    heapPush(this.events, e, before);
    // Compact the LRU queue now and then.
    if (this.lruHead > 4096 && this.lruHead * 2 > this.lru.length) {
      this.lru = this.lru.slice(this.lruHead);
      this.lruHead = 0;
    }
  }

  private reserve(n: number): void {
    if (this.rCold.length >= n) return;
    const size = Math.max(n, 2 * this.rCold.length, 1024);
    const grow = <T extends Uint8Array | Float64Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.rCold = grow(this.rCold, new Uint8Array(size));
    this.rWaitUs = grow(this.rWaitUs, new Float64Array(size));
    this.rExecUs = grow(this.rExecUs, new Float64Array(size));
    this.rInstance = grow(this.rInstance, new Float64Array(size));
  }
}

function removeFrom<T>(list: T[], x: T): void {
  const at = list.lastIndexOf(x);
  if (at >= 0) list.splice(at, 1);
}

function before(a: Event, b: Event): boolean {
  return a.atUs < b.atUs || (a.atUs === b.atUs && a.order < b.order);
}
