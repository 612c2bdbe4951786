/**
 * Benchmark: does a replay of many functions with a 10-minute keep-alive fit on this host? It
 * writes a synthetic day of N functions shaped like Azure 2019 (`trace synth --like azure2019`),
 * replays a window of it on the embedded platform's process runtime with one pre-warmed instance
 * per function (so every function has an instance for the whole run, the worst case of a
 * keep-alive longer than the run) and the keep-alive at 10 minutes, and samples every
 * SAMPLE_MS what the instances cost the host: the summed PSS of the replay's instance processes
 * (platform-footprint.ts) and the host's MemAvailable. Bounded: the replay is killed past its
 * planned span plus START_ALLOWANCE_S per function and a minute.
 *
 *   node dist/scripts/bench/platform-fleet.js [--functions 500] [--minutes 10] [--speed 4] [--scale 0.01] [--max-duration 100ms]
 *
 * The pool's own limits are lifted (--max-instances 2N, --pool-memory 2 GB per function): they
 * budget size classes, not what instances hold, and at their defaults (64 instances, half the
 * host's memory in classes) they would evict idle instances long before the host is full.
 * Writes results/bench/platform-fleet.json and .md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processFootprint } from './platform-footprint.js';

const { values } = parseArgs({
  options: {
    functions: { type: 'string', default: '500' },
    minutes: { type: 'string', default: '10' },
    speed: { type: 'string', default: '4' },
    scale: { type: 'string', default: '0.01' },
    'max-duration': { type: 'string', default: '100ms' },
  },
});
const FUNCTIONS = Number(values.functions);
const MINUTES = Number(values.minutes);
const SPEED = Number(values.speed);
const SAMPLE_MS = 5_000;
/** Seconds allowed per pre-warmed instance (they start one at a time) in the replay's time bound. */
const START_ALLOWANCE_S = 3;
const BIN = join('bin', 'faasload.js');
const TMP = process.env.TMPDIR || tmpdir();
const dayDir = join(TMP, `faasload-bench-fleet-${FUNCTIONS}-${MINUTES + 1}min`);
const runDir = join(TMP, `faasload-bench-fleet-run-${process.pid}`);

const log = (line: string) => process.stderr.write(`${line}\n`);

if (!existsSync(join(dayDir, 'invocations_per_function_md.anon.d01.csv'))) {
  log(`writing a ${FUNCTIONS}-function day shaped like Azure 2019 to ${dayDir}`);
  const synth = spawnSync(
    process.execPath,
    [
      BIN,
      'trace',
      'synth',
      '--like',
      'azure2019',
      '--functions',
      String(FUNCTIONS),
      '--minutes',
      String(MINUTES + 1),
      '--seed',
      '1',
      '--out',
      dayDir,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (synth.status !== 0) throw new Error(`trace synth failed (exit ${synth.status})`);
}

/** Pids of the processes descending from `root`, from /proc's ppid fields. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (let queue = [root]; queue.length > 0; ) {
    const pid = queue.pop()!;
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function isInstance(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('proxy.js');
  } catch {
    return false;
  }
}

function memAvailableKb(): number {
  return Number(/^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? Number.NaN);
}

interface Sample {
  atS: number;
  instances: number;
  pssKb: number;
  rssKb: number;
  memAvailableKb: number;
}

const args = [
  BIN,
  'replay',
  dayDir,
  '--to',
  `${MINUTES}m`,
  '--speed',
  String(SPEED),
  '--scale',
  String(values.scale),
  '--max-duration',
  String(values['max-duration']),
  '--runtime',
  'process',
  '--prewarm',
  '1',
  '--keep-alive',
  '10m',
  '--max-instances',
  String(2 * FUNCTIONS),
  '--pool-memory',
  String(2048 * FUNCTIONS),
  '--monitor',
  'none',
  '--out',
  runDir,
];
const availableBeforeKb = memAvailableKb();
const boundMs = ((MINUTES * 60) / SPEED + FUNCTIONS * START_ALLOWANCE_S + 60) * 1000;
log(`replaying (bounded to ${(boundMs / 1000).toFixed(0)} s): node ${args.join(' ')}`);
const t0 = performance.now();
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let summary = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk: string) => {
  summary += chunk;
});
const samples: Sample[] = [];
const sampler = setInterval(() => {
  let pssKb = 0;
  let rssKb = 0;
  let instances = 0;
  for (const pid of descendants(child.pid!)) {
    if (!isInstance(pid)) continue;
    const f = processFootprint(pid);
    if (!f) continue;
    instances++;
    pssKb += f.pssKb;
    rssKb += f.rssKb;
  }
  const s = {
    atS: (performance.now() - t0) / 1000,
    instances,
    pssKb,
    rssKb,
    memAvailableKb: memAvailableKb(),
  };
  samples.push(s);
  log(`${s.atS.toFixed(0)} s: ${instances} instances, ${(pssKb / 1024).toFixed(0)} MB PSS`);
}, SAMPLE_MS);
const killer = setTimeout(() => child.kill('SIGINT'), boundMs);
const [code] = (await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])))) as [
  number | null,
  string | null,
];
clearInterval(sampler);
clearTimeout(killer);

const peak = samples.reduce<Sample | undefined>((a, s) => (!a || s.pssKb > a.pssKb ? s : a), undefined);
const lowestAvailableKb = Math.min(...samples.map((s) => s.memAvailableKb));
const result = {
  when: new Date().toISOString(),
  node: process.version,
  loadAverage: loadavg(),
  functions: FUNCTIONS,
  window: `first ${MINUTES} min at speed ${SPEED}, --scale ${values.scale}, --max-duration ${values['max-duration']}`,
  replayExit: code,
  availableBeforeMb: availableBeforeKb / 1024,
  lowestAvailableMb: lowestAvailableKb / 1024,
  peak: peak && {
    atS: peak.atS,
    instances: peak.instances,
    pssMb: peak.pssKb / 1024,
    rssMb: peak.rssKb / 1024,
    pssPerInstanceMb: peak.pssKb / 1024 / Math.max(1, peak.instances),
  },
  summary: summary.trim().split('\n'),
  samples,
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/platform-fleet.json', `${JSON.stringify(result, null, 2)}\n`);
const md = [
  `# ${FUNCTIONS} functions, a 10-minute keep-alive, the process runtime: what the instances hold`,
  '',
  `Replay of a synthetic day shaped like Azure 2019 (${result.window}), one pre-warmed instance per function; instances sampled every ${SAMPLE_MS / 1000} s (smaps_rollup PSS).`,
  '',
  '| peak instances | their PSS (MB) | per instance (MB) | their RSS (MB) | host MemAvailable before / lowest (MB) | replay exit |',
  '|---|---|---|---|---|---|',
  peak
    ? `| ${peak.instances} | ${(peak.pssKb / 1024).toFixed(0)} | ${(peak.pssKb / 1024 / Math.max(1, peak.instances)).toFixed(1)} | ${(peak.rssKb / 1024).toFixed(0)} | ${(availableBeforeKb / 1024).toFixed(0)} / ${(lowestAvailableKb / 1024).toFixed(0)} | ${code} |`
    : '| no sample | | | | | |',
  '',
  `Load average at the end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(', ')} (a shared machine).`,
  '',
  '```',
  ...result.summary,
  '```',
  '',
].join('\n');
writeFileSync('results/bench/platform-fleet.md', md);
process.stdout.write(md);
