/**
 * The embedded ("local") platform: every function instance runs faasload's runtime proxy with the
 * synthetic function (src/workload/synthetic-action.ts), as a child process or (runtime docker) in a
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
 * Three parts, as OpenWhisk's invoker has them: this module (functions, time limits, the
 * invocation's result), the pool (pool.ts, with one record per instance in instance-table.ts:
 * which instances exist, capacity, start slots, idle eviction, waits) and one proxy per instance
 * (instance-proxy.ts: start, /init, /run, remove), over a runtime (runtime.ts: process or docker).
 * The OpenWhisk-compatible REST API over it is ../openwhisk-server. Memory: an instance's limit
 * is its function's size class (memory.ts), enforced by the container, or for a process by its
 * own memory cgroup or an RSS watchdog (memory-limit.ts); an OOM kill is an 'error' whose message
 * says so plainly.
 *
 * Measurements follow OpenWhisk's invoker: initMs spans launch to the end of /init (cold starts
 * only); execMs spans the /run request, as seen from this process.
 */
import { randomBytes } from 'node:crypto';
import { FaasloadError } from '../../errors.js';
import { reportedCpuMs } from '../../platforms/action-usage.js';
import type {
  ActionInvocationResult,
  AnnouncesInstances,
  PaceReporter,
  ReturnsActionResults,
} from '../../platforms/capabilities.js';
import type { FailureKind } from '../../platforms/failure.js';
import type { FunctionSpec, Outcome, PlatformPressure } from '../../platforms/types.js';
import type { Arrival } from '../../schedule/types.js';
import { messageOf } from '../../util/message.js';
import { epochUs } from '../../util/time.js';
import { invocationValue } from '../../workload/binding.js';
import { InstanceFailure } from './instance.js';
import { announceLifecycle } from './instance-channel.js';
import { errorOf, InstanceProxy } from './instance-proxy.js';
import type { InstanceState } from './instance-table.js';
import { sizeClassMb } from './memory.js';
import {
  defaultMaxStarting,
  type LocalPlatformOptions,
  type ResolvedLocalOptions,
  resolveLocalOptions,
} from './options.js';
import { ColdStartFailure, InstancePool, type Lease, type PoolFunction, type PoolStats } from './pool.js';
import { createRuntime, type InstanceRuntime } from './runtime.js';

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

/** starting: cold start under way; stopping: killed, not yet exited (instance-table.ts). */
export type LocalInstanceState = InstanceState;

/** One live instance, e.g. for a monitor that samples processes by pid. */
export interface LocalInstanceInfo {
  id: string;
  functionName: string;
  pid: number | undefined;
  containerId: string | undefined;
  state: LocalInstanceState;
}

/** Counters since construction, for the run's summary and manifest (see PoolStats). */
export type LocalPlatformStats = PoolStats;

/** timeout → 'timeout'; an abort before /run was sent → 'cancelled' (the function never ran); else 'error'. */
function outcomeOf(e: unknown, runSent: boolean): Outcome {
  if (!(e instanceof InstanceFailure)) return 'error';
  if (e.kind === 'timeout') return 'timeout';
  return e.kind === 'aborted' && !runSent ? 'cancelled' : 'error';
}

