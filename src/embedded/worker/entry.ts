import { parentPort, workerData } from 'node:worker_threads';
import { FaasloadError } from '../../errors.js';
import type { PaceReporter } from '../../platforms/capabilities.js';
import { LocalPlatform } from '../local/platform.js';
import type { Reply, Request, WorkerData } from './protocol.js';

/** Runs one platform adapter in this worker thread and answers the host's requests. */
const data = workerData as WorkerData;
const FACTORIES = { local: (o: WorkerData['options']) => new LocalPlatform(o) } satisfies Record<
  WorkerData['kind'],
  (o: WorkerData['options']) => PaceReporter
>;
const platform = FACTORIES[data.kind](data.options);
const port = parentPort!;
const running = new Map<number, AbortController>();
const reply = (r: Reply) => port.postMessage(r);
const fail = (id: number, err: unknown) =>
  reply({
    t: 'err',
    id,
    message: err instanceof Error ? err.message : String(err),
    ...(err instanceof FaasloadError ? { code: err.code } : {}),
  });

port.on('message', (req: Request) => {
  switch (req.t) {
    case 'deploy':
      platform.deploy(req.fns, new AbortController().signal).then(
        () => reply({ t: 'ok', id: req.id }),
        (e) => fail(req.id, e),
      );
      return;
    case 'invoke': {
      const ac = new AbortController();
      running.set(req.id, ac);
      platform
        .invoke(req.fn, req.arrival, ac.signal)
        .then(
          (result) => reply({ t: 'ok', id: req.id, result }),
          (e) => fail(req.id, e),
        )
        .finally(() => running.delete(req.id));
      return;
    }
    case 'abort':
      running.get(req.id)?.abort();
      return;
    case 'pressure':
      platform.pressure().then(
        (pressure) => reply({ t: 'pressure', id: req.id, pressure }),
        (e) => fail(req.id, e),
      );
      return;
    case 'teardown':
      platform.teardown().then(
        () => reply({ t: 'ok', id: req.id }),
        (e) => fail(req.id, e),
      );
      return;
  }
});
