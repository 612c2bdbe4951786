/**
 * Benchmark: the embedded platform through its OpenWhisk API, for each runtime (process, and
 * docker when an engine answers), in one run: cold starts per second (S new functions invoked at
 * once, with the platform's default start slots), what one idle instance costs the host (the S
 * instances just started, read from the kernel: platform-footprint.ts) and how many such idle
 * instances 24 GiB holds, cold-start and warm invocation latency as a client sees them (blocking
 * invoke, medians and p99) beside the platform's own initTime, and invocations per second through
 * the API with C concurrent clients on warm instances; beside OpenWhisk's published cold-start
 * figures (PUBLISHED, each with its source). Bounded: every invocation has the API's 60 s limit,
 * the throughput phase runs --seconds.
 *
 *   node dist/scripts/bench/platform.js [--starts 16] [--cold 10] [--warm 200] [--concurrency 8] [--seconds 5]
 *
 * Writes results/bench/platform.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { connectDocker, detectEngine } from '../../src/embedded/docker/index.js';
import type { RuntimeChoice } from '../../src/embedded/local/runtime.js';
import { type OpenWhiskServer, startOpenWhiskServer } from '../../src/embedded/openwhisk-server/index.js';
import { containerFootprint, processFootprint } from './platform-footprint.js';

const { values } = parseArgs({
  options: {
    starts: { type: 'string', default: '16' },
    cold: { type: 'string', default: '10' },
    warm: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
  },
});
const STARTS = Number(values.starts);
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

/** What 24 GiB of host memory is, in kB: the machine the issue asks about. */
const HOST_KB = 24 * 1024 * 1024;
/** After the starts, before reading footprints: the instances settle into idle. */
const SETTLE_MS = 1_500;

/**
 * OpenWhisk's published cold-start figures that could be found, each with its source. None gives
 * a Node.js figure of Apache OpenWhisk itself: the one found is IBM Cloud Functions' (a hosted
 * OpenWhisk), language not stated there.
 */
const PUBLISHED = [
  {
    platform: 'IBM Cloud Functions (hosted OpenWhisk)',
    figure: 'cold start up to 2 s slower than a warm start (language not stated)',
    source:
      'Ristov, Hollaus, Hautz: "Forget the Cold Start! Experience the Spawn Start in Serverless Computing", WoSC7 demo, https://www.serverlesscomputing.org/wosc7/demos/d6',
  },
] as const;

interface IdleFootprint {
  /** Idle instances read. */
  instances: number;
  /** Per instance, mean over them (kB): process Rss, Pss and Pss_Anon of node; container charge. */
  rssKb?: number;
  pssKb?: number;
  pssAnonKb?: number;
  chargeKb?: number;
  /** Idle instances 24 GiB holds at this footprint (node's PSS; for a container, or its cgroup charge if larger). */
  fitIn24GiB: number;
}

interface RuntimeResult {
  runtime: string;
  starts: { count: number; slots: number; seconds: number; perSecond: number };
  idle: IdleFootprint;
  cold: { p50Ms: number; p99Ms: number; initP50Ms: number };
  warm: { p50Ms: number; p99Ms: number };
  throughput: { concurrency: number; perSecond: number };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The idle instances' footprint, read from the kernel (platform-footprint.ts). */
async function idleFootprint(server: OpenWhiskServer, runtime: RuntimeChoice): Promise<IdleFootprint> {
  const idle = server.platform.instances().filter((i) => i.state === 'idle');
  if (runtime === 'docker') {
    const docker = connectDocker();
    const read = await Promise.all(
      idle.map((i) => (i.containerId ? containerFootprint(docker, i.containerId) : undefined)),
    );
    const ok = read.filter((f) => f !== undefined);
    const chargeKb = mean(ok.map((f) => f.chargeKb));
    const nodes = ok.map((f) => f.node).filter((n) => n !== undefined);
    return {
      instances: ok.length,
      chargeKb,
      rssKb: mean(nodes.map((n) => n.rssKb)),
      pssKb: mean(nodes.map((n) => n.pssKb)),
      pssAnonKb: mean(nodes.map((n) => n.pssAnonKb)),
      // The charge leaves out page cache charged elsewhere (a container's own copy of node, cached
      // as the engine wrote it); node's PSS counts it: the larger is what the host gives it.
      fitIn24GiB: Math.floor(HOST_KB / Math.max(chargeKb, mean(nodes.map((n) => n.pssKb)))),
    };
  }
  const read = idle.map((i) => (i.pid ? processFootprint(i.pid) : undefined)).filter((f) => f !== undefined);
  const pssKb = mean(read.map((f) => f.pssKb));
  return {
    instances: read.length,
    rssKb: mean(read.map((f) => f.rssKb)),
    pssKb,
    pssAnonKb: mean(read.map((f) => f.pssAnonKb)),
    fitIn24GiB: Math.floor(HOST_KB / pssKb),
  };
}

async function measure(runtime: RuntimeChoice): Promise<RuntimeResult> {
  const server = await startOpenWhiskServer({
    port: 0,
    runtime,
    maxInstances: STARTS + COLD + CONCURRENCY + 4,
    // A shared, loaded machine starts containers slowly: the bench measures, it does not give up.
    startTimeoutMs: 60_000,
  });
  try {
    const c = client(server);
    // Cold starts per second: STARTS new functions invoked at once, the start slots as defaulted.
    for (let i = 0; i < STARTS; i++) await c.put(`start-${i}`);
    const s0 = performance.now();
    await Promise.all(Array.from({ length: STARTS }, (_, i) => c.invoke(`start-${i}`, i)));
    const startSeconds = (performance.now() - s0) / 1000;
    const starts = {
      count: STARTS,
      slots: server.platform.startSlots(),
      seconds: startSeconds,
      perSecond: STARTS / startSeconds,
    };
    await sleep(SETTLE_MS);
    const idle = await idleFootprint(server, runtime);
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
      starts,
      idle,
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
  `${JSON.stringify({ when: new Date().toISOString(), node: process.version, loadAverage: loadavg(), starts: STARTS, cold: COLD, warm: WARM, results, docker: engine.available ? 'measured' : engine.reason, published: PUBLISHED }, null, 2)}\n`,
);
const ms = (x: number) => x.toFixed(1);
const mb = (kb: number | undefined) => (kb === undefined || Number.isNaN(kb) ? '' : (kb / 1024).toFixed(1));
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
  `Cold starts per second (${STARTS} new functions invoked at once) and one idle instance's footprint (the ${STARTS} just started, 1.5 s after their call; MB per instance):`,
  '',
  '| runtime | start slots | cold starts/s | node RSS | node PSS | node PSS anon | cgroup charge | idle instances in 24 GiB |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.runtime} | ${r.starts.slots} | ${r.starts.perSecond.toFixed(1)} | ${mb(r.idle.rssKb)} | ${mb(r.idle.pssKb)} | ${mb(r.idle.pssAnonKb)} | ${mb(r.idle.chargeKb)} | ${r.idle.fitIn24GiB} |`,
  ),
  '',
  `Load average during the run: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(', ')} (the machine is shared: compare ratios).`,
  '',
  "OpenWhisk's published cold-start figures (no Node.js figure of Apache OpenWhisk itself was found):",
  '',
  ...PUBLISHED.map((p) => `- ${p.platform}: ${p.figure}. Source: ${p.source}`),
  '',
].join('\n');
writeFileSync('results/bench/platform.md', md);
process.stdout.write(md);
process.exit(0);
