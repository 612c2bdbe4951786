/**
 * Benchmark: plan generation rate on a synthetic full Azure 2019 day (46,000 functions x 1,440
 * minutes by default), beside a vectorized numpy baseline doing the same equidistant spread, a
 * duration drawn per arrival from its function's percentiles, and the time ordering (the way
 * Python replay tools generate arrivals), in one run. faasload also draws memory per arrival.
 *
 *   node dist/scripts/bench/plan-rate.js [--dir DIR] [--functions N] [--reps 3]
 *
 * Writes results/bench/plan-rate.json and .md. Reports medians and the ratio to the baseline.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { plan } from '../../src/schedule/plan.js';
import type { IatMode } from '../../src/schedule/spread.js';
import { readTrace } from '../../src/trace/read.js';
import { synthesizeAzure2019Day } from '../../src/trace/synth-day.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    functions: { type: 'string', default: '46000' },
    reps: { type: 'string', default: '3' },
  },
});
const functions = Number(values.functions);
const reps = Number(values.reps);
const dir = values.dir ?? join(tmpdir(), `faasload-bench-day-${functions}`);
const invocationsFile = join(dir, 'invocations_per_function_md.anon.d01.csv');
if (!existsSync(invocationsFile)) {
  process.stderr.write(`generating a synthetic day of ${functions} functions in ${dir}\n`);
  await synthesizeAzure2019Day({ seed: 1, functions, outDir: dir });
}
const trace = await readTrace(invocationsFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const modes: IatMode[] = ['equidistant', 'uniform', 'poisson'];
const results: Record<string, { arrivals: number; seconds: number[]; medianRate: number }> = {};
for (const iat of modes) {
  const seconds: number[] = [];
  let arrivals = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    arrivals = 0;
    for (const b of plan(trace, { seed: 1, iat }).batches()) arrivals += b.length;
    seconds.push((performance.now() - t0) / 1000);
  }
  results[iat] = { arrivals, seconds, medianRate: arrivals / median(seconds) };
  process.stderr.write(`${iat}: ${arrivals} arrivals, median ${median(seconds).toFixed(2)} s\n`);
}
const peakRssMb = process.resourceUsage().maxRSS / 1024;

// The baseline: the same counts, equidistant spread and a stable sort by time, in numpy.
const python = process.env.FAASLOAD_PYTHON ?? '.venv/bin/python';
const NUMPY = `
import sys, time, numpy as np, pandas as pd
inv = pd.read_csv(sys.argv[1])
dur = pd.read_csv(sys.argv[1].replace('invocations_per_function_md', 'function_durations_percentiles'))
keys = ['HashOwner', 'HashApp', 'HashFunction']
grid = np.array([0, 1, 25, 50, 75, 99, 100], dtype=np.float64)
cols = ['percentile_Average_' + str(int(g)) for g in grid]
table = inv[keys].merge(dur.drop_duplicates(keys), on=keys, how='left')[cols].to_numpy(dtype=np.float64)
counts = inv.iloc[:, 4:].to_numpy(dtype=np.int64)
rng = np.random.default_rng(1)
best = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    f, m = np.nonzero(counts)
    c = counts[f, m]
    fn = np.repeat(f, c)
    start = np.repeat(m * 60_000_000, c)
    k = np.arange(c.sum()) - np.repeat(np.cumsum(c) - c, c)
    t = start + (k * 60_000_000) // np.repeat(c, c)
    # a duration per arrival from its function's percentiles (inverse CDF, linear)
    p = rng.random(len(t)) * 100
    seg = np.clip(np.searchsorted(grid, p), 1, len(grid) - 1)
    lo, hi = table[fn, seg - 1], table[fn, seg]
    d = lo + (p - grid[seg - 1]) / (grid[seg] - grid[seg - 1]) * (hi - lo)
    order = np.argsort(t, kind='stable')
    t, fn, d = t[order], fn[order], d[order]
    best.append(time.perf_counter() - t0)
print(len(t), *best)
`;
let baseline: { arrivals: number; seconds: number[]; medianRate: number } | { error: string };
try {
  const out = execFileSync(python, ['-c', NUMPY, invocationsFile, String(reps)], { encoding: 'utf8' })
    .trim()
    .split(' ');
  const seconds = out.slice(1).map(Number);
  baseline = { arrivals: Number(out[0]), seconds, medianRate: Number(out[0]) / median(seconds) };
} catch (err) {
  baseline = { error: `numpy baseline could not run: ${(err as Error).message.split('\n')[0]}` };
}

const report = {
  when: new Date().toISOString(),
  node: process.version,
  functions: trace.functions.length,
  minutes: trace.spanUs / 60e6,
  faasload: results,
  peakRssMb,
  numpyEquidistant: baseline,
  ratioEquidistant: 'medianRate' in baseline ? results.equidistant!.medianRate / baseline.medianRate : null,
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/plan-rate.json', `${JSON.stringify(report, null, 2)}\n`);
const rate = (r: number) => `${(r / 1e6).toFixed(2)} M/s`;
const md = [
  `# Plan generation rate (${report.functions} functions x ${report.minutes} minutes, ${reps} runs, medians)`,
  '',
  '| planner | spread | arrivals | median s | arrivals/s |',
  '|---|---|---|---|---|',
  ...modes.map(
    (m) =>
      `| faasload | ${m} | ${results[m]!.arrivals} | ${median(results[m]!.seconds).toFixed(2)} | ${rate(results[m]!.medianRate)} |`,
  ),
  'medianRate' in baseline
    ? `| numpy (vectorized) | equidistant | ${baseline.arrivals} | ${median(baseline.seconds).toFixed(2)} | ${rate(baseline.medianRate)} |`
    : `| numpy | - | - | - | ${baseline.error} |`,
  '',
  `faasload / numpy (equidistant): ${report.ratioEquidistant?.toFixed(2) ?? 'n/a'}; faasload peak RSS ${peakRssMb.toFixed(0)} MB (trace included).`,
  '',
].join('\n');
writeFileSync('results/bench/plan-rate.md', md);
process.stdout.write(md);
