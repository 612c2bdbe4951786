/**
 * CPU per request of the two HTTP senders the http and OpenWhisk platforms use: the lean HTTP/1.1
 * pool (src/platforms/http/h1.ts) beside undici's Pool through exchange(), against the pacing
 * benchmark's sink (a process of its own, so only the client's CPU is counted).
 *
 *   npm run bench -- http [--requests 20000] [--inflight 8] [--rounds 7]
 *
 * Each round sends `requests` GETs with `inflight` outstanding at a time through each sender in
 * turn (order alternating between rounds, after a warm-up of 2,000 each), and takes this
 * process's CPU time (user + system, process.cpuUsage) per request. Reports the medians over the
 * rounds and the median of the per-round ratios h1 / undici, which is what to compare across
 * machines and versions: a busy machine moves both sides. Writes results/bench/http-client.json
 * and .md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { type Sender, undiciSender } from '../../src/platforms/http/exchange.js';
import { H1Pool } from '../../src/platforms/http/h1.js';
import { startSink } from './sink.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    inflight: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '7' },
  },
});
const requests = Number(values.requests);
const inflight = Number(values.inflight);
const rounds = Number(values.rounds);
const WARMUP_REQUESTS = 2_000;
const TIMEOUT_MS = 10_000;

const never = new AbortController().signal;
const keepAll = () => Number.POSITIVE_INFINITY;

/** Sends `count` requests, `inflight` at a time; resolves to the CPU µs they cost this process. */
async function drive(sender: Sender, origin: string, count: number): Promise<number> {
  const before = process.cpuUsage();
  let next = 0;
  let failed = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      const r = await sender.exchange(
        { origin, path: '/f', method: 'GET', headers: {} },
        TIMEOUT_MS,
        never,
        keepAll,
      );
      if (r.kind !== 'answer' || r.status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  const used = process.cpuUsage(before);
  if (failed > 0) throw new Error(`${failed} of ${count} requests failed`);
  return used.user + used.system;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const sink = await startSink();
const loadBefore = loadavg()[0]!;
const senders: Record<'h1' | 'undici', Sender> = {
  h1: new H1Pool({ origin: sink.url, connections: inflight, connectTimeoutMs: 5_000 }),
  undici: undiciSender(new Pool(sink.url, { connections: inflight, pipelining: 1 })),
};
const usPerRequest: Record<'h1' | 'undici', number[]> = { h1: [], undici: [] };
const ratios: number[] = [];
try {
  for (const sender of Object.values(senders)) await drive(sender, sink.url, WARMUP_REQUESTS);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['h1', 'undici'] as const) : (['undici', 'h1'] as const);
    const thisRound: Partial<Record<'h1' | 'undici', number>> = {};
    for (const name of order) {
      const us = (await drive(senders[name], sink.url, requests)) / requests;
      usPerRequest[name].push(us);
      thisRound[name] = us;
    }
    ratios.push(thisRound.h1! / thisRound.undici!);
    await sink.take();
  }
} finally {
  await Promise.all(Object.values(senders).map((s) => s.close('done')));
  sink.stop();
}

const result = {
  requests,
  inflight,
  rounds,
  cores: cpus().length,
  loadAverage: { before: loadBefore, after: loadavg()[0]! },
  cpuUsPerRequest: { h1: median(usPerRequest.h1), undici: median(usPerRequest.undici) },
  ratioH1ToUndici: median(ratios),
  perRound: { h1: usPerRequest.h1, undici: usPerRequest.undici, ratio: ratios },
};
await mkdir('results/bench', { recursive: true });
await writeFile('results/bench/http-client.json', `${JSON.stringify(result, null, 2)}\n`);
const md = [
  '# HTTP client CPU per request',
  '',
  `${requests} GETs per round, ${inflight} in flight, ${rounds} rounds, medians; ${result.cores} cores,`,
  `load average ${loadBefore.toFixed(1)} before and ${result.loadAverage.after.toFixed(1)} after.`,
  '',
  '| sender | CPU µs per request (median) |',
  '|---|---|',
  `| h1 (src/platforms/http/h1.ts) | ${result.cpuUsPerRequest.h1.toFixed(1)} |`,
  `| undici Pool + exchange() | ${result.cpuUsPerRequest.undici.toFixed(1)} |`,
  '',
  `h1 / undici, median of the per-round ratios: **${result.ratioH1ToUndici.toFixed(2)}x**`,
  '',
];
await writeFile('results/bench/http-client.md', md.join('\n'));
process.stdout.write(`${md.join('\n')}`);
