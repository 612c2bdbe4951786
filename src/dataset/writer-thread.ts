import { Worker } from 'node:worker_threads';
import type { FromWriter, ToWriter } from './writer-protocol.js';

/** What a table hears back from the writer thread. */
export type WriterListener = (message: FromWriter) => void;

/**
 * The writer thread of this thread (one, shared by its TableWriters, started at the first one).
 * It keeps the process alive only while something it was sent is unanswered, so a replay's
 * batches reach the disk before the process exits but an idle writer never holds it up. If the
 * thread dies, every table still open hears `failed`.
 */
class WriterThread {
  private readonly worker: Worker;
  private readonly listeners = new Map<number, WriterListener>();
  private nextId = 1;
  private outstanding = 0;
  private dead: string | undefined;

  constructor() {
    this.worker = new Worker(new URL('./writer-worker.js', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (m: FromWriter) => {
      if (m.op !== 'failed') this.answered();
      this.listeners.get(m.table)?.(m);
      if (m.op === 'closed') this.listeners.delete(m.table);
    });
    const die = (why: string) => {
      this.dead = why;
      if (thread === this) thread = undefined;
      for (const [table, listen] of this.listeners)
        listen({ op: 'failed', table, message: why, threadDied: true });
    };
    this.worker.on('error', (err) => die(`the dataset writer thread failed: ${err.message}`));
    this.worker.on('exit', (code) => die(`the dataset writer thread exited (code ${code})`));
  }

  /** A table id whose answers go to `listen`. */
  register(listen: WriterListener): number {
    const id = this.nextId++;
    this.listeners.set(id, listen);
    return id;
  }

  /** Sends a message; `answers` says whether one answer (ack, drained, closed) will come back. */
  send(message: ToWriter, transfer: ArrayBuffer[] = [], answers = true): void {
    const dead = this.dead;
    if (dead) {
      queueMicrotask(() =>
        this.listeners.get(message.table)?.({
          op: 'failed',
          table: message.table,
          message: dead,
          threadDied: true,
        }),
      );
      return;
    }
    if (answers && this.outstanding++ === 0) this.worker.ref();
    this.worker.postMessage(message, transfer);
  }

  private answered(): void {
    if (--this.outstanding === 0) this.worker.unref();
  }
}

let thread: WriterThread | undefined;

/** This thread's writer thread. */
export function writerThread(): WriterThread {
  thread ??= new WriterThread();
  return thread;
}
