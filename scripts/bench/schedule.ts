/**
 * Benchmark: `faasload schedule <day> --out plan.parquet`, the whole command a user runs (read
 * the day, plan it with durations and memory, write the plan as Parquet), in a process of its
 * own under GNU time. Goal (issue 24): under 60 s and 1 GB of peak RSS for a full day.
 *
 *   node dist/scripts/bench/schedule.js [--dir DIR] [--functions 46000] [--reps 3]
 *       [--paper-dir DIR] [--paper-minutes 0]
 *
 * Cases, each run --reps times (medians):
 * - the hand-shaped day (`trace synth`: 46,000 functions, ~31 M invocations), whole;
 * - with --paper-minutes N > 0, the first N minutes of the paper-shaped day (`trace synth --like
 *   azure2019`, ~439 M invocations a day; made in --paper-dir if missing, which takes minutes).
 * Reports wall time, CPU time (user + system, every thread: what a loaded machine does not
 * inflate), peak RSS, the file's size and the load average before each run, into
 * results/bench/schedule.json and .md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { synthesizeAzure2019Day } from '../../src/trace/synth-day.js';
import { synthesizeLikeAzure2019 } from '../../src/trace/synth-like-azure2019.js';
import { GNU_TIME } from './timed-run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '..', '..', '..', 'bin', 'faasload.js');

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    functions: { type: 'string', default: '46000' },
    reps: { type: 'string', default: '3' },
    'paper-dir': { type: 'string' },
    'paper-minutes': { type: 'string', default: '0' },
  },
});
const functions = Number(values.functions);
const reps = Number(values.reps);
const paperMinutes = Number(values['paper-minutes']);
const dayDir = values.dir ?? join(tmpdir(), `faasload-bench-day-${functions}`);
const paperDir = values['paper-dir'] ?? join(tmpdir(), `faasload-bench-paper-day-${functions}`);
const DAY_FILE = 'invocations_per_function_md.anon.d01.csv';

if (!existsSync(join(dayDir, DAY_FILE))) {
  process.stderr.write(`generating a synthetic day of ${functions} functions in ${dayDir}\n`);
  await synthesizeAzure2019Day({ seed: 1, functions, outDir: dayDir });
}
if (paperMinutes > 0 && !existsSync(join(paperDir, DAY_FILE))) {
  process.stderr.write(`generating a paper-shaped day of ${functions} functions in ${paperDir}\n`);
  await synthesizeLikeAzure2019({ seed: 1, functions, outDir: paperDir });
}

interface Case {
  label: string;
  dir: string;
  args: string[];
}
const CASES: Case[] = [
  { label: 'hand-shaped day (trace synth), whole', dir: dayDir, args: [] },
  ...(paperMinutes > 0
    ? [
        {
          label: `paper-shaped day (trace synth --like azure2019), first ${paperMinutes} min`,
          dir: paperDir,
          args: ['--to', `${paperMinutes}m`],
        },
      ]
    : []),
];

interface Run {
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  rows: number;
  fileBytes: number;
  loadAverage1m: number;
}

/** One `faasload schedule` in a process of its own, under GNU time. */
function once(c: Case): Run {
  const out = mkdtempSync(join(tmpdir(), 'faasload-bench-schedule-'));
  try {
    const plan = join(out, 'plan.parquet');
    const timeFile = join(out, 'time.txt');
    const loadAverage1m = loadavg()[0]!;
    const r = spawnSync(
      GNU_TIME,
      [
        '-o',
        timeFile,
        '-f',
        '%e %U %S %M',
        process.execPath,
        CLI,
        'schedule',
        c.dir,
        ...c.args,
        '--out',
        plan,
        '--json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 },
    );
    if (r.status !== 0) throw new Error(`faasload schedule exited ${r.status}`);
    const [wallS, userS, sysS, maxRssKb] = readFileSync(timeFile, 'utf8')
      .trim()
      .split('\n')
      .at(-1)!
      .split(' ')
      .map(Number);
    const { rows } = JSON.parse(r.stdout) as { rows: number };
    return {
      wallS: wallS!,
      cpuS: userS! + sysS!,
      peakRssMb: maxRssKb! / 1024,
      rows,
      fileBytes: statSync(plan).size,
      loadAverage1m,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = CASES.map((c) => {
  const runs: Run[] = [];
  for (let i = 0; i < reps; i++) {
    const run = once(c);
    process.stderr.write(
      `${c.label}: ${run.rows} rows, ${run.wallS.toFixed(1)} s wall, ${run.cpuS.toFixed(1)} s CPU, ${run.peakRssMb.toFixed(0)} MB, load ${run.loadAverage1m.toFixed(1)}\n`,
    );
    runs.push(run);
  }
  return {
    case: c.label,
    rows: runs[0]!.rows,
    runs,
    medianWallSeconds: median(runs.map((r) => r.wallS)),
    medianCpuSeconds: median(runs.map((r) => r.cpuS)),
    medianPeakRssMb: median(runs.map((r) => r.peakRssMb)),
    maxPeakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    fileMb: runs[0]!.fileBytes / 1048576,
    loadAverages1m: runs.map((r) => r.loadAverage1m),
  };
});

const report = {
  when: new Date().toISOString(),
  node: process.version,
  functions,
  reps,
  goalSeconds: 60,
  goalPeakRssMb: 1024,
  results,
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/schedule.json', `${JSON.stringify(report, null, 2)}\n`);
const md = [
  `# faasload schedule <day> --out plan.parquet (${functions} functions; ${reps} run(s), medians)`,
  '',
  'Each run is one `faasload schedule` in a fresh process under GNU time: read the day, plan it,',
  'write the plan as Parquet. Goal: under 60 s and 1 GB of peak RSS for a whole day. CPU s is user',
  '+ system over every thread; wall time grows with the load average of a shared machine.',
  '',
  '| case | rows | median wall s | median CPU s | median peak RSS MB (max) | file MB | load average (1 min) |',
  '|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.case} | ${r.rows} | ${r.medianWallSeconds.toFixed(1)} | ${r.medianCpuSeconds.toFixed(1)} | ${r.medianPeakRssMb.toFixed(0)} (${r.maxPeakRssMb.toFixed(0)}) | ${r.fileMb.toFixed(0)} | ${r.loadAverages1m.map((l) => l.toFixed(1)).join(', ')} |`,
  ),
  '',
].join('\n');
writeFileSync('results/bench/schedule.md', md);
process.stdout.write(md);
