/**
 * The embedded ("local") platform: every function instance runs faasload's runtime proxy with the
 * synthetic function (src/runtime/synthetic.ts), as a child process or (runtime docker) in a
 * container with the function's memory limit (see runtime.ts).
 *
 * Modelled: cold starts (launch + ready + /init), warm reuse, keep-alive eviction, as many
 * activations per instance at once as the function's concurrency (default 1), a time limit per
 * /init and /run that covers the durations the function's invocations ask for, a pool budgeted by
 * memory (the size classes of live instances, idle ones evicted least recently used to make
 * room) and by instance count, cold starts in parallel up to a number of start slots, waits
 * (waitMs, waitReason) only for the function's own instances, a start slot or memory, instance
 * lifecycle events (instance-channel.ts), a per-function time limit
 * (LocalFunctionSpec.timeoutMs), activation logs (the action's stdout and
 * stderr, cut per activation as OpenWhisk does; none for a function whose concurrency is above 1,
 * whose activations' output interleaves).
 * The OpenWhisk-compatible REST API over it is ../openwhisk-server. Memory: an instance's limit
 * is its function's size class (memory.ts), enforced by the container, or for a process by its
 * own memory cgroup or an RSS watchdog (memory-limit.ts); an OOM kill is an 'error' whose message
 * says so plainly.
 *
 * Measurements follow OpenWhisk's invoker: initMs spans launch to the end of /init (cold starts
 * only); execMs spans the /run request, as seen from this process.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { FaasloadError } from '../../errors.js';
import { SYNTHETIC_ACTION_CODE, SYNTHETIC_ACTION_MAIN } from '../../runtime/synthetic.js';
import type { Arrival } from '../../schedule/types.js';
import { messageOf } from '../../util/message.js';
import { epochUs } from '../../util/time.js';
import { invocationValue } from '../../workload/binding.js';
import { reportedCpuMs } from '../action-usage.js';
import type {
  ActionInvocationResult,
  AnnouncesInstances,
  PaceReporter,
  ReturnsActionResults,
} from '../capabilities.js';
import type { FailureKind } from '../failure.js';
import type { FunctionSpec, Outcome, PlatformPressure, WaitReason } from '../types.js';
import { coldStartBlock, fitsAfterEvictingIdle, fitsInPool } from './capacity-rules.js';
import { type ActionAnswer, type ExitInfo, InstanceFailure } from './instance.js';
import { announceInstance, announceLifecycle, type LifecycleEvent } from './instance-channel.js';
import { sizeClassMb } from './memory.js';
import {
  defaultMaxStarting,
  type LocalPlatformOptions,
  type ResolvedLocalOptions,
  resolveLocalOptions,
} from './options.js';
import { IdlePool } from './pool.js';
import { createRuntime, type FunctionInstance, type InstanceRuntime } from './runtime.js';

/** An InvocationResult plus, when the action answered with an object, that object. */
export interface LocalInvocationResult extends ActionInvocationResult {
  /**
   * The action's JSON result (for the synthetic function: {execMs, cpuMs, memoryMb, pid}); also the
   * proxy's `{"error": ...}` when /run answered 502 (the action threw or returned no dictionary).
   */
  result?: Record<string, unknown>;
  /**
   * Where a failed invocation failed: waiting for an instance, starting one (spawn, ready line),
   * its /init (the action's code did not load, or timed out), or its /run. Absent on success.
   */
  stage?: FailureStage;
  /** The container that ran it (docker runtime). */
  containerId?: string;
  /** The action's output during this activation, OpenWhisk-style lines (see ./logs.ts). */
  logs?: string[];
  /** Peak of the instance's memory cgroup during this /run, bytes (see ./execution-peak.ts). */
  cgroupPeakBytes?: number;
}

export type FailureStage = 'wait' | 'start' | 'init' | 'run';

/**
 * A FunctionSpec with the local platform's per-function limits (OpenWhisk's action limits).
 * Plain FunctionSpecs get the platform's defaults.
 */
export interface LocalFunctionSpec extends FunctionSpec {
  /** Time limit of one /init and of one /run of this function; default the platform's invokeTimeoutMs. */
  timeoutMs?: number;
  /** Log bytes kept per activation (OpenWhisk's limits.logs); default 10 MB. */
  logLimitBytes?: number;
}

/**
 * A function's time limit covers its longest requested duration times `factor` plus `plusMs`:
 * room for the page writing, a cold JIT and a CPU shared with other instances.
 */
const TIME_LIMIT_SLACK = { factor: 1.5, plusMs: 1_000 } as const;

/** The runtime proxy's answer when the action threw or returned no dictionary (OpenWhisk's 502). */
const ACTION_FAILED_STATUS = 502;

/** How long, after an answer, the activation's end-of-log markers are awaited. */
const LOG_WAIT_MS = 200;

