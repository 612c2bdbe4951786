/**
 * Monitor overhead: what sampling costs per sampled instance, per kind (processes from /proc,
 * containers from their cgroup files), and how late its ticks are, at each interval.
 *
 *   node dist/scripts/bench/monitor.js [--processes 100] [--containers 100] [--seconds 10]
 *                                      [--intervals 100,10] [--concurrency 4]
 *
 * Starts idle instances (`sleep` processes, announced as the local platform announces its own;
 * idle containers of the runtime image when a Docker engine answers, made `--concurrency` at a
 * time and all removed at the end, on a failure or on Ctrl-C), then for each kind and each
 * interval runs that kind's monitor alone on this thread for --seconds. Per run it reports:
 * - thread CPU: the monitors' thread (/proc/thread-self, as a replay's manifest records it), as a
 *   share of one core and per target sample;
 * - process CPU: every thread of this process (process.cpuUsage) over the same window, which
 *   also counts the tables' writing (the dataset writer thread) and V8's GC and compiler threads;
 * - tick lateness p50/p99 and skipped ticks.
 * The container monitor samples every container on the engine (others' too): the per-sample
 * figures divide by the samples actually taken. Containers are measured twice: as they are (an
 * idle cgroup costs 3 file reads, see src/monitor/cgroup.ts), and with every file read at every
 * sample, the cost of containers that all ran since their last sample. The issue's goal, 100
 * containers at 100 ms under 5% of one core, is judged on the thread CPU (the sampling's own
 * cost, as the manifest reports it), scaled to 100 targets; the process CPU is shown beside it.
 * Results: results/bench/monitor.json and monitor.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectDocker, detectEngine, ensureRuntimeImage } from '../../src/embedded/docker/index.js';
import { announceInstance } from '../../src/embedded/local/instance-channel.js';
import { FaasloadError } from '../../src/errors.js';
import { cgroupVersion } from '../../src/monitor/cgroup.js';
import { ContainerMonitor } from '../../src/monitor/container.js';
import { ProcessMonitor } from '../../src/monitor/process.js';
import { MonitorSet } from '../../src/monitor/set.js';
import type { Monitor, MonitorsFact } from '../../src/monitor/types.js';
import { type IdleContainers, startIdleContainers } from './idle-containers.js';

const GOAL_SHARE = 0.05;
const GOAL_TARGETS = 100;
const GOAL_INTERVAL_MS = 100;

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '100' },
    containers: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    intervals: { type: 'string', default: '100,10' },
    concurrency: { type: 'string', default: '4' },
  },
});
function count(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new FaasloadError('E_USAGE', `--${flag}: an integer from ${min} to ${max}, got '${text}'`);
  return n;
}
const processCount = count('processes', values.processes, 0, 1000);
const containerCount = count('containers', values.containers, 0, 500);
const seconds = count('seconds', values.seconds, 1, 600);
const concurrency = count('concurrency', values.concurrency, 1, 32);
const intervals = values.intervals.split(',').map((s) => count('intervals', s.trim(), 5, 10_000));
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Result {
  kind: 'process' | 'container';
  intervalMs: number;
  /** Containers: files read only when they can have moved (idle ones: 3), or all at every sample. */
  cgroupReads?: 'as needed' | 'every file';
  /** Targets sampled per tick, on average. */
  targets: number;
  threadCpuShare: number | null;
  threadCpuUsPerSample: number | null;
  processCpuShare: number;
  processCpuUsPerSample: number | null;
  /** Thread and process CPU per sample scaled to the goal's 100 targets at this interval. */
  threadShareFor100: number | null;
  processShareFor100: number | null;
  tickLateP50Us: number | null;
  tickLateP99Us: number | null;
  ticks: number;
  skippedTicks: number;
  vanished: number;
  fact: MonitorsFact;
}

