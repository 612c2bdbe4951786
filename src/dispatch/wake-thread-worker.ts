/**
 * The wake thread's body (see wake-thread.ts). Shared memory: seq (Int32 at byte 0), the number
 * of the latest request, and deadlineNs (BigInt64 at byte 8), that request's deadline on the
 * monotonic clock (process.hrtime.bigint(), one clock for every thread of the process): 0 means
 * none (a cancelled wait), below 0 means exit. For each request it blocks in Atomics.wait until
 * the deadline (microsecond resolution) or a newer request, then posts the request's number.
 */
import { parentPort, workerData } from 'node:worker_threads';

const seq = new Int32Array(workerData as SharedArrayBuffer, 0, 1);
const deadline = new BigInt64Array(workerData as SharedArrayBuffer, 8, 1);
let served = 0;
for (;;) {
  const s = Atomics.load(seq, 0);
  if (s === served) {
    Atomics.wait(seq, 0, s);
    continue;
  }
  const d = Atomics.load(deadline, 0);
  if (d < 0n) break;
  if (d > 0n) {
    const leftNs = d - process.hrtime.bigint();
    // 'not-equal' or 'ok': a newer request replaced this one.
    if (leftNs > 0n && Atomics.wait(seq, 0, s, Number(leftNs) / 1e6) !== 'timed-out') continue;
    parentPort?.postMessage(s);
  }
  served = s;
}
