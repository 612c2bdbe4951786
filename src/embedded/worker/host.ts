import { Worker } from 'node:worker_threads';
import { FaasloadError } from '../../errors.js';
import type {
  ActionInvocationResult,
  AnnouncesInstances,
  PaceReporter,
  ReturnsActionResults,
} from '../../platforms/capabilities.js';
import type { FunctionSpec, PlatformPressure } from '../../platforms/types.js';
import type { Arrival } from '../../schedule/types.js';
import { onAbort } from '../../util/abort.js';
import { epochUs } from '../../util/time.js';
import type { Reply, Request, WorkerData, WorkerPlatformKinds } from './protocol.js';

/** A request without its id (Omit distributed over the union). */
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/**
 * Runs a platform adapter in a worker thread, so that its work (spawning instances blocks for
 * 2-40 ms per process) never delays the dispatcher's timers. Wraps the adapter; the adapter does
 * not know. sentAtUs and endedAtUs are taken here, on the dispatcher's thread and clock: when the
 * request is handed over and when its answer is back (a message hop costs tens of µs).
 */
export class WorkerPlatform<K extends keyof WorkerPlatformKinds>
  implements ReturnsActionResults, AnnouncesInstances, PaceReporter
{
  readonly address = 'in-process';
  /** The adapters that run in a worker (the embedded platform) have both: their results cross as they are. */
  readonly returnsActionResults = true;
  readonly announcesInstances = true;
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void }>();
  private exited: Error | undefined;

  constructor(
    readonly kind: K,
    options: WorkerPlatformKinds[K],
  ) {
    const data: WorkerData = { kind, options };
    this.worker = new Worker(new URL('./entry.js', import.meta.url), { workerData: data });
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    const onGone = (err: Error) => {
      this.exited ??= err;
      for (const [id, p] of this.pending)
        p.resolve({ t: 'err', id, message: err.message, code: 'E_PLATFORM' });
      this.pending.clear();
    };
    this.worker.on('error', onGone);
    this.worker.on('exit', (code) =>
      onGone(new Error(`the ${kind} platform's worker exited (code ${code})`)),
    );
  }

  private call(req: RequestBody, id = this.nextId++): Promise<Reply> {
    if (this.exited)
      return Promise.resolve({ t: 'err', id, message: this.exited.message, code: 'E_PLATFORM' });
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage({ ...req, id });
    });
  }

  async deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const r = await this.call({ t: 'deploy', fns });
    if (r.t === 'err') throw new FaasloadError(r.code ?? 'E_PLATFORM', r.message);
  }

  async invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<ActionInvocationResult> {
    const sentAtUs = epochUs();
    const id = this.nextId++;
    const unsubscribe = onAbort(signal, () => this.worker.postMessage({ t: 'abort', id } satisfies Request));
    try {
      const r = await this.call({ t: 'invoke', fn, arrival }, id);
      const endedAtUs = epochUs();
      if (r.t !== 'ok' || !r.result) {
        // The worker is gone or the platform threw: the platform failed, not the function.
        return {
          outcome: 'error',
          sentAtUs,
          endedAtUs,
          failure: 'platform',
          error: r.t === 'err' ? r.message : 'no result',
        };
      }
      return { ...r.result, sentAtUs, endedAtUs };
    } finally {
      unsubscribe();
    }
  }

  /** The worker's platform's pressure (every kind that runs in a worker reports it). */
  async pressure(): Promise<PlatformPressure> {
    const r = await this.call({ t: 'pressure' });
    if (r.t === 'pressure') return r.pressure;
    throw new FaasloadError(
      r.t === 'err' ? (r.code ?? 'E_PLATFORM') : 'E_PLATFORM',
      r.t === 'err' ? r.message : 'no pressure in the reply',
    );
  }

  async teardown(): Promise<void> {
    if (this.exited) return;
    const r = await this.call({ t: 'teardown' });
    await this.worker.terminate();
    if (r.t === 'err') throw new FaasloadError(r.code ?? 'E_PLATFORM', r.message);
  }
}
