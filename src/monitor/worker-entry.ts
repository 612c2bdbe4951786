/**
 * The monitors' thread: runs a MonitorSet off the dispatcher's thread, so sampling (synchronous
 * reads of /proc and /sys) never delays a fire time, and so that /proc/thread-self gives the
 * monitors' own CPU time. Protocol: workerData = {config, dir, runId}; posts {t:'log'} lines,
 * {t:'started'}, then on {t:'stop'} posts {t:'stopped', fact} (or {t:'failed', message}).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../util/message.js';
import { createMonitors, type MonitorConfig, MonitorSet } from './set.js';

export interface MonitorWorkerData {
  config: MonitorConfig;
  dir: string;
  runId: string;
}

const port = parentPort!;
const data = workerData as MonitorWorkerData;
const log = (line: string) => port.postMessage({ t: 'log', line });
try {
  const set = new MonitorSet(await createMonitors(data.config), data.config);
  await set.start({ dir: data.dir, runId: data.runId, log });
  port.once('message', () => {
    set.stop().then(
      ({ fact, tables }) => port.postMessage({ t: 'stopped', fact, tables }),
      (e: unknown) => port.postMessage({ t: 'failed', message: messageOf(e) }),
    );
  });
  port.postMessage({ t: 'started' });
} catch (e) {
  port.postMessage({ t: 'failed', message: messageOf(e) });
}
