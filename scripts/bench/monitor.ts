/**
 * Monitor overhead: the CPU the sampling costs per sampled instance, and how late its ticks are,
 * at 100 ms and at 10 ms.
 *
 *   node dist/scripts/bench/monitor.js [--processes 100] [--containers 10] [--seconds 10]
 *
 * Starts idle instances (`sleep` processes, announced as the local platform announces its own;
 * idle containers of the runtime image when a Docker engine answers), runs the process and
 * container monitors on this thread for --seconds at each interval, and reports this thread's CPU
 * (/proc/thread-self) per target sample, the share of one core, and tick lateness. With vfs
 * storage each container copies the whole image, so the container count stays small by default:
 * the cost per container sample is what scales. Results: results/bench/monitor.json and .md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ContainerMonitor } from '../../src/monitor/container.js';
import { ProcessMonitor } from '../../src/monitor/process.js';
import { MonitorSet } from '../../src/monitor/set.js';
import type { MonitorsFact } from '../../src/monitor/types.js';
import {
  connectDocker,
  detectEngine,
  ensureRuntimeImage,
  IMAGE_NODE_PATH,
} from '../../src/platforms/docker/index.js';
import { announceInstance } from '../../src/platforms/local/instance-channel.js';

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '100' },
    containers: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
  },
});
const processes = Number(values.processes);
const containerCount = Number(values.containers);
const seconds = Number(values.seconds);
const LABEL = { 'faasload.bench': `monitor-${process.pid}` };

const children: ChildProcess[] = [];
for (let i = 0; i < processes; i++) {
  const child = spawn('sleep', ['3600'], { stdio: 'ignore' });
  children.push(child);
}
const docker = connectDocker();
const engine = await detectEngine(docker, 3000);
const containers: string[] = [];
if (engine.available && containerCount > 0) {
  const image = (await ensureRuntimeImage(docker)).tag;
  for (let i = 0; i < containerCount; i++) {
    const c = await docker.createContainer({
      Image: image,
      Entrypoint: [IMAGE_NODE_PATH],
      Cmd: ['-e', 'setTimeout(() => {}, 3600e3)'],
      Labels: LABEL,
      User: '65534:65534',
      HostConfig: { NetworkMode: 'host' },
    });
    await c.start();
    containers.push(c.id);
  }
} else process.stderr.write(`no containers: ${engine.available ? '--containers 0' : 'no Docker engine'}\n`);

interface Result {
  intervalMs: number;
  processes: number;
  containers: number;
  fact: MonitorsFact;
}
const results: Result[] = [];
const dir = await mkdtemp(join(tmpdir(), 'faasload-bench-monitor-'));
try {
  for (const intervalMs of [100, 10]) {
    const runDir = join(dir, String(intervalMs));
    await mkdir(runDir);
    const monitors = [
      new ProcessMonitor({ intervalMs }),
      ...(containers.length > 0 ? [new ContainerMonitor({ docker, intervalMs })] : []),
    ];
    const set = new MonitorSet(monitors, {
      monitors: ['process', 'container'],
      sampleIntervalMs: intervalMs,
    });
    await set.start({ dir: runDir, runId: 'bench', log: (l) => process.stderr.write(`${l}\n`) });
    for (const [i, c] of children.entries()) {
      announceInstance({ t: 'start', id: `bench-${i}`, functionName: 'bench', pid: c.pid });
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const { fact } = await set.stop();
    results.push({ intervalMs, processes, containers: containers.length, fact });
    for (let i = 0; i < children.length; i++) announceInstance({ t: 'exit', id: `bench-${i}` });
    const line = (name: string) => fact.monitors.find((m) => m.name === name);
    const p = line('process');
    const c = line('container');
    process.stderr.write(
      `${intervalMs} ms: thread CPU ${fact.selfCpuS?.toFixed(2)} s over ${fact.wallS.toFixed(1)} s = ${(100 * (fact.selfCpuShare ?? 0)).toFixed(1)}% of a core; ` +
        `${fact.selfCpuUsPerTargetSample?.toFixed(0)} µs per target sample; ` +
        `process ticks late p50 ${p?.tickLateUs?.p50} p99 ${p?.tickLateUs?.p99} µs, skipped ${p?.skippedTicks}` +
        (c
          ? `; container ticks late p50 ${c.tickLateUs?.p50} p99 ${c.tickLateUs?.p99} µs, skipped ${c.skippedTicks}`
          : '') +
        '\n',
    );
  }
} finally {
  for (const c of children) c.kill();
  await Promise.all(
    containers.map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  await rm(dir, { recursive: true, force: true });
}

await mkdir('results/bench', { recursive: true });
await writeFile('results/bench/monitor.json', `${JSON.stringify(results, null, 2)}\n`);
const rows = results.map((r) => {
  const per100 =
    r.fact.selfCpuUsPerTargetSample === null
      ? null
      : (r.fact.selfCpuUsPerTargetSample * 100) / (r.intervalMs * 1000);
  const late = r.fact.monitors.find((m) => m.name === 'process')?.tickLateUs;
  return `| ${r.intervalMs} ms | ${r.processes} + ${r.containers} | ${(100 * (r.fact.selfCpuShare ?? 0)).toFixed(1)}% | ${r.fact.selfCpuUsPerTargetSample?.toFixed(0)} µs | ${per100 === null ? '-' : `${(100 * per100).toFixed(1)}%`} | ${late?.p50} / ${late?.p99} µs |`;
});
await writeFile(
  'results/bench/monitor.md',
  [
    '| interval | processes + containers | thread CPU (share of a core) | CPU per target sample | extrapolated: 100 targets | tick lateness p50 / p99 |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
process.stderr.write('results/bench/monitor.json, results/bench/monitor.md\n');
