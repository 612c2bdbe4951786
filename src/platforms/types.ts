import type { Arrival } from '../schedule/types.js';
import type { FailureKind } from './failure.js';

export type { FailureKind } from './failure.js';

/** What a platform needs to deploy one function of the plan. */
export interface FunctionSpec {
  /** The trace function's id. */
  id: string;
  /** Action name on the platform (safe characters only). */
  name: string;
  /** Memory limit in MB, when the trace gives one. */
  memoryMb?: number;
  /** Activations one instance may run at once (OpenWhisk's limits.concurrency); default 1. */
  concurrency?: number;
  /** The tenant it belongs to in the trace (its user, else its app), for multi-tenant platforms. */
  owner?: string;
  /** The action's code (an OpenWhisk Node.js action); default: the synthetic trace function. */
  action?: ActionCode;
  /** A catalog function bound to it (src/workload/binding.ts): what each invocation sends. */
  workload?: WorkloadBinding;
}

/** A catalog function standing for a trace function; inputs are drawn from `seed`. */
export interface WorkloadBinding {
  function: string;
  seed: number;
  /** In the catalog input's own unit. */
  inputSize: number;
}

/** An OpenWhisk Node.js action: source that defines `main`, called with the parameters. */
export interface ActionCode {
  code: string;
  main: string;
}

/**
 * ok: the function ran and answered; error: the platform or the function failed; timeout: no answer
 * in time; dropped: not sent, the in-flight cap was reached; cancelled: not sent, the run was stopped.
 */
export type Outcome = 'ok' | 'error' | 'timeout' | 'dropped' | 'cancelled';

/**
 * What an invocation waited for before an instance took it: none (served at once), a start slot
 * (the cold starts under way were at their cap), memory (the pool was full, nothing idle to
 * evict, or the instance cap was reached), or an instance of its own function (a slot on one that
 * was starting, with concurrency above 1, or a busy one that came free before its own cold start
 * ended).
 */
export type WaitReason = 'none' | 'start_slot' | 'memory' | 'instance_busy';

/** direct: the function's action was invoked; trigger: a trigger was fired, a rule ran the action. */
export type InvokeVia = 'direct' | 'trigger';

/** What a platform reports about one invocation. Times are wall-clock epoch microseconds. */
export interface InvocationResult {
  outcome: Outcome;
  /** When the request was handed to the platform and when its answer was complete. */
  sentAtUs: number;
  endedAtUs: number;
  httpStatus?: number;
  coldStart?: boolean;
  /** Platform-reported: queueing before an instance took it, instance init, execution. */
  waitMs?: number;
  /** Embedded platform: what it waited for (see WaitReason). */
  waitReason?: WaitReason;
  initMs?: number;
  execMs?: number;
  activationId?: string;
  instanceId?: string;
  /** Platform-reported cost: billed time (Lambda's Billed Duration) and peak memory used. */
  billedMs?: number;
  maxMemoryMb?: number;
  /** CPU time (user + system) the function used, as it reported it (the embedded platform's actions). */
  cpuMs?: number;
  /** Sends it took, when retries are on (platforms/wrappers.ts). */
  attempts?: number;
  /** How it was made (platforms/triggers.ts); absent: directly. */
  invokedVia?: InvokeVia;
  /** Fired through a trigger: the trigger's activation, and the platform-reported delay from it to the action's start, ms. */
  triggerActivationId?: string;
  triggerMs?: number;
  /** Why it failed (see failure.ts): set whenever outcome is not 'ok', by whoever knows; behaviour is decided on it. */
  failure?: FailureKind;
  /** What went wrong, for people: never parsed. */
  error?: string;
}

/** What a platform's pool is doing now (capabilities.ts, PaceReporter): what invocations wait for, and its limits. */
export interface PlatformPressure {
  /** Invocations waiting for an instance now, by what they wait for. */
  waiting: Record<Exclude<WaitReason, 'none'>, number>;
  /** Cold starts under way, and how many may be (--max-starting). */
  starting: number;
  startSlots: number;
  /** Sum of the memory limits of live instances, and the pool's budget (--pool-memory), MB. */
  usedMemoryMb: number;
  poolMemoryMb: number;
  /** Live instances, and the cap (--max-instances). */
  instances: number;
  maxInstances: number;
}

/**
 * One adapter per platform kind, in the style of undici's Dispatcher.
 * invoke() never rejects for platform failures: they become the result's outcome.
 * Optional: warm() below; other capabilities are interfaces in capabilities.ts.
 */
export interface PlatformAdapter {
  readonly kind: string;
  /** Where it is, for the manifest (never credentials). */
  readonly address: string;
  deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void>;
  invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult>;
  /**
   * Optional, called after deploy() and before the run's time zero: opens what the plan will need
   * (connections) and returns a throw-away invoke that runs the adapter's own send path without
   * reaching any function, for the replay to warm the code with (its results are dropped), or
   * undefined when the adapter has none. Never rejects for platform failures (the run reports them).
   */
  warm?(fns: readonly FunctionSpec[], plan: WarmPlan, signal: AbortSignal): Promise<WarmInvoker | undefined>;
  teardown(): Promise<void>;
}

/** What an adapter's warm() knows of the plan. */
export interface WarmPlan {
  /** The plan's highest count of invocations in one second of the run. */
  peakPerS: number;
}

/** The throw-away send path of PlatformAdapter.warm(); close() releases what it opened for itself. */
export interface WarmInvoker {
  invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult>;
  close(): Promise<void>;
}
