import { Worker } from 'node:worker_threads';
import { onAbort } from '../util/abort.js';

/**
 * Wakes this thread's event loop at a deadline, to the microsecond, without holding a core: a
 * worker thread blocks in Atomics.wait (whose timeout has microsecond resolution, where timers
 * and the event loop's own wait have milliseconds) and posts a message at the deadline, which
 * wakes the event loop like any I/O. Meanwhile this thread sleeps in its event loop and serves
 * I/O at once. One wait at a time: a new wait() cancels the pending one (it resolves false).
 * The thread is started at construction, holds the process open only while a wait is pending,
 * and ends with close().
 */
export class WakeThread {
  private readonly shared = new SharedArrayBuffer(16);
  private readonly seq = new Int32Array(this.shared, 0, 1);
  private readonly deadlineNs = new BigInt64Array(this.shared, 8, 1);
  private readonly worker: Worker;
  private pending:
    | { seq: number; resolve: (woken: boolean) => void; signal: AbortSignal | undefined }
    | undefined;
  private closed = false;
  /** Signals with this thread's abort callback on: one per signal, not one per wait. */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor() {
    this.worker = new Worker(new URL('./wake-thread-worker.js', import.meta.url), {
      workerData: this.shared,
    });
    this.worker.unref();
    this.worker.on('message', (s: number) => {
      if (this.pending?.seq === s) this.settle(true);
    });
    this.worker.on('error', () => this.settle(false));
  }

  /**
   * Resolves true at or after `leftUs` from now (by the monotonic clock), or false when cancelled
   * by `signal`, a newer wait() or close().
   */
  wait(leftUs: number, signal?: AbortSignal): Promise<boolean> {
    this.settle(false);
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    const deadline = process.hrtime.bigint() + BigInt(Math.max(1, Math.round(leftUs * 1000)));
    const seq = this.request(deadline);
    this.worker.ref();
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal);
      onAbort(signal, () => {
        if (this.pending?.signal !== signal) return;
        this.settle(false);
        this.request(0n);
      });
    }
    return new Promise<boolean>((resolve) => {
      this.pending = { seq, resolve, signal };
    });
  }

  /** Ends the thread; a pending wait resolves false. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.settle(false);
    this.request(-1n);
    await this.worker.terminate();
  }

  private request(deadlineNs: bigint): number {
    Atomics.store(this.deadlineNs, 0, deadlineNs);
    const seq = Atomics.add(this.seq, 0, 1) + 1;
    Atomics.notify(this.seq, 0);
    return seq;
  }

  private settle(woken: boolean): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.worker.unref();
    p.resolve(woken);
  }
}