/** starting: cold start under way; stopping: killed, not yet exited. */
export type LocalInstanceState = 'starting' | 'busy' | 'idle' | 'stopping';

/** One live instance, e.g. for a monitor that samples processes by pid. */
export interface LocalInstanceInfo {
  id: string;
  functionName: string;
  pid: number | undefined;
  containerId: string | undefined;
  state: LocalInstanceState;
}

/** Counters since construction, for the run's summary and manifest. */
export interface LocalPlatformStats {
  /** Instances spawned (cold starts attempted). */
  started: number;
  /** Cold starts that failed (spawn, ready line or /init). */
  failedStarts: number;
  /** Instances killed because their keep-alive ran out or to make room (evictedForRoom). */
  evicted: number;
  /** Idle instances removed, least recently used first, to make room for a cold start. */
  evictedForRoom: number;
  /** Instances killed after a failure, a timeout or an abort, or found dead. */
  discarded: number;
  /** Processes not yet exited, whatever their state; idle and busy are subsets. */
  alive: number;
  idle: number;
  busy: number;
  /** Sum of the memory limits of instances not stopping (MB): what the pool holds. */
  usedMemoryMb: number;
}

/** Why an instance ended on its own, for its lifecycle event. */
function exitReason(info: ExitInfo): string {
  if (info.error) return `could not start: ${info.error.message}`;
  return info.signal !== null ? `killed by ${info.signal}` : `exited with code ${String(info.code)}`;
}

/** timeout → 'timeout'; an abort before /run was sent → 'cancelled' (the function never ran); else 'error'. */
function outcomeOf(e: unknown, runSent: boolean): Outcome {
  if (!(e instanceof InstanceFailure)) return 'error';
  if (e.kind === 'timeout') return 'timeout';
  return e.kind === 'aborted' && !runSent ? 'cancelled' : 'error';
}

function isDict(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The proxy's `{"error": ...}`, or the status alone. */
/**
 * The failure kind of an instance failure at a step: a time limit → timeout; an abort → cancelled
 * before /run was sent, aborted after; an OOM kill → oom; an instance that exited → the function's
 * fault at /init (init) or /run (application), the platform's before; a failure to start or reach
 * the instance → platform; anything else at /init (an answer other than 200) → init.
 */
function failureOf(e: unknown, stage: FailureStage): FailureKind {
  if (!(e instanceof InstanceFailure)) return stage === 'init' ? 'init' : 'platform';
  switch (e.kind) {
    case 'timeout':
      return 'timeout';
    case 'aborted':
      return stage === 'run' ? 'aborted' : 'cancelled';
    case 'oom':
      return 'oom';
    case 'exited':
      return stage === 'run' ? 'application' : stage === 'init' ? 'init' : 'platform';
    case 'start':
    case 'transport':
      return 'platform';
  }
}

function errorOf(answer: ActionAnswer): string {
  const body = answer.body;
  if (isDict(body) && body.error !== undefined) {
    return typeof body.error === 'string' ? body.error : JSON.stringify(body.error);
  }
  return `HTTP ${answer.status}`;
}

/** The set under `key`, created empty if there is none. */
function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

/** An instance leased to one invocation, and how it was obtained. */
interface Lease {
  instance: FunctionInstance;
  coldStart: boolean;
  initMs?: number;
  /** Time spent waiting for a free instance or a start slot. */
  waitMs: number;
  waitReason: WaitReason;
}

interface Waiter {
  fn: FunctionSpec;
  signal: AbortSignal;
  enqueuedMs: number;
  settle(r: Lease | Error): void;
  /** Leaves the queue: stops the wait's timer and abort listener. */
  leave(): void;
  /** A cold start whose free slot this waiter waits for, rather than starting another instance. */
  awaits?: StartingSlots;
  /** What it was last blocked on (undefined: not blocked yet). */
  blocked?: Exclude<WaitReason, 'none'>;
  /** Its lease (or failure) has been given: by its own cold start, or by an instance that came free first. */
  served?: boolean;
}

/** The slots an instance being started will have beyond its first activation (concurrency - 1). */
interface StartingSlots {
  free: number;
  settled: boolean;
}

/** What a wait that ran out waited for, in its error message. */
const WAITED_FOR = {
  'an instance': 'an instance',
  start_slot: 'a start slot (--max-starting)',
  memory: 'room in the pool (--pool-memory, --max-instances)',
  instance_busy: 'a slot on an instance of its function',
} as const;

/** A cold start that failed, with the time the invocation had waited before it. */
class ColdStartFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly waitMs: number,
    readonly waitReason: WaitReason,
    readonly stage: 'start' | 'init',
  ) {
    super(`cold start: ${messageOf(cause)}`);
  }
}