/** A CPU cost per sample as the share of one core that GOAL_TARGETS targets would take. */
const for100 = (usPerSample: number | null, intervalMs: number) =>
  usPerSample === null ? null : (usPerSample * GOAL_TARGETS) / (intervalMs * 1000);

/** Runs one monitor alone for `durationS`; `begin` runs once it has started (e.g. announcements). */
async function measure(
  kind: Result['kind'],
  intervalMs: number,
  durationS: number,
  monitor: Monitor,
  dir: string,
  begin: () => void,
): Promise<Result> {
  const runDir = await mkdtemp(join(dir, `${kind}-${intervalMs}-`));
  const set = new MonitorSet([monitor], { monitors: [kind], sampleIntervalMs: intervalMs });
  await set.start({ dir: runDir, runId: 'bench', log });
  begin();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  const { fact } = await set.stop();
  const m = fact.monitors[0]!;
  const processCpuS = (cpu.user + cpu.system) / 1e6;
  const samples = m.targetSamples;
  const processCpuUsPerSample = samples > 0 ? (processCpuS * 1e6) / samples : null;
  return {
    kind,
    intervalMs,
    targets: m.ticks > 0 ? samples / m.ticks : 0,
    threadCpuShare: fact.selfCpuShare,
    threadCpuUsPerSample: fact.selfCpuUsPerTargetSample,
    processCpuShare: processCpuS / wallS,
    processCpuUsPerSample,
    threadShareFor100: for100(fact.selfCpuUsPerTargetSample, intervalMs),
    processShareFor100: for100(processCpuUsPerSample, intervalMs),
    tickLateP50Us: m.tickLateUs?.p50 ?? null,
    tickLateP99Us: m.tickLateUs?.p99 ?? null,
    ticks: m.ticks,
    skippedTicks: m.skippedTicks,
    vanished: m.counts.vanished ?? 0,
    fact,
  };
}

