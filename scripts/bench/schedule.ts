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
 * inflate), its split between the main thread (read, plan, hand over columns) and the busiest
 * other thread (the dataset writer: Arrow and Parquet encoding), sampled from /proc every
 * 100 ms, peak RSS, the file's size and the load average before each run, into
 * results/bench/schedule.json and .md. On two idle cores the wall time would be about the
 * larger of the two threads' CPU.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
  /** CPU seconds of the main thread, and of the busiest other thread (the writer). */
  mainCpuS: number;
  writerCpuS: number;
  peakRssMb: number;
  rows: number;
  fileBytes: number;
  loadAverage1m: number;
}

/** CPU seconds (user + system) of each thread of `pid` now, by thread id; empty once it is gone. */
function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100);
    }
  } catch {
    // The process or a thread ended between the listing and the read.
  }
  return out;
}

/** One `faasload schedule` in a process of its own, under GNU time, its threads sampled. */
async function once(c: Case): Promise<Run> {
  const out = mkdtempSync(join(tmpdir(), 'faasload-bench-schedule-'));
  try {
    const plan = join(out, 'plan.parquet');
    const timeFile = join(out, 'time.txt');
    const loadAverage1m = loadavg()[0]!;
    const child = spawn(
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
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    // The node process is GNU time's child; keep each thread's last CPU reading.
    const last = new Map<number, number>();
    let nodePid: number | undefined;
    const sampler = setInterval(() => {
      if (nodePid === undefined && child.pid !== undefined) {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        if (kids !== '') nodePid = Number(kids.split(' ')[0]);
      }
      if (nodePid !== undefined) for (const [tid, cpuS] of threadCpu(nodePid)) last.set(tid, cpuS);
    }, 100);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(sampler);
    if (code !== 0) throw new Error(`faasload schedule exited ${code}`);
    const [wallS, userS, sysS, maxRssKb] = readFileSync(timeFile, 'utf8')
      .trim()
      .split('\n')
      .at(-1)!
      .split(' ')
      .map(Number);
    const { rows } = JSON.parse(stdout) as { rows: number };
    const others = [...last].filter(([tid]) => tid !== nodePid).map(([, cpuS]) => cpuS);
    return {
      wallS: wallS!,
      cpuS: userS! + sysS!,
      mainCpuS: (nodePid !== undefined ? last.get(nodePid) : undefined) ?? Number.NaN,
      writerCpuS: others.length > 0 ? Math.max(...others) : Number.NaN,
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
const results = [];
for (const c of CASES) {
  const runs: Run[] = [];
  for (let i = 0; i < reps; i++) {
    const run = await once(c);
    process.stderr.write(
      `${c.label}: ${run.rows} rows, ${run.wallS.toFixed(1)} s wall, ${run.cpuS.toFixed(1)} s CPU (main ${run.mainCpuS.toFixed(1)}, writer ${run.writerCpuS.toFixed(1)}), ${run.peakRssMb.toFixed(0)} MB, load ${run.loadAverage1m.toFixed(1)}\n`,
    );
    runs.push(run);
  }
  results.push({
    case: c.label,
    rows: runs[0]!.rows,
    runs,
    medianWallSeconds: median(runs.map((r) => r.wallS)),
    medianCpuSeconds: median(runs.map((r) => r.cpuS)),
    medianMainCpuSeconds: median(runs.map((r) => r.mainCpuS)),
    medianWriterCpuSeconds: median(runs.map((r) => r.writerCpuS)),
    medianPeakRssMb: median(runs.map((r) => r.peakRssMb)),
    maxPeakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    fileMb: runs[0]!.fileBytes / 1048576,
    loadAverages1m: runs.map((r) => r.loadAverage1m),
  });
}

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
  '+ system over every thread; wall time grows with the load average of a shared machine. Main and',
  'writer: CPU s of the main thread and of the busiest other thread (the dataset writer), from',
  '/proc; on two idle cores the wall time would be about the larger of the two.',
  '',
  '| case | rows | median wall s | median CPU s | main / writer CPU s | median peak RSS MB (max) | file MB | load average (1 min) |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.case} | ${r.rows} | ${r.medianWallSeconds.toFixed(1)} | ${r.medianCpuSeconds.toFixed(1)} | ${r.medianMainCpuSeconds.toFixed(1)} / ${r.medianWriterCpuSeconds.toFixed(1)} | ${r.medianPeakRssMb.toFixed(0)} (${r.maxPeakRssMb.toFixed(0)}) | ${r.fileMb.toFixed(0)} | ${r.loadAverages1m.map((l) => l.toFixed(1)).join(', ')} |`,
  ),
  '',
].join('\n');
writeFileSync('results/bench/schedule.md', md);
process.stdout.write(md);