function isDict(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

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

export class LocalPlatform implements ReturnsActionResults, AnnouncesInstances, PaceReporter {
  readonly kind = 'local';
  readonly address = 'in-process';
  readonly returnsActionResults = true;
  readonly announcesInstances = true;

  private readonly options: ResolvedLocalOptions;
  private readonly functions = new Map<string, FunctionSpec>();
  /** Chosen and prepared by deploy(); instances are launched synchronously from it. */
  private runtime: InstanceRuntime | undefined;
  private preparing: Promise<InstanceRuntime> | undefined;
  private readonly pool: InstancePool<InstanceProxy>;
  private nextInstance = 1;
  /** The longest duration each function's invocations have asked for (ms), for its time limit. */
  private readonly longestMs = new Map<string, number>();
  /** maxStarting was given; else it is the runtime's default (defaultMaxStarting). */
  private readonly maxStartingGiven: boolean;

  /** Throws FaasloadError E_USAGE for invalid options. Starts nothing: instances are created on demand. */
  constructor(options: LocalPlatformOptions = {}) {
    this.options = resolveLocalOptions(options);
    this.maxStartingGiven = options.maxStarting !== undefined;
    const { keepAliveMs, poolMemoryMb, maxInstances, invokeTimeoutMs } = this.options;
    this.pool = new InstancePool<InstanceProxy>(
      {
        keepAliveMs,
        poolMemoryMb,
        maxInstances,
        waitTimeoutMs: invokeTimeoutMs,
        startSlots: () => this.startSlots(),
      },
      {
        launch: (fn) => this.launch(fn),
        isCurrent: (instance) => {
          const deployed = this.functions.get(instance.functionName);
          return deployed !== undefined && instance.action === deployed.action;
        },
        lifecycle: (instance, event, reason, memoryLimitMb) =>
          announceLifecycle({
            atUs: epochUs(),
            id: instance.id,
            functionName: instance.functionName,
            event,
            reason,
            memoryLimitMb,
          }),
      },
    );
  }

  /** Records the functions (deploying again updates them); instances start lazily on invoke. */
  async deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.pool.closed) throw new FaasloadError('E_PLATFORM', 'the local platform has been torn down');
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
      if (before && before.action !== fn.action) this.pool.retire(name, 'redeployed');
    }
    // A provisioned pool: the first invocations find `prewarm` idle instances of each function.
    // They age out after the keep-alive like any idle instance.
    for (const fn of byName.values())
      await this.pool.prewarm(this.poolFunction(fn), this.options.prewarm, signal);
  }

  /** Removes a function: its idle instances go now, busy ones when their invocation ends. */
  undeploy(name: string): boolean {
    if (!this.functions.delete(name)) return false;
    this.pool.retire(name, 'redeployed');
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
    if (this.pool.closed)
      return done('error', { failure: 'client', error: 'the local platform has been torn down' });
    if (!this.functions.has(fn.name)) {
      return done('error', { failure: 'not_found', error: `function '${fn.name}' is not deployed` });
    }
    if (signal.aborted)
      return done('cancelled', { failure: 'cancelled', error: 'aborted before it was sent' });

    let lease: Lease<InstanceProxy>;
    try {
      lease = await this.pool.acquire(this.poolFunction(fn), signal);
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
    const where = {
      instanceId: instance.id,
      ...(instance.containerId !== undefined ? { containerId: instance.containerId } : {}),
    };

    const timeoutMs = this.timeLimitOf(
      fn,
      typeof value.durationMs === 'number' ? value.durationMs : undefined,
    );
    const run = await instance.run(value, activationId, timeoutMs, signal);
    if (!run.ok) {
      const logs = instance.logs(0);
      this.pool.discard(instance, `/run failed: ${messageOf(run.error)}`);
      return done(outcomeOf(run.error, true), {
        ...cold,
        execMs: run.execMs,
        ...where,
        ...(await logs),
        stage: 'run',
        failure: failureOf(run.error, 'run'),
        error: messageOf(run.error),
      });
    }
    const { answer, execMs, cgroupPeakBytes } = run;
    const result = done('ok', { ...cold, execMs, ...where, httpStatus: answer.status });
    if (cgroupPeakBytes !== undefined) result.cgroupPeakBytes = cgroupPeakBytes;

    // Claimed before the instance is released, so that the next activation's log comes after.
    const logs = instance.logs(LOG_WAIT_MS);
    // 2xx and 502 (the action failed) leave the instance usable, as in OpenWhisk; other answers
    // mean the proxy is not in the state we think.
    if (answer.status >= 200 && answer.status < 300) {
      this.pool.release(instance);
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
      if (answer.status === ACTION_FAILED_STATUS) this.pool.release(instance);
      else this.pool.discard(instance, `/run answered ${answer.status}`);
      if (isDict(answer.body)) result.result = answer.body;
      result.outcome = 'error';
      result.stage = 'run';
      // 502: the action threw or returned no dictionary; another status: the proxy is not in the state we think.
      result.failure = answer.status === ACTION_FAILED_STATUS ? 'application' : 'platform';
      result.error = errorOf(answer);
    }
    return Object.assign(result, await logs);
  }

  /** The function as the pool sees it: its instances' memory limit and concurrency, as deployed. */
  private poolFunction(fn: FunctionSpec): PoolFunction {
    return { name: fn.name, memoryMb: this.memoryLimitOf(fn), concurrency: this.concurrencyOf(fn.name) };
  }

  /** Launches an instance of fn with the code deployed now (a redeploy while it starts leaves it with the old). */
  private launch(fn: PoolFunction): InstanceProxy {
    const id = `${fn.name}-${this.nextInstance++}`;
    if (!this.runtime) throw new Error('no runtime: deploy() first');
    const spec: LocalFunctionSpec | undefined = this.functions.get(fn.name);
    return InstanceProxy.launch(this.runtime, {
      id,
      functionName: fn.name,
      action: spec?.action,
      memoryLimitMb: fn.memoryMb,
      concurrency: fn.concurrency,
      logLimitBytes: spec?.logLimitBytes,
      startTimeoutMs: this.options.startTimeoutMs,
      initTimeoutMs: () => this.timeLimitOf(fn),
      killGraceMs: this.options.killGraceMs,
    });
  }

  /** Activations an instance of the function runs at once (as deployed). */
  private concurrencyOf(name: string): number {
    return Math.max(1, this.functions.get(name)?.concurrency ?? 1);
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
  private timeLimitOf(fn: { name: string }, requestedMs?: number): number {
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

  /** Counters and current instance numbers. */
  stats(): LocalPlatformStats {
    return this.pool.stats();
  }

  /** PaceReporter: what waiting invocations wait for, start slots, the pool's memory and instances. */
  async pressure(): Promise<PlatformPressure> {
    return this.pool.pressure();
  }

  /** The instances whose processes have not exited yet. */
  instances(): LocalInstanceInfo[] {
    return this.pool.records().map(({ instance, state }) => ({
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
    await this.pool.close();
    await this.runtime?.teardown?.();
  }
}
