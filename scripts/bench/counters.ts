/**
 * The cost of perf counting (--monitor perf): its overhead on a CPU-bound function, and its cost
 * per counted instance.
 *
 *   node dist/scripts/bench/counters.js [--calls 8] [--idle-instances 8] [--seconds 5]
 *
 * Overhead: a function doing a fixed amount of work (a fixed number of iterations, not a time) on
 * the embedded platform's process runtime, called --calls times one after the other, with no
 * perf monitor and with one counting its instance at 100, 20 and 10 ms; the configurations take
 * turns (ABCD ABCD ...) so that a change of the machine's load hits all of them. Reported: the
 * median of the action's own wall time and CPU time per configuration, and the difference to no
 * counting. Per instance: --idle-instances idle instance processes counted for --seconds at each
 * interval; the perf processes' CPU time per second of counting (the share of a core one
 * instance's perf stat takes) and the monitor's own parsing and writing time per instance.
 * Results: results/bench/counters.json and .md.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type LocalFunctionSpec, LocalPlatform } from '../../src/embedded/local/index.js';
import { PERF_DEFAULT_EVENTS, PerfMonitor, type PerfSummary, probePerf } from '../../src/monitor/perf.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '8' },
    'idle-instances': { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
  },
});
const calls = Number(values.calls);
const idleInstances = Number(values['idle-instances']);
const seconds = Number(values.seconds);
const never = new AbortController().signal;

/** A fixed amount of work: the same iterations each call; its own wall and CPU time. */
const WORK = `function main(p) {
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  let x = 0;
  for (let i = 0; i < p.iterations; i++) x += Math.sqrt(i) * Math.sin(i);
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - w0, cpuMs: (c.user + c.system) / 1000, x };
}`;
const fn: LocalFunctionSpec = { id: 'bench/work', name: 'work', action: { code: WORK, main: 'main' } };
const ITERATIONS = 6_000_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const probe = await probePerf(PERF_DEFAULT_EVENTS);
const dir = await mkdtemp(join(tmpdir(), 'faasload-bench-counters-'));
const configs = [0, 100, 20, 10] as const; // 0: no counting
const samples = new Map<number, { wallMs: number[]; cpuMs: number[] }>(
  configs.map((c) => [c, { wallMs: [], cpuMs: [] }]),
);

// Overhead: each configuration in turn, a fresh warm instance per configuration and round.
for (let round = 0; round < calls; round++) {
  for (const intervalMs of configs) {
    const monitor = intervalMs > 0 ? new PerfMonitor({ probe, intervalMs }) : undefined;
    const out = await mkdtemp(join(dir, 'o-'));
    await monitor?.start({ dir: out, runId: 'bench', log: () => {} });
    const platform = new LocalPlatform({ runtime: 'process', startTimeoutMs: 30_000 });
    try {
      await platform.deploy([fn], never);
      await platform.run(fn, { iterations: 1000 }, never); // the cold start
      const r = await platform.run(fn, { iterations: ITERATIONS }, never);
      if (r.outcome !== 'ok') throw new Error(`the function failed: ${r.error}`);
      samples.get(intervalMs)!.wallMs.push(Number(r.result!.wallMs));
      samples.get(intervalMs)!.cpuMs.push(Number(r.result!.cpuMs));
    } finally {
      await platform.teardown();
      await monitor?.stop();
    }
  }
  process.stderr.write(`round ${round + 1}/${calls}\n`);
}
const base = { wallMs: median(samples.get(0)!.wallMs), cpuMs: median(samples.get(0)!.cpuMs) };
const overhead = configs.map((c) => {
  const wallMs = median(samples.get(c)!.wallMs);
  const cpuMs = median(samples.get(c)!.cpuMs);
  return {
    intervalMs: c === 0 ? null : c,
    wallMsMedian: wallMs,
    cpuMsMedian: cpuMs,
    wallOverheadPct: ((wallMs - base.wallMs) / base.wallMs) * 100,
    cpuOverheadPct: ((cpuMs - base.cpuMs) / base.cpuMs) * 100,
  };
});

// Cost per instance: idle instances counted for `seconds` at each interval.
const perInstance = [];
for (const intervalMs of [100, 20, 10]) {
  const monitor = new PerfMonitor({ probe, intervalMs });
  await monitor.start({ dir: await mkdtemp(join(dir, 'i-')), runId: 'bench', log: () => {} });
  const platform = new LocalPlatform({ runtime: 'process', startTimeoutMs: 30_000, prewarm: idleInstances });
  let summary: PerfSummary;
  try {
    await platform.deploy([fn], never);
    await new Promise((r) => setTimeout(r, seconds * 1000));
  } finally {
    await platform.teardown();
    summary = await monitor.stop();
  }
  const p = summary.perf;
  perInstance.push({
    intervalMs,
    instances: p.instances,
    countedS: p.countedS,
    perfCpuSharePerInstance: p.perfCpuShare,
    monitorBusyMsPerInstanceS: (summary.busyS * 1000) / p.countedS,
    rows: summary.rows,
  });
}
await rm(dir, { recursive: true, force: true });

const result = {
  perf: probe.version,
  events: { counted: probe.supported, unsupported: probe.unsupported.map((u) => u.event) },
  iterations: ITERATIONS,
  calls,
  overhead,
  perInstance,
  note: 'on a shared machine: compare the configurations of one run, not runs of different days',
};
await mkdir('results/bench', { recursive: true });
await writeFile('results/bench/counters.json', `${JSON.stringify(result, null, 2)}\n`);
const md = [
  `# perf counting cost (${probe.version}; counted: ${probe.supported.join(', ')})`,
  '',
  `Overhead on a CPU-bound function (${ITERATIONS} iterations, median of ${calls} calls per configuration, taking turns):`,
  '',
  '| interval | wall ms | CPU ms | wall overhead | CPU overhead |',
  '|---|---|---|---|---|',
  ...overhead.map(
    (o) =>
      `| ${o.intervalMs === null ? 'no counting' : `${o.intervalMs} ms`} | ${o.wallMsMedian.toFixed(1)} | ${o.cpuMsMedian.toFixed(1)} | ${o.wallOverheadPct.toFixed(2)} % | ${o.cpuOverheadPct.toFixed(2)} % |`,
  ),
  '',
  `Cost per counted instance (${idleInstances} idle instances, ${seconds} s per interval):`,
  '',
  '| interval | perf CPU (share of a core) per instance | monitor ms per instance-second | rows |',
  '|---|---|---|---|',
  ...perInstance.map(
    (p) =>
      `| ${p.intervalMs} ms | ${((p.perfCpuSharePerInstance ?? 0) * 100).toFixed(2)} % | ${p.monitorBusyMsPerInstanceS.toFixed(2)} | ${p.rows} |`,
  ),
  '',
];
await writeFile('results/bench/counters.md', md.join('\n'));
process.stdout.write(md.join('\n'));
