/**
 * Benchmark: simulated invocations per second on a synthetic full Azure 2019 day (46,000
 * functions x 1,440 minutes by default, ~31 M invocations), the whole pipeline a user runs:
 * read the day, plan it (durations and memory drawn), simulate. Goal: a full day in under a
 * minute on one core. Measured in a process of its own per run (so each starts cold), medians.
 *
 *   node dist/scripts/bench/simulate.js [--dir DIR] [--functions N] [--reps 3] [--policy SPEC]...
 *
 * Runs: one policy (fixed:10m); the paper's comparison (fixed:10m + hybrid) in one pass; the
 * same with --unit app --concurrency inf. Writes results/bench/simulate.json and .md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { simulate } from '../../src/simulate/run.js';
import { synthesizeAzure2019Day } from '../../src/trace/synth-day.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    functions: { type: 'string', default: '46000' },
    reps: { type: 'string', default: '3' },
    /** Internal: one measured run in this process, printed as JSON. */
    once: { type: 'string' },
  },
});
const functions = Number(values.functions);
const reps = Number(values.reps);
const dir = values.dir ?? join(tmpdir(), `faasload-bench-day-${functions}`);
const invocationsFile = join(dir, 'invocations_per_function_md.anon.d01.csv');

interface Case {
  label: string;
  policies: string[];
  unit: 'function' | 'app';
  concurrency: number;
}
const CASES: Case[] = [
  { label: 'fixed:10m', policies: ['fixed:10m'], unit: 'function', concurrency: 1 },
  { label: 'fixed:10m + hybrid', policies: ['fixed:10m', 'hybrid'], unit: 'function', concurrency: 1 },
  {
    label: 'fixed:10m + hybrid, --unit app --concurrency inf',
    policies: ['fixed:10m', 'hybrid'],
    unit: 'app',
    concurrency: Number.POSITIVE_INFINITY,
  },
];

if (values.once !== undefined) {
  const c = CASES[Number(values.once)]!;
  const out = mkdtempSync(join(tmpdir(), 'faasload-bench-sim-'));
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await simulate({
      trace: invocationsFile,
      policies: c.policies,
      unit: c.unit,
      concurrency: c.concurrency,
      invocations: false,
      out,
    });
    const totalSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(
      `${JSON.stringify({
        invocations: r.invocations,
        functions: r.functions,
        totalSeconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        simulateSeconds: r.simulateSeconds,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        policies: r.policies.map((p) => ({
          policy: p.policy,
          coldStartShare: p.coldStartShare,
          appColdStartPctP75: p.appColdStartPctP75,
          wastedMemoryNormalized: p.wastedMemoryNormalized,
        })),
      })}\n`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  process.exit(0);
}

if (!existsSync(invocationsFile)) {
  process.stderr.write(`generating a synthetic day of ${functions} functions in ${dir}\n`);
  await synthesizeAzure2019Day({ seed: 1, functions, outDir: dir });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Once {
  invocations: number;
  functions: number;
  totalSeconds: number;
  cpuSeconds: number;
  simulateSeconds: number;
  peakRssMb: number;
  policies: unknown[];
}
const results = CASES.map((c, i) => {
  const runs: Once[] = [];
  for (let r = 0; r < reps; r++) {
    const text = execFileSync(process.execPath, [process.argv[1]!, '--dir', dir, '--once', String(i)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    runs.push(JSON.parse(text) as Once);
  }
  const seconds = runs.map((r) => r.totalSeconds);
  const cpuSeconds = runs.map((r) => r.cpuSeconds);
  const simSeconds = runs.map((r) => r.simulateSeconds);
  const first = runs[0]!;
  const out = {
    case: c.label,
    invocations: first.invocations,
    policies: c.policies.length,
    totalSeconds: seconds,
    medianTotalSeconds: median(seconds),
    /** CPU time of the process (user + system): what the run costs on one core, load aside. */
    medianCpuSeconds: median(cpuSeconds),
    medianSimulateSeconds: median(simSeconds),
    /** Simulated invocations (x policies) per second of the whole command: read, plan, simulate, write. */
    invocationsPerSecond: (first.invocations * c.policies.length) / median(seconds),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    results: first.policies,
  };
  process.stderr.write(
    `${c.label}: ${first.invocations} invocations, median ${out.medianTotalSeconds.toFixed(1)} s wall, ${out.medianCpuSeconds.toFixed(1)} s CPU (${(out.invocationsPerSecond / 1e6).toFixed(2)} M/s)\n`,
  );
  return out;
});

const report = {
  when: new Date().toISOString(),
  node: process.version,
  functions,
  reps,
  goalSeconds: 60,
  results,
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/simulate.json', `${JSON.stringify(report, null, 2)}\n`);
const md = [
  `# Simulation rate (synthetic Azure 2019 day: ${functions} functions x 1440 minutes, ${reps} runs, medians)`,
  '',
  'Each run is one `simulate()` in a fresh process: read the day, plan it (durations and memory',
  'drawn), simulate every policy in one pass, write the per-function tables (no per-invocation',
  "table). Goal: a whole day in under 60 s on one core. CPU s is the process's user + system",
  'time (the whole command is single-threaded but for the file writes), which a loaded machine',
  'does not inflate the way it inflates wall time.',
  '',
  '| case | invocations | policies | median wall s | median CPU s | wall s in plan + simulate | simulated invocations/s (wall) | peak RSS MB |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.case} | ${r.invocations} | ${r.policies} | ${r.medianTotalSeconds.toFixed(1)} | ${r.medianCpuSeconds.toFixed(1)} | ${r.medianSimulateSeconds.toFixed(1)} | ${(r.invocationsPerSecond / 1e6).toFixed(2)} M | ${r.peakRssMb.toFixed(0)} |`,
  ),
  '',
].join('\n');
writeFileSync('results/bench/simulate.md', md);
process.stdout.write(md);