const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);
const us = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} µs`);
function line(r: Result): string {
  return (
    `${r.kind}${r.cgroupReads ? ` (${r.cgroupReads})` : ''} at ${r.intervalMs} ms, ${r.targets.toFixed(0)} targets: thread ${pct(r.threadCpuShare)} of a core ` +
    `(${us(r.threadCpuUsPerSample)}/sample), process ${pct(r.processCpuShare)} (${us(r.processCpuUsPerSample)}/sample); ` +
    `ticks late p50 ${r.tickLateP50Us} p99 ${r.tickLateP99Us} µs, ${r.skippedTicks} of ${r.ticks + r.skippedTicks} skipped`
  );
}

const loadBefore = loadavg();
const children: ChildProcess[] = [];
// Also on a signal's exit (idle-containers.ts exits after removing the containers).
process.on('exit', () => {
  for (const c of children) c.kill();
});
let containers: IdleContainers | undefined;
const results: Result[] = [];
const dir = await mkdtemp(join(tmpdir(), 'faasload-bench-monitor-'));
const docker = connectDocker();
try {
  for (let i = 0; i < processCount; i++) children.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
  const engine = await detectEngine(docker, 3000);
  if (engine.available && containerCount > 0) {
    const image = (await ensureRuntimeImage(docker)).tag;
    containers = await startIdleContainers(docker, image, containerCount, {
      concurrency,
      label: `monitor-${process.pid}`,
      log,
    });
  } else if (containerCount > 0) log(`no containers: ${engine.available ? '' : engine.reason}`);
  // Warm-up, not reported: module loading, the table writer's start, JIT; one second per kind.
  await measure('process', 100, 1, new ProcessMonitor(), dir, () => undefined);
  if (containers) await measure('container', 100, 1, new ContainerMonitor({ docker }), dir, () => undefined);
  for (const intervalMs of intervals) {
    if (processCount > 0) {
      const r = await measure('process', intervalMs, seconds, new ProcessMonitor({ intervalMs }), dir, () => {
        for (const [i, c] of children.entries())
          announceInstance({ t: 'start', id: `bench-${i}`, functionName: 'bench', pid: c.pid });
      });
      for (let i = 0; i < children.length; i++) announceInstance({ t: 'exit', id: `bench-${i}` });
      results.push(r);
      log(line(r));
    }
    // Idle containers as they are, then as if each had run since its last sample (every file at
    // every sample: the cost for busy ones).
    for (const idleRefreshMs of containers ? [undefined, 0] : []) {
      const monitor = new ContainerMonitor({ docker, intervalMs, idleRefreshMs });
      const r = await measure('container', intervalMs, seconds, monitor, dir, () => undefined);
      r.cgroupReads = idleRefreshMs === 0 ? 'every file' : 'as needed';
      results.push(r);
      log(line(r));
    }
  }
} finally {
  for (const c of children) c.kill();
  await containers?.remove();
  await rm(dir, { recursive: true, force: true });
}
const loadAfter = loadavg();

const conditions = {
  date: new Date().toISOString(),
  cpus: cpus().length,
  kernel: release(),
  cgroupVersion: cgroupVersion(),
  seconds,
  processes: processCount,
  containers: containers?.ids.length ?? 0,
  loadAverageBefore: loadBefore,
  loadAverageAfter: loadAfter,
};
const goal = results.find(
  (r) => r.kind === 'container' && r.intervalMs === GOAL_INTERVAL_MS && r.cgroupReads === 'as needed',
);
const busy = results.find(
  (r) => r.kind === 'container' && r.intervalMs === GOAL_INTERVAL_MS && r.cgroupReads === 'every file',
);
await mkdir('results/bench', { recursive: true });
await writeFile('results/bench/monitor.json', `${JSON.stringify({ conditions, results }, null, 2)}\n`);
const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
await writeFile(
  'results/bench/monitor.md',
  [
    `Monitor sampling cost, ${conditions.date}: ${conditions.cpus} CPUs, kernel ${conditions.kernel}, cgroup v${conditions.cgroupVersion}; ` +
      `${conditions.processes} idle processes, ${conditions.containers} idle bench containers; ${seconds} s per run; ` +
      `load average ${load(loadBefore)} before, ${load(loadAfter)} after.`,
    '',
    '| kind | cgroup reads | interval | targets per tick | thread CPU (share of a core) | per target sample | for 100 targets | process CPU, all threads | per target sample | for 100 targets | tick lateness p50 / p99 | skipped ticks |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.kind} | ${r.cgroupReads ?? '-'} | ${r.intervalMs} ms | ${r.targets.toFixed(0)} | ${pct(r.threadCpuShare)} | ${us(r.threadCpuUsPerSample)} | ${pct(r.threadShareFor100)} | ${pct(r.processCpuShare)} | ${us(r.processCpuUsPerSample)} | ${pct(r.processShareFor100)} | ${r.tickLateP50Us ?? '-'} / ${r.tickLateP99Us ?? '-'} µs | ${r.skippedTicks} |`,
    ),
    '',
    goal
      ? `Goal (${GOAL_TARGETS} containers at ${GOAL_INTERVAL_MS} ms under ${100 * GOAL_SHARE}% of one core, on the monitors' thread): ${pct(goal.threadShareFor100)}, ${goal.threadShareFor100 !== null && goal.threadShareFor100 < GOAL_SHARE ? 'met' : 'not met'}; with the table writing and V8's helper threads (process CPU): ${pct(goal.processShareFor100)}.`
      : 'Goal not measured: no containers (no Docker engine, or --containers 0).',
    ...(busy
      ? [
          `The same containers read as if each had run since its last sample (every cgroup file at every sample): ${pct(busy.threadShareFor100)} (${us(busy.threadCpuUsPerSample)} per sample).`,
        ]
      : []),
    'The thread CPU has 10 ms resolution; a machine shared with other work inflates both CPU and lateness: compare ratios within one run.',
    '',
  ].join('\n'),
);
log('results/bench/monitor.json, results/bench/monitor.md');
