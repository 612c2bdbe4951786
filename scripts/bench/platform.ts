/**
 * Benchmark: the embedded platform through its OpenWhisk API, for each runtime (process, and
 * docker when an engine answers), in one run: cold-start and warm invocation latency as a client
 * sees them (blocking invoke, medians and p99) beside the platform's own initTime, and
 * invocations per second through the API with C concurrent clients on warm instances.
 *
 *   node dist/scripts/bench/platform.js [--cold 10] [--warm 200] [--concurrency 8] [--seconds 5]
 *
 * Writes results/bench/platform.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connectDocker, detectEngine } from '../../src/platforms/docker/index.js';
import type { RuntimeChoice } from '../../src/platforms/local/runtime.js';
import { type OpenWhiskServer, startOpenWhiskServer } from '../../src/platforms/openwhisk-server/index.js';

const { values } = parseArgs({
  options: {
    cold: { type: 'string', default: '10' },
    warm: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
  },
});
const COLD = Number(values.cold);
const WARM = Number(values.warm);
const CONCURRENCY = Number(values.concurrency);
const SECONDS = Number(values.seconds);
const ACTION = { exec: { kind: 'nodejs:20', code: 'function main(p) { return { echo: p.n ?? 0 }; }' } };

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
};

/** A client of one server: PUT an action, invoke it blocking, read initTime. */
function client(server: OpenWhiskServer) {
  const headers = {
    authorization: `Basic ${Buffer.from(server.auth).toString('base64')}`,
    'content-type': 'application/json',
  };
  const base = `${server.apiHost}/api/v1/namespaces/_/actions`;
  return {
    async put(name: string) {
      const r = await fetch(`${base}/${name}?overwrite=true`, {
        method: 'PUT',
        headers,
        body: JSON.stringify(ACTION),
      });
      if (r.status !== 200) throw new Error(`PUT ${name}: ${r.status} ${await r.text()}`);
    },
    /** Milliseconds as the client sees it, and the activation's initTime (cold starts). */
    async invoke(name: string, n: number): Promise<{ ms: number; initMs: number | undefined }> {
      const t0 = performance.now();
      const r = await fetch(`${base}/${name}?blocking=true`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ n }),
      });
      const record = (await r.json()) as { annotations?: { key: string; value: unknown }[] };
      const ms = performance.now() - t0;
      if (r.status !== 200) throw new Error(`invoke ${name}: ${r.status} ${JSON.stringify(record)}`);
      const init = record.annotations?.find((a) => a.key === 'initTime')?.value;
      return { ms, initMs: typeof init === 'number' ? init : undefined };
    },
  };
}

interface RuntimeResult {
  runtime: string;
  cold: { p50Ms: number; p99Ms: number; initP50Ms: number };
  warm: { p50Ms: number; p99Ms: number };
  throughput: { concurrency: number; perSecond: number };
}

async function measure(runtime: RuntimeChoice): Promise<RuntimeResult> {
  const server = await startOpenWhiskServer({ port: 0, runtime, maxInstances: Math.max(16, CONCURRENCY) });
  try {
    const c = client(server);
    const cold: number[] = [];
    const init: number[] = [];
    for (let i = 0; i < COLD; i++) {
      await c.put(`cold-${i}`); // a new action: its first invocation starts an instance
      const r = await c.invoke(`cold-${i}`, i);
      if (r.initMs === undefined) throw new Error(`cold-${i}: no initTime on the first invocation`);
      cold.push(r.ms);
      init.push(r.initMs);
    }
    await c.put('warm');
    await c.invoke('warm', 0);
    const warm: number[] = [];
    for (let i = 0; i < WARM; i++) warm.push((await c.invoke('warm', i)).ms);
    // Closed loop: CONCURRENCY clients on warm instances (started by a first concurrent round).
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, k) => c.invoke('warm', k)));
    let done = 0;
    const until = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, k) => {
        while (performance.now() < until) {
          await c.invoke('warm', k);
          done++;
        }
      }),
    );
    const perSecond = done / ((performance.now() - t0) / 1000);
    const result: RuntimeResult = {
      runtime,
      cold: { p50Ms: quantile(cold, 0.5), p99Ms: quantile(cold, 0.99), initP50Ms: quantile(init, 0.5) },
      warm: { p50Ms: quantile(warm, 0.5), p99Ms: quantile(warm, 0.99) },
      throughput: { concurrency: CONCURRENCY, perSecond },
    };
    process.stderr.write(`${runtime}: ${JSON.stringify(result)}\n`);
    return result;
  } finally {
    await server.close();
  }
}

const runtimes: RuntimeChoice[] = ['process'];
const engine = await detectEngine(connectDocker(), 2000);
if (engine.available) runtimes.push('docker');
else process.stderr.write(`docker: not measured (${engine.reason})\n`);
const results: RuntimeResult[] = [];
for (const r of runtimes) results.push(await measure(r));

mkdirSync('results/bench', { recursive: true });
writeFileSync(
  'results/bench/platform.json',
  `${JSON.stringify({ when: new Date().toISOString(), node: process.version, cold: COLD, warm: WARM, results, docker: engine.available ? 'measured' : engine.reason }, null, 2)}\n`,
);
const ms = (x: number) => x.toFixed(1);
const md = [
  `# The embedded platform through its OpenWhisk API (${COLD} cold starts, ${WARM} warm invocations, ${SECONDS} s at ${CONCURRENCY} clients)`,
  '',
  "Blocking invocations of a one-line Node.js action, timed by the client on 127.0.0.1; initTime is the platform's own (launch + /init).",
  '',
  '| runtime | cold p50 / p99 ms | initTime p50 ms | warm p50 / p99 ms | invocations/s |',
  '|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.runtime} | ${ms(r.cold.p50Ms)} / ${ms(r.cold.p99Ms)} | ${ms(r.cold.initP50Ms)} | ${ms(r.warm.p50Ms)} / ${ms(r.warm.p99Ms)} | ${r.throughput.perSecond.toFixed(0)} |`,
  ),
  ...(engine.available ? [] : [`| docker | not measured: ${engine.reason} | | | |`]),
  '',
].join('\n');
writeFileSync('results/bench/platform.md', md);
process.stdout.write(md);
process.exit(0);
