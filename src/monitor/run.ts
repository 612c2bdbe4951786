/**
 * Starting a run's monitors in their own worker thread (see worker-entry.ts) and stopping them.
 * The replay calls startMonitors() before deploying (so that instances started at deploy are
 * seen) and stop() after the platform's teardown (so that the last die/destroy events are in).
 */
import { Worker } from 'node:worker_threads';
import type { TableFact } from '../dataset/manifest.js';
import { FaasloadError } from '../errors.js';
import type { MonitorConfig } from './set.js';
import type { MonitorsFact } from './types.js';
import type { MonitorWorkerData } from './worker-entry.js';

export interface RunningMonitors {
  /** Stops sampling, writes the tables and reports. Rejects only if the thread itself failed. */
  stop(): Promise<{ fact: MonitorsFact; tables: Record<string, TableFact> }>;
}

type FromWorker =
  | { t: 'log'; line: string }
  | { t: 'started' }
  | { t: 'stopped'; fact: MonitorsFact; tables: Record<string, TableFact> }
  | { t: 'failed'; message: string };

/** Resolves once every selected monitor observes (or has been left out with a logged reason). */
export async function startMonitors(
  config: MonitorConfig,
  where: { dir: string; runId: string; log: (line: string) => void },
): Promise<RunningMonitors> {
  const data: MonitorWorkerData = { config, dir: where.dir, runId: where.runId };
  const worker = new Worker(new URL('./worker-entry.js', import.meta.url), { workerData: data });
  let settle: ((m: FromWorker) => void) | undefined;
  const next = () => new Promise<FromWorker>((resolve) => (settle = resolve));
  let gone: Error | undefined;
  const fail = (e: Error) => {
    gone ??= e;
    settle?.({ t: 'failed', message: e.message });
  };
  worker.on('message', (m: FromWorker) => {
    if (m.t === 'log') where.log(m.line);
    else settle?.(m);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the monitors' thread exited (code ${code})`)));
  const started = await next();
  // The thread must not keep the process alive by itself (e.g. after a failed teardown); it is
  // referenced again while stop() waits for its answer.
  worker.unref();
  if (started.t === 'failed') {
    await worker.terminate();
    throw new FaasloadError('E_USAGE', `monitors: ${started.message}`);
  }
  return {
    async stop() {
      if (gone) throw new FaasloadError('E_DATASET', `monitors: ${gone.message}`);
      const done = next();
      worker.ref();
      worker.postMessage({ t: 'stop' });
      const m = await done;
      await worker.terminate();
      if (m.t !== 'stopped')
        throw new FaasloadError('E_DATASET', `monitors: ${m.t === 'failed' ? m.message : m.t}`);
      return { fact: m.fact, tables: m.tables };
    },
  };
}