/** A cold start's failure and its step, from startInstance() to coldStart(). */
class StageFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly stage: 'start' | 'init',
  ) {
    super(messageOf(cause));
  }
}

export class LocalPlatform implements ReturnsActionResults, AnnouncesInstances, PaceReporter {
  readonly kind = 'local';
  readonly address = 'in-process';
  readonly returnsActionResults = true;
  readonly announcesInstances = true;

  private readonly options: ResolvedLocalOptions;
  private readonly functions = new Map<string, FunctionSpec>();
  /** Every instance whose process has not exited yet. */
  private readonly live = new Map<FunctionInstance, LocalInstanceState>();
  /** The action each instance was /init-ed with (undefined: the synthetic function). */
  private readonly initialized = new WeakMap<FunctionInstance, FunctionSpec['action']>();
  /** Chosen and prepared by deploy(); instances are launched synchronously from it. */
  private runtime: InstanceRuntime | undefined;
  private preparing: Promise<InstanceRuntime> | undefined;
  private readonly pool: IdlePool;
  /** Activations running on each leased instance. */
  private readonly active = new Map<FunctionInstance, number>();
  /** Leased instances that can take one more activation (concurrency above 1), per function. */
  private readonly shared = new Map<string, Set<FunctionInstance>>();
  /** Cold starts under way whose instance will have free slots, per function. */
  private readonly startingSlots = new Map<string, Set<StartingSlots>>();
  /**
   * Invocations whose own cold start is under way, per function, in arrival order: an instance of
   * their function that comes free before the start ends goes to the first of them (see release()).
   */
  private readonly startsFor = new Map<string, Waiter[]>();
  private nextInstance = 1;
  /** The longest duration each function's invocations have asked for (ms), for its time limit. */
  private readonly longestMs = new Map<string, number>();
  /** Invocations waiting for an instance, first come first served. */
  private readonly waiters: Waiter[] = [];
  /** Cold starts under way. */
  private starting = 0;
  private counters = { started: 0, failedStarts: 0, evicted: 0, evictedForRoom: 0, discarded: 0 };
  /** The memory limit of each live instance (MB), for the pool's accounting. */
  private readonly limits = new Map<FunctionInstance, number>();
  /** Sum of `limits` over instances not stopping: what the pool holds. */
  private usedMemoryMb = 0;
  /** Instances whose memory is counted in usedMemoryMb. */
  private readonly accounted = new Set<FunctionInstance>();
  private closed = false;
  /** maxStarting was given; else it is the runtime's default (defaultMaxStarting). */
  private readonly maxStartingGiven: boolean;

  /** Throws FaasloadError E_USAGE for invalid options. Starts nothing: instances are created on demand. */
  constructor(options: LocalPlatformOptions = {}) {
    this.options = resolveLocalOptions(options);
    this.maxStartingGiven = options.maxStarting !== undefined;
    this.pool = new IdlePool(this.options.keepAliveMs, (instance) => {
      this.counters.evicted++;
      this.stop(instance, 'keep_alive_expired', `idle for ${this.options.keepAliveMs} ms`);
    });
  }

