/**
 * One instance of the local platform and the OpenWhisk action protocol spoken to it, in the role
 * of OpenWhisk's ContainerProxy (not the runtime proxy that runs inside the instance,
 * src/embedded/runtime/proxy.ts): launch, start (the proxy's ready line, then /init with the function's
 * code), run (/run with the activation's value and deadline), remove. It keeps what belongs to
 * the one instance: the code it was launched with, its concurrency, its memory peak per execution
 * and its activation logs. Where the instance runs is runtime.ts's business; which invocation it
 * serves, and when, pool.ts's.
 */
import { performance } from 'node:perf_hooks';
import type { FunctionSpec } from '../../platforms/types.js';
import { SYNTHETIC_ACTION_CODE, SYNTHETIC_ACTION_MAIN } from '../../workload/synthetic-action.js';
import type { ActionAnswer, ExitInfo } from './instance.js';
import { announceInstance } from './instance-channel.js';
import { type PooledInstance, StartFailure } from './pool.js';
import type { FunctionInstance, InstanceRuntime } from './runtime.js';

export interface ProxyOptions {
  /** Unique among the platform's instances. */
  id: string;
  functionName: string;
  /** The function's code as deployed now (undefined: the synthetic function). */
  action: FunctionSpec['action'];
  memoryLimitMb: number;
  /** Activations it runs at once (at least 1). */
  concurrency: number;
  logLimitBytes?: number | undefined;
  /** Time limit from launch to the ready line. */
  startTimeoutMs: number;
  /** Time limit of /init, asked when it is sent (the function's limit may have grown meanwhile). */
  initTimeoutMs(): number;
  /** Between SIGTERM and SIGKILL when it is removed. */
  killGraceMs: number;
}

/** What /run gave: the answer, or the failure (InstanceFailure, mostly); execMs spans the request. */
export type RunResult =
  | { ok: true; answer: ActionAnswer; execMs: number; cgroupPeakBytes: number | undefined }
  | { ok: false; error: unknown; execMs: number };

function isDict(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The proxy's `{"error": ...}`, or the status alone. */
export function errorOf(answer: ActionAnswer): string {
  const body = answer.body;
  if (isDict(body) && body.error !== undefined) {
    return typeof body.error === 'string' ? body.error : JSON.stringify(body.error);
  }
  return `HTTP ${answer.status}`;
}

export class InstanceProxy implements PooledInstance {
  /**
   * Launches an instance on the runtime (synchronously: its process or container is on its way)
   * and announces it on the instance channel, and its exit when it comes. Throws if the runtime
   * cannot launch it.
   */
  static launch(runtime: InstanceRuntime, o: ProxyOptions): InstanceProxy {
    const instance = runtime.launch({
      id: o.id,
      functionName: o.functionName,
      memoryLimitMb: o.memoryLimitMb,
      concurrency: o.concurrency,
      logLimitBytes: o.logLimitBytes,
    });
    announceInstance({ t: 'start', id: instance.id, functionName: o.functionName, pid: instance.pid });
    void instance.exited.then(() => announceInstance({ t: 'exit', id: instance.id }));
    return new InstanceProxy(instance, o);
  }

  private constructor(
    private readonly instance: FunctionInstance,
    private readonly o: ProxyOptions,
  ) {}

  get id(): string {
    return this.instance.id;
  }
  get functionName(): string {
    return this.instance.functionName;
  }
  get alive(): boolean {
    return this.instance.alive;
  }
  get exited(): Promise<ExitInfo> {
    return this.instance.exited;
  }
  get pid(): number | undefined {
    return this.instance.pid;
  }
  /** The container that runs it (docker runtime). */
  get containerId(): string | undefined {
    return this.instance.containerId;
  }
  /** The code it was launched, and /init-ed, with. */
  get action(): FunctionSpec['action'] {
    return this.o.action;
  }

  /** Waits for the ready line and /inits the code; throws StartFailure naming the step that failed. */
  async start(signal: AbortSignal): Promise<void> {
    const { action, concurrency } = this.o;
    let stage: 'start' | 'init' = 'start';
    try {
      await this.instance.ready(this.o.startTimeoutMs, signal);
      stage = 'init';
      const answer = await this.instance.post(
        '/init',
        {
          value: {
            name: this.functionName,
            main: action?.main ?? SYNTHETIC_ACTION_MAIN,
            code: action?.code ?? SYNTHETIC_ACTION_CODE,
            // As OpenWhisk's invoker tells a runtime that activations may overlap.
            env: concurrency > 1 ? { __OW_ALLOW_CONCURRENT: 'true' } : {},
          },
        },
        this.o.initTimeoutMs(),
        signal,
      );
      if (answer.status !== 200) throw new Error(`/init answered ${answer.status}: ${errorOf(answer)}`);
    } catch (e) {
      throw new StartFailure(e, stage);
    }
  }

  /**
   * POSTs /run with `value` as the action's parameters, within timeoutMs (the deadline the action
   * is told). Never rejects. The memory peak is this execution's when the instance runs one at a
   * time (see execution-peak.ts).
   */
  async run(
    value: Record<string, unknown>,
    activationId: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<RunResult> {
    const body = {
      value,
      namespace: '_',
      action_name: `/_/${this.functionName}`,
      activation_id: activationId,
      // Epoch milliseconds as a string, as OpenWhisk's invoker sends it.
      deadline: String(Date.now() + timeoutMs),
    };
    const peak = this.o.concurrency === 1 ? this.instance.executionPeak : undefined;
    const peakReset = peak?.reset() === true;
    const runAt = performance.now();
    try {
      const answer = await this.instance.post('/run', body, timeoutMs, signal);
      const execMs = performance.now() - runAt;
      return { ok: true, answer, execMs, cgroupPeakBytes: peakReset ? peak?.readBytes() : undefined };
    } catch (error) {
      return { ok: false, error, execMs: performance.now() - runAt };
    }
  }

  /**
   * The last activation's log, waiting up to waitMs for its end markers; none when activations
   * overlap (concurrency above 1), whose output interleaves. Claim it before the instance is
   * released, so that the next activation's log comes after.
   */
  async logs(waitMs: number): Promise<{ logs?: string[] }> {
    return this.o.concurrency > 1 ? {} : { logs: await this.instance.logs.next(waitMs) };
  }

  remove(): void {
    void this.instance.kill(this.o.killGraceMs);
  }
}
