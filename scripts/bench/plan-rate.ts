/**
 * Benchmark: plan generation rate on a synthetic full Azure 2019 day (46,000 functions x 1,440
 * minutes by default), beside a vectorized numpy baseline doing the same equidistant spread and
 * time ordering, then a duration drawn per arrival from its function's percentiles (the way
 * Python replay tools generate arrivals), in one run. faasload draws durations and memory when a
 * batch's columns are read: it is measured without reading them and reading them all.
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
import { messageOf } from '../../src/util/message.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    functions: { type: 'string', default: '46000' },
    reps: { type: 'string', default: '3' },
    'peak-rss': { type: 'boolean', default: false },
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
if (values['peak-rss']) {
  // The footprint of one replay's planning, in a process of its own: read the day, plan it once
  // and read every arrival's columns. (The timed runs below plan it many times in one process.)
  let read = 0;
  for (const b of plan(trace, { seed: 1 }).batches({ reuse: true }))
    read += b.durationMs.length + b.memoryMb.length;
  process.stderr.write(`peak RSS probe: ${read / 2} arrivals\n`);
  process.stdout.write(`${process.resourceUsage().maxRSS / 1024}\n`);
  process.exit(0);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const modes: IatMode[] = ['exponential', 'equidistant', 'uniform', 'poisson'];
type Result = { arrivals: number; seconds: number[]; medianRate: number };
/** Plans the day `reps` times; `attributes` also reads every arrival's duration and memory. */
function measure(iat: IatMode, attributes: boolean): Result {
  const seconds: number[] = [];
  let arrivals = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    arrivals = 0;
    for (const b of plan(trace, { seed: 1, iat }).batches({ reuse: true })) {
      arrivals += b.length;
      // Reading a column draws all of it (see PlanBatch).
      if (attributes && b.durationMs.length + b.memoryMb.length !== 2 * b.length)
        throw new Error('short column');
    }
    seconds.push((performance.now() - t0) / 1000);
  }
  const label = `${iat}${attributes ? ' + duration, memory' : ''}`;
  process.stderr.write(`${label}: ${arrivals} arrivals, median ${median(seconds).toFixed(2)} s\n`);
  return { arrivals, seconds, medianRate: arrivals / median(seconds) };
}
const results: Record<string, Result> = {};
for (const iat of modes) results[iat] = measure(iat, false);
results['equidistant + duration, memory'] = measure('equidistant', true);
// The default spreading, as a replay plans it.
results['exponential + duration, memory'] = measure('exponential', true);
const peakRssMb = Number(
  execFileSync(process.execPath, [process.argv[1]!, '--dir', dir, '--peak-rss'], { encoding: 'utf8' }),
);

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
times, full = [], []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    f, m = np.nonzero(counts)
    c = counts[f, m]
    fn = np.repeat(f, c)
    start = np.repeat(m * 60_000_000, c)
    k = np.arange(c.sum()) - np.repeat(np.cumsum(c) - c, c)
    t = start + (k * 60_000_000) // np.repeat(c, c)
    order = np.argsort(t, kind='stable')
    t, fn = t[order], fn[order]
    t1 = time.perf_counter()
    # a duration per arrival from its function's percentiles (inverse CDF, linear)
    p = rng.random(len(t)) * 100
    seg = np.clip(np.searchsorted(grid, p), 1, len(grid) - 1)
    lo, hi = table[fn, seg - 1], table[fn, seg]
    d = lo + (p - grid[seg - 1]) / (grid[seg] - grid[seg - 1]) * (hi - lo)
    times.append(t1 - t0)
    full.append(time.perf_counter() - t0)
print(len(t), ' '.join(map(str, times)), ' '.join(map(str, full)), sep='|')
`;
let numpy: Record<string, Result> | { error: string };
try {
  const [count, times, full] = execFileSync(python, ['-c', NUMPY, invocationsFile, String(reps)], {
    encoding: 'utf8',
  })
    .trim()
    .split('|');
  const result = (text: string): Result => {
    const seconds = text!.split(' ').map(Number);
    return { arrivals: Number(count), seconds, medianRate: Number(count) / median(seconds) };
  };
  numpy = { equidistant: result(times!), 'equidistant + duration': result(full!) };
} catch (err) {
  numpy = { error: `numpy baseline could not run: ${messageOf(err).split('\n')[0]}` };
}

const ratio = (ours: string, theirs: string) =>
  'error' in numpy ? null : results[ours]!.medianRate / numpy[theirs]!.medianRate;
const report = {
  when: new Date().toISOString(),
  node: process.version,
  functions: trace.functions.length,
  minutes: trace.spanUs / 60e6,
  faasload: results,
  peakRssMb,
  numpy,
  ratios: {
    arrivals: ratio('equidistant', 'equidistant'),
    withDurations: ratio('equidistant + duration, memory', 'equidistant + duration'),
  },
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/plan-rate.json', `${JSON.stringify(report, null, 2)}\n`);
const rate = (r: number) => `${(r / 1e6).toFixed(2)} M/s`;
const row = (planner: string, what: string, r: Result) =>
  `| ${planner} | ${what} | ${r.arrivals} | ${median(r.seconds).toFixed(2)} | ${rate(r.medianRate)} |`;
const md = [
  `# Plan generation rate (${report.functions} functions x ${report.minutes} minutes, ${reps} runs, medians)`,
  '',
  'Arrivals are (time, function), ordered by time; "+ duration" also draws each one\'s duration',
  "(faasload: and memory) from its function's percentiles.",
  '',
  '| planner | spread | arrivals | median s | arrivals/s |',
  '|---|---|---|---|---|',
  ...Object.entries(results).map(([what, r]) => row('faasload', what, r)),
  ...('error' in numpy
    ? [`| numpy | - | - | - | ${numpy.error} |`]
    : Object.entries(numpy).map(([what, r]) => row('numpy (vectorized)', what, r))),
  '',
  `faasload / numpy: arrivals ${report.ratios.arrivals?.toFixed(2) ?? 'n/a'}, with durations ${report.ratios.withDurations?.toFixed(2) ?? 'n/a'}; faasload peak RSS ${peakRssMb.toFixed(0)} MB (reading the day, planning it once and reading every column, in a process of its own).`,
  '',
].join('\n');
writeFileSync('results/bench/plan-rate.md', md);
process.stdout.write(md);