  /** Records the functions (deploying again updates them); instances start lazily on invoke. */
  async deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the local platform has been torn down');
    const byName = new Map<string, FunctionSpec>();
    for (const fn of fns) {
      const other = byName.get(fn.name);
      if (other && other.id !== fn.id) {
        throw new FaasloadError(
          'E_PLATFORM',
          `functions '${other.id}' and '${fn.id}' share the name '${fn.name}'`,
        );
      }
      byName.set(fn.name, fn);
    }
    // Chosen and prepared once, by the first deploy (the docker runtime builds its image here).
    this.preparing ??= createRuntime(this.options.runtime, this.options).then(async (r) => {
      await r.prepare(signal);
      return r;
    });
    this.runtime = await this.preparing;
    for (const [name, fn] of byName) {
      const before = this.functions.get(name);
      this.functions.set(name, fn);
      // New code: idle instances of the old one go now, busy ones when they are released.
      if (before && before.action !== fn.action) {
        for (let idle = this.pool.take(name); idle; idle = this.pool.take(name))
          this.discard(idle, 'redeployed');
      }
    }
    await this.prewarm([...byName.values()], signal);
  }

  /**
   * Starts `prewarm` idle instances of each function (fewer if maxInstances is reached), as a
   * provisioned pool: the first invocations find them warm. They age out after the keep-alive
   * like any idle instance. A start that fails is counted (failedStarts), not thrown.
   */
  private async prewarm(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    const { prewarm, maxInstances, poolMemoryMb } = this.options;
    for (const fn of fns) {
      const fits = () =>
        this.live.size < maxInstances && this.usedMemoryMb + this.memoryLimitOf(fn) <= poolMemoryMb;
      for (let n = this.pool.idleOf(fn.name); n < prewarm && fits(); n++) {
        try {
          this.release(await this.startInstance(fn, signal));
        } catch {
          // counted in startInstance
        }
      }
    }
  }

  /** Removes a function: its idle instances go now, busy ones when their invocation ends. */
  undeploy(name: string): boolean {
    if (!this.functions.delete(name)) return false;
    for (let idle = this.pool.take(name); idle; idle = this.pool.take(name)) this.discard(idle, 'redeployed');
    return true;
  }

  /** Cold starts that may be under way at once: maxStarting, or the runtime's default. */
  startSlots(): number {
    if (this.maxStartingGiven || !this.runtime) return this.options.maxStarting;
    return defaultMaxStarting(this.runtime.kind);
  }

  /** Which runtime runs the instances, once deploy() has chosen it. */
  runtimeKind(): InstanceRuntime['kind'] | undefined {
    return this.runtime?.kind;
  }

  /**
   * Runs one invocation (the synthetic function, or the catalog function bound to fn: see
   * workload/binding.ts) on a warm instance of fn, or on a new one (a cold start).
   * Never rejects: failures, timeouts and aborts are outcomes. An abort before /run was sent
   * (during a cold start included) gives 'cancelled'; after, 'error' with error 'aborted'. Either
   * way an instance that was working on it is killed. Parameters the bound function refuses are
   * an error outcome.
   */
  async invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<LocalInvocationResult> {
    let value: Record<string, unknown>;
    try {
      value = invocationValue(fn, arrival);
    } catch (e) {
      const atUs = epochUs();
      return {
        outcome: 'error',
        sentAtUs: atUs,
        endedAtUs: atUs,
        failure: 'client',
        error: `parameters: ${messageOf(e)}`,
      };
    }
    return this.run(fn, value, signal);
  }

  /**
   * Runs fn's action with `value` as its parameters (the OpenWhisk /run value), as invoke() does.
   * `activationId` defaults to a new random one.
   */
  async run(
    fn: FunctionSpec,
    value: Record<string, unknown>,
    signal: AbortSignal,
    activationId = randomBytes(16).toString('hex'),
  ): Promise<LocalInvocationResult> {
    const sentAtUs = epochUs();
    const done = (outcome: Outcome, fields: Partial<LocalInvocationResult>): LocalInvocationResult => ({
      outcome,
      sentAtUs,
      endedAtUs: epochUs(),
      activationId,
      ...fields,
    });
    try {
      return await this.runOnInstance(fn, value, signal, activationId, done);
    } catch (e) {
      return done('error', { failure: 'platform', error: `local platform: ${messageOf(e)}` });
    }
  }

  private async runOnInstance(
    fn: FunctionSpec,
    value: Record<string, unknown>,
    signal: AbortSignal,
    activationId: string,
    done: (outcome: Outcome, fields: Partial<LocalInvocationResult>) => LocalInvocationResult,
  ): Promise<LocalInvocationResult> {
    if (this.closed)
      return done('error', { failure: 'client', error: 'the local platform has been torn down' });
    if (!this.functions.has(fn.name)) {
      return done('error', { failure: 'not_found', error: `function '${fn.name}' is not deployed` });
    }
    if (signal.aborted)
      return done('cancelled', { failure: 'cancelled', error: 'aborted before it was sent' });

    let lease: Lease;
    try {
      lease = await this.acquire(fn, signal);
    } catch (e) {
      const cold = e instanceof ColdStartFailure;
      const stage = cold ? e.stage : 'wait';
      return done(outcomeOf(cold ? e.cause : e, false), {
        ...(cold ? { coldStart: true, waitMs: e.waitMs, waitReason: e.waitReason } : {}),
        stage,
        failure: failureOf(cold ? e.cause : e, stage),
        error: messageOf(e),
      });
    }
    const { instance, coldStart, initMs, waitMs, waitReason } = lease;
    const cold =
      initMs === undefined ? { coldStart, waitMs, waitReason } : { coldStart, initMs, waitMs, waitReason };

    const timeoutMs = this.timeLimitOf(
      fn,
      typeof value.durationMs === 'number' ? value.durationMs : undefined,
    );
    const body = {
      value,
      namespace: '_',
      action_name: `/_/${fn.name}`,
      activation_id: activationId,
      // Epoch milliseconds as a string, as OpenWhisk's invoker sends it.
      deadline: String(Date.now() + timeoutMs),
    };
    // The cgroup's peak starts again for this execution, when it is the instance's only one.
    const peak = this.concurrencyOf(fn.name) === 1 ? instance.executionPeak : undefined;
    const peakReset = peak?.reset() === true;
    const runAt = performance.now();
    let answer: ActionAnswer;
    try {
      answer = await instance.post('/run', body, timeoutMs, signal);
    } catch (e) {
      const execMs = performance.now() - runAt;
      const logs = this.logsOf(instance, fn, 0);
      this.discard(instance, `/run failed: ${messageOf(e)}`);
      return done(outcomeOf(e, true), {
        ...cold,
        execMs,
        instanceId: instance.id,
        ...(instance.containerId !== undefined ? { containerId: instance.containerId } : {}),
        ...(await logs),
        stage: 'run',
        failure: failureOf(e, 'run'),
        error: messageOf(e),
      });
    }
    const execMs = performance.now() - runAt;
    const result = done('ok', {
      ...cold,
      execMs,
      instanceId: instance.id,
      ...(instance.containerId !== undefined ? { containerId: instance.containerId } : {}),
      httpStatus: answer.status,
    });
    const peakBytes = peakReset ? peak?.readBytes() : undefined;
    if (peakBytes !== undefined) result.cgroupPeakBytes = peakBytes;

    // Claimed before the instance is released, so that the next activation's log comes after.
    const logs = this.logsOf(instance, fn, LOG_WAIT_MS);
    // 2xx and 502 (the action failed) leave the instance usable, as in OpenWhisk; other answers
    // mean the proxy is not in the state we think.
    if (answer.status >= 200 && answer.status < 300) {
      this.release(instance);
      if (isDict(answer.body)) {
        result.result = answer.body;
        const cpuMs = reportedCpuMs(answer.body);
        if (cpuMs !== undefined) result.cpuMs = cpuMs;
      } else {
        result.outcome = 'error';
        result.failure = 'platform';
        result.error = `/run answered ${answer.status} without a JSON object`;
      }
    } else {
      if (answer.status === ACTION_FAILED_STATUS) this.release(instance);
      else this.discard(instance, `/run answered ${answer.status}`);
      if (isDict(answer.body)) result.result = answer.body;
      result.outcome = 'error';
      result.stage = 'run';
      // 502: the action threw or returned no dictionary; another status: the proxy is not in the state we think.
      result.failure = answer.status === ACTION_FAILED_STATUS ? 'application' : 'platform';
      result.error = errorOf(answer);
    }
    return Object.assign(result, await logs);
  }

  /** The activation's log, for a function whose instances run one activation at a time. */
  private async logsOf(
    instance: FunctionInstance,
    fn: FunctionSpec,
    waitMs: number,
  ): Promise<{ logs?: string[] }> {
    return this.concurrencyOf(fn.name) > 1 ? {} : { logs: await instance.logs.next(waitMs) };
  }

  /** Activations an instance of the function runs at once (as deployed). */
  private concurrencyOf(name: string): number {
    return Math.max(1, this.functions.get(name)?.concurrency ?? 1);
  }

  /** Counts one more activation on the instance; it stays shareable while it has a free slot. */
  private lease(instance: FunctionInstance): FunctionInstance {
    const n = (this.active.get(instance) ?? 0) + 1;
    this.active.set(instance, n);
    this.live.set(instance, 'busy');
    const shareable = setOf(this.shared, instance.functionName);
    if (n < this.concurrencyOf(instance.functionName)) shareable.add(instance);
    else shareable.delete(instance);
    return instance;
  }

  /** A leased instance of the function with a free slot, if any. */
  private takeShared(name: string): FunctionInstance | undefined {
    for (const instance of this.shared.get(name) ?? []) {
      if (instance.alive) return instance;
    }
    return undefined;
  }

  /**
   * An instance for one invocation, exclusively: a warm one of its function if one is idle, else a
   * cold start when fewer than maxStarting are under way and there is room in the pool (its memory
   * class within poolMemoryMb, and fewer than maxInstances; idle instances of any function are
   * evicted, least recently used first, to make room). Otherwise the invocation waits, at most
   * invokeTimeoutMs; waitMs is that wait and waitReason what it waited for. An invocation only
   * waits behind earlier ones of its own function, or behind earlier ones that wait for a start
   * slot or memory too (cold starts are granted in arrival order): a warm instance is never held
   * back by another function's cold starts. An invocation whose cold start is under way takes an
   * instance of its function that comes free first (coldStart false, waitReason instance_busy);
   * its start still ends, into the next invocation of its function or the idle pool.
   */
  private acquire(fn: FunctionSpec, signal: AbortSignal): Promise<Lease> {
    return new Promise<Lease>((resolve, reject) => {
      const needMb = this.memoryLimitOf(fn);
      if (needMb > this.options.poolMemoryMb) {
        reject(
          new InstanceFailure(
            'start',
            `its memory limit of ${needMb} MB does not fit in the pool's ${this.options.poolMemoryMb} MB`,
          ),
        );
        return;
      }
      const waiter: Waiter = {
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
        reject(
          new InstanceFailure('timeout', `waited ${this.options.invokeTimeoutMs} ms for ${WAITED_FOR[what]}`),
        );
      }, this.options.invokeTimeoutMs);
      // Served at once unless an earlier one of its function waits (first come, first served per
      // function); a cold start, also unless earlier ones wait for a start slot or memory.
      let ownBefore = false;
      let coldBefore: 'start_slot' | 'memory' | undefined;
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

  /** Serves waiting invocations in arrival order with whatever is free now. Synchronous. */
  private pump(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      if (this.serve(w)) w.leave();
      else i++;
    }
  }

  /**
   * Gives the waiter a warm instance (or a free slot on a busy one) or starts one for it, if
   * possible now; else records what blocks it. With concurrency above 1, a waiter rather waits for
   * a free slot of an instance being started than starts another, as OpenWhisk's container pool
   * does. A waiter served on arrival (before any wait) gets waitMs 0 and waitReason none.
   * `coldBefore`: earlier invocations wait for that to start an instance; this one then takes a
   * warm instance only, or waits behind them.
   */
  private serve(w: Waiter, onArrival = false, coldBefore?: 'start_slot' | 'memory'): boolean {
    const waitMs = onArrival ? 0 : performance.now() - w.enqueuedMs;
    const waitReason: WaitReason = onArrival ? 'none' : (w.blocked ?? 'none');
    const name = w.fn.name;
    const warm = this.takeShared(name) ?? this.pool.take(name);
    if (warm) {
      // A slot reserved on an instance still starting goes back to those behind.
      if (w.awaits && !w.awaits.settled) w.awaits.free++;
      w.settle({ instance: this.lease(warm), coldStart: false, waitMs, waitReason });
      return true;
    }
    if (w.awaits && !w.awaits.settled) return false;
    const starting = [...(this.startingSlots.get(name) ?? [])].find((s) => s.free > 0);
    if (starting) {
      starting.free--;
      w.awaits = starting;
      w.blocked = 'instance_busy';
      return false;
    }
    if (this.closed) return false;
    const block = coldStartBlock(coldBefore, this.starting, this.startSlots(), () =>
      this.makeRoom(this.memoryLimitOf(w.fn)),
    );
    if (block) {
      w.blocked = block;
      return false;
    }
    const slots: StartingSlots = { free: this.concurrencyOf(name) - 1, settled: false };
    if (slots.free > 0) setOf(this.startingSlots, name).add(slots);
    const waiting = this.startsFor.get(name) ?? [];
    waiting.push(w);
    this.startsFor.set(name, waiting);
    const settled = () => {
      slots.settled = true;
      this.startingSlots.get(name)?.delete(slots);
      const at = waiting.indexOf(w);
      if (at >= 0) waiting.splice(at, 1);
      if (waiting.length === 0 && this.startsFor.get(name) === waiting) this.startsFor.delete(name);
    };
    this.coldStart(w.fn, w.signal).then(
      ({ instance, initMs }) => {
        settled();
        if (w.served) {
          // The invocation took an instance that came free first: this one goes to the next
          // invocation of its function, or idle, as a prewarmed instance does.
          this.release(instance);
          return;
        }
        w.served = true;
        w.settle({ instance: this.lease(instance), coldStart: true, initMs, waitMs, waitReason });
        // Its other slots (concurrency above 1) serve those waiting for them.
        this.pump();
      },
      (e: unknown) => {
        settled();
        if (!w.served) {
          w.served = true;
          w.settle(
            e instanceof StageFailure
              ? new ColdStartFailure(e.cause, waitMs, waitReason, e.stage)
              : new ColdStartFailure(e, waitMs, waitReason, 'start'),
          );
        }
        this.pump();
      },
    );
    return true;
  }

  /**
   * True if an instance of needMb fits in the pool (memory and maxInstances), after evicting the
   * least recently used idle instances if that makes it fit; evicts nothing if it would not.
   */
  private makeRoom(needMb: number): boolean {
    let active = 0;
    for (const state of this.live.values()) if (state !== 'stopping') active++;
    const fits = () => fitsInPool({ memoryMb: this.usedMemoryMb, instances: active }, this.options, needMb);
    if (fits()) return true;
    let idleMb = 0;
    for (const [instance, state] of this.live) if (state === 'idle') idleMb += this.limits.get(instance) ?? 0;
    const use = { memoryMb: this.usedMemoryMb, instances: active };
    if (!fitsAfterEvictingIdle(use, { memoryMb: idleMb, instances: this.pool.size }, this.options, needMb))
      return false;
    while (!fits()) {
      const oldest = this.pool.takeOldest();
      if (!oldest) return false;
      this.counters.evicted++;
      this.counters.evictedForRoom++;
      this.stop(oldest, 'evicted_for_room', `room for ${needMb} MB`);
      active--;
    }
    return true;
  }

  private async coldStart(
    fn: FunctionSpec,
    signal: AbortSignal,
  ): Promise<{ instance: FunctionInstance; initMs: number }> {
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

  /** The memory limit of the function's instances: the size class of its memory (memory.ts). */
  memoryLimitOf(fn: FunctionSpec): number {
    return sizeClassMb(this.functions.get(fn.name)?.memoryMb ?? fn.memoryMb, this.options.memoryClassesMb);
  }

  /**
   * The function's time limit for /init and /run: its own (LocalFunctionSpec.timeoutMs) or the
   * platform's invokeTimeoutMs, raised to cover the longest duration its invocations have asked
   * for so far (requestedMs included) with TIME_LIMIT_SLACK, up to maxTimeLimitMs: a function that
   * runs as long as its trace says is not cut by a default meant for the unknown.
   */
  private timeLimitOf(fn: FunctionSpec, requestedMs?: number): number {
    const own = (this.functions.get(fn.name) as LocalFunctionSpec | undefined)?.timeoutMs;
    const base = own !== undefined && own > 0 ? own : this.options.invokeTimeoutMs;
    let longest = this.longestMs.get(fn.name) ?? 0;
    if (requestedMs !== undefined && Number.isFinite(requestedMs) && requestedMs > longest) {
      longest = requestedMs;
      this.longestMs.set(fn.name, longest);
    }
    if (longest === 0) return base;
    const cover = Math.ceil(longest * TIME_LIMIT_SLACK.factor + TIME_LIMIT_SLACK.plusMs);
    return Math.max(base, Math.min(this.options.maxTimeLimitMs, cover));
  }

  /**
   * Spawns, waits for the ready line, /inits the function's action (the synthetic one by default).
   * Kills the instance on failure; failures say whether it was the start or /init (StageFailure).
   */
  private async startInstance(fn: FunctionSpec, signal: AbortSignal): Promise<FunctionInstance> {
    this.counters.started++;
    let instance: FunctionInstance;
    try {
      if (!this.runtime) throw new Error('no runtime: deploy() first');
      instance = this.runtime.launch({
        id: `${fn.name}-${this.nextInstance++}`,
        functionName: fn.name,
        memoryLimitMb: this.memoryLimitOf(fn),
        concurrency: this.concurrencyOf(fn.name),
        logLimitBytes: (this.functions.get(fn.name) as LocalFunctionSpec | undefined)?.logLimitBytes,
      });
    } catch (e) {
      this.counters.failedStarts++;
      throw e;
    }
    this.live.set(instance, 'starting');
    const limitMb = this.memoryLimitOf(fn);
    this.limits.set(instance, limitMb);
    this.accounted.add(instance);
    this.usedMemoryMb += limitMb;
    announceInstance({ t: 'start', id: instance.id, functionName: fn.name, pid: instance.pid });
    void instance.exited.then((info) => {
      const state = this.live.get(instance);
      if (state !== undefined && state !== 'stopping' && !this.closed) {
        this.record(instance, 'crashed', info.oomKilled ? 'out of memory' : exitReason(info));
      }
      this.unaccount(instance);
      this.limits.delete(instance);
      announceInstance({ t: 'exit', id: instance.id });
      this.live.delete(instance);
      this.active.delete(instance);
      this.shared.get(instance.functionName)?.delete(instance);
      this.pool.remove(instance);
      this.pump();
    });
    // The code deployed now: a redeploy while this instance starts leaves it with the old one.
    const action = this.functions.get(fn.name)?.action;
    let stage: 'start' | 'init' = 'start';
    try {
      await instance.ready(this.options.startTimeoutMs, signal);
      stage = 'init';
      const answer = await instance.post(
        '/init',
        {
          value: {
            name: fn.name,
            main: action?.main ?? SYNTHETIC_ACTION_MAIN,
            code: action?.code ?? SYNTHETIC_ACTION_CODE,
            // As OpenWhisk's invoker tells a runtime that activations may overlap.
            env: this.concurrencyOf(fn.name) > 1 ? { __OW_ALLOW_CONCURRENT: 'true' } : {},
          },
        },
        this.timeLimitOf(fn),
        signal,
      );
      if (answer.status !== 200) throw new Error(`/init answered ${answer.status}: ${errorOf(answer)}`);
      this.initialized.set(instance, action);
      this.record(instance, 'started', 'cold start');
      return instance;
    } catch (e) {
      this.counters.failedStarts++;
      this.stop(instance, 'discarded', `failed start: ${messageOf(e)}`);
      throw new StageFailure(e, stage);
    }
  }

  /**
   * One activation fewer on the instance. When none is left it goes back to the idle pool, unless
   * the platform is closing, the process is gone or its function was redeployed. A prewarmed
   * instance, never leased, goes straight to the pool.
   */
  private release(instance: FunctionInstance): void {
    const left = (this.active.get(instance) ?? 1) - 1;
    const deployed = this.functions.get(instance.functionName);
    const current = deployed !== undefined && this.initialized.get(instance) === deployed.action;
    if (left > 0) {
      this.active.set(instance, left);
      if (current && instance.alive && !this.closed) setOf(this.shared, instance.functionName).add(instance);
      else this.shared.get(instance.functionName)?.delete(instance);
      this.pump();
      return;
    }
    this.active.delete(instance);
    this.shared.get(instance.functionName)?.delete(instance);
    if (this.closed || !instance.alive || !current) {
      this.discard(instance, this.closed ? 'the platform is closing' : !current ? 'redeployed' : 'exited');
      return;
    }
    // An invocation of its function waiting for its own cold start takes it now (the start, when
    // it ends, serves the next one or goes idle): no invocation waits for a start longer than
    // for an instance of its function to come free.
    const waiting = this.startsFor.get(instance.functionName)?.find((w) => !w.served);
    if (waiting) {
      waiting.served = true;
      const waitMs = performance.now() - waiting.enqueuedMs;
      waiting.settle({
        instance: this.lease(instance),
        coldStart: false,
        waitMs,
        waitReason: 'instance_busy',
      });
      return;
    }
    this.live.set(instance, 'idle');
    this.pool.put(instance);
    this.pump();
  }

  private discard(instance: FunctionInstance, reason = 'unusable'): void {
    this.counters.discarded++;
    this.stop(instance, 'discarded', reason);
  }

  /**
   * Kills without waiting; the instance leaves `live` when its process has exited, and the pool's
   * memory now. The first stop of a live instance records `event` (if given).
   */
  private stop(instance: FunctionInstance, event?: LifecycleEvent, reason = ''): void {
    const state = this.live.get(instance);
    if (state !== undefined && state !== 'stopping') {
      if (event) this.record(instance, event, reason);
      this.live.set(instance, 'stopping');
    }
    this.unaccount(instance);
    void instance.kill(this.options.killGraceMs);
  }

  /** Gives the instance's memory back to the pool, once. */
  private unaccount(instance: FunctionInstance): void {
    const mb = this.limits.get(instance);
    if (mb === undefined || !this.accounted.has(instance)) return;
    this.accounted.delete(instance);
    this.usedMemoryMb -= mb;
  }

  private record(instance: FunctionInstance, event: LifecycleEvent, reason: string): void {
    announceLifecycle({
      atUs: epochUs(),
      id: instance.id,
      functionName: instance.functionName,
      event,
      reason,
      memoryLimitMb: this.limits.get(instance) ?? 0,
    });
  }

  /** Counters and current instance numbers. */
  stats(): LocalPlatformStats {
    let idle = 0;
    let busy = 0;
    for (const state of this.live.values()) {
      if (state === 'idle') idle++;
      else if (state === 'busy') busy++;
    }
    return { ...this.counters, alive: this.live.size, idle, busy, usedMemoryMb: this.usedMemoryMb };
  }

  /** PaceReporter: what waiting invocations wait for, start slots, the pool's memory and instances. */
  async pressure(): Promise<PlatformPressure> {
    const waiting = { start_slot: 0, memory: 0, instance_busy: 0 };
    for (const w of this.waiters) if (w.blocked !== undefined) waiting[w.blocked]++;
    let instances = 0;
    for (const state of this.live.values()) if (state !== 'stopping') instances++;
    return {
      waiting,
      starting: this.starting,
      startSlots: this.startSlots(),
      usedMemoryMb: this.usedMemoryMb,
      poolMemoryMb: this.options.poolMemoryMb,
      instances,
      maxInstances: this.options.maxInstances,
    };
  }

  /** The instances whose processes have not exited yet. */
  instances(): LocalInstanceInfo[] {
    return [...this.live].map(([instance, state]) => ({
      id: instance.id,
      functionName: instance.functionName,
      pid: instance.pid,
      containerId: instance.containerId,
      state,
    }));
  }

  /**
   * Kills every instance (SIGTERM, SIGKILL after killGraceMs) and resolves once all have exited
   * and the runtime has removed what it could not before (containers of an engine that was down).
   * Idempotent. Afterwards invoke() answers outcome 'error' and deploy() rejects.
   */
  async teardown(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) {
      w.leave();
      w.settle(new InstanceFailure('aborted', 'the local platform was torn down'));
    }
    this.pool.drain();
    const exits = [...this.live.keys()].map((instance) => {
      this.stop(instance, 'teardown', 'the platform was torn down');
      return instance.exited;
    });
    await Promise.all(exits);
    await this.runtime?.teardown?.();
  }
}
