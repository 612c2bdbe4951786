/**
 * Benchmark: the simulation of a whole paper-shaped Azure 2019 day (`trace synth --like
 * azure2019`: 46,000 functions, ~439 M invocations), the whole pipeline a user runs: read the
 * day, plan it (durations and memory drawn), simulate fixed:10m, hybrid and no-unload in one
 * pass, write the tables. Goal: under 60 s of wall time and 2 GB of peak RSS.
 *
 *   node dist/scripts/bench/simulate.js [--dir DIR] [--functions N] [--reps 1] [--slice-minutes 10]
 *
 * Cases, each in a process of its own (so each starts cold; medians over --reps):
 * - the whole day with --no-invocations;
 * - the per-invocation table on: the first --slice-minutes of the day (a whole day is ~1.3
 *   billion rows: hours), its rows per second, and the whole day's time extrapolated from them.
 * Writes results/bench/simulate.json and .md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { simulate } from '../../src/simulate/run.js';
import { synthesizeLikeAzure2019 } from '../../src/trace/synth-like-azure2019.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    functions: { type: 'string', default: '46000' },
    reps: { type: 'string', default: '1' },
    'slice-minutes': { type: 'string', default: '10' },
    /** Internal: one measured run in this process, printed as JSON. */
    once: { type: 'string' },
  },
});
const functions = Number(values.functions);
const reps = Number(values.reps);
const sliceMinutes = Number(values['slice-minutes']);
const dir = values.dir ?? join(tmpdir(), `faasload-bench-paper-day-${functions}`);
const invocationsFile = join(dir, 'invocations_per_function_md.anon.d01.csv');
const POLICIES = ['fixed:10m', 'hybrid', 'no-unload'];

interface Case {
  label: string;
  invocations: boolean;
  /** Simulate the first minutes of the day only. */
  minutes?: number;
}
const CASES: Case[] = [
  { label: 'whole day, --no-invocations', invocations: false },
  { label: `first ${sliceMinutes} min, per-invocation table on`, invocations: true, minutes: sliceMinutes },
];

if (values.once !== undefined) {
  const c = CASES[Number(values.once)]!;
  const out = mkdtempSync(join(tmpdir(), 'faasload-bench-sim-'));
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await simulate({
      trace: invocationsFile,
      policies: POLICIES,
      invocations: c.invocations,
      ...(c.minutes !== undefined ? { toUs: c.minutes * 60e6 } : {}),
      figures: false,
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
  process.stderr.write(`generating a paper-shaped day of ${functions} functions in ${dir}\n`);
  await synthesizeLikeAzure2019({ seed: 1, functions, outDir: dir });
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
      maxBuffer: 64 * 1024 * 1024,
    });
    runs.push(JSON.parse(text) as Once);
  }
  const first = runs[0]!;
  const wall = median(runs.map((r) => r.totalSeconds));
  const out = {
    case: c.label,
    invocations: first.invocations,
    policies: POLICIES.length,
    /** Rows of the per-invocation table (one per invocation and policy), 0 without it. */
    rows: c.invocations ? first.invocations * POLICIES.length : 0,
    totalSeconds: runs.map((r) => r.totalSeconds),
    medianTotalSeconds: wall,
    /** CPU time of the process, every thread (user + system): what the run costs, load aside. */
    medianCpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    medianSimulateSeconds: median(runs.map((r) => r.simulateSeconds)),
    /** Simulated invocations (x policies) per second of the whole command. */
    invocationsPerSecond: (first.invocations * POLICIES.length) / wall,
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    results: first.policies,
  };
  process.stderr.write(
    `${c.label}: ${first.invocations} invocations, median ${wall.toFixed(1)} s wall, ${out.medianCpuSeconds.toFixed(1)} s CPU, ${out.peakRssMb.toFixed(0)} MB\n`,
  );
  return out;
});

const [day, slice] = results as [(typeof results)[0], (typeof results)[0]];
/**
 * The whole day with the per-invocation table, extrapolated: the slice's cost per row beyond
 * the --no-invocations run's cost per invocation, times the day's rows.
 */
const extraPerRowS = Math.max(
  0,
  (slice.medianTotalSeconds - (day.medianTotalSeconds * slice.invocations) / day.invocations) / slice.rows,
);
const extrapolatedDaySeconds = day.medianTotalSeconds + extraPerRowS * day.invocations * POLICIES.length;
const report = {
  when: new Date().toISOString(),
  node: process.version,
  functions,
  reps,
  policies: POLICIES,
  goalSeconds: 60,
  goalPeakRssMb: 2048,
  results,
  wholeDayWithInvocations: {
    rows: day.invocations * POLICIES.length,
    extraSecondsPerMillionRows: extraPerRowS * 1e6,
    extrapolatedSeconds: extrapolatedDaySeconds,
  },
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/simulate.json', `${JSON.stringify(report, null, 2)}\n`);
const md = [
  `# Simulation of a paper-shaped day (trace synth --like azure2019, ${functions} functions; ${POLICIES.join(', ')}; ${reps} run(s), medians)`,
  '',
  'Each run is one `simulate()` in a fresh process: read the day, plan it, simulate the three',
  'policies in one pass, write the tables. Goal: under 60 s of wall time and 2 GB of peak RSS.',
  "CPU s is the process's user + system time over all its threads (the per-invocation table is",
  'encoded on a writer thread), which a loaded machine does not inflate the way it inflates wall time.',
  '',
  '| case | invocations | table rows | median wall s | median CPU s | wall s in plan + simulate | simulated invocations/s (wall) | peak RSS MB |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.case} | ${r.invocations} | ${r.rows} | ${r.medianTotalSeconds.toFixed(1)} | ${r.medianCpuSeconds.toFixed(1)} | ${r.medianSimulateSeconds.toFixed(1)} | ${(r.invocationsPerSecond / 1e6).toFixed(2)} M | ${r.peakRssMb.toFixed(0)} |`,
  ),
  '',
  `The whole day with the per-invocation table (${report.wholeDayWithInvocations.rows} rows), extrapolated from the slice: ${(extraPerRowS * 1e6).toFixed(1)} s per million rows on top of the simulation, ${(extrapolatedDaySeconds / 60).toFixed(0)} min.`,
  '',
].join('\n');
writeFileSync('results/bench/simulate.md', md);
process.stdout.write(md);
