/**
 * Benchmark: `faasload report` on a synthetic run of 10 M invocations beside DuckDB computing the
 * same figure data from the same Parquet file (scripts/bench/report-duckdb.py: counts per bin and
 * outcome, per-function cold starts, nearest-rank quantiles and CDF points of every series).
 * Goal: the report in under 60 s and 400 MB of peak RSS.
 *
 *   npm run bench -- report [--rows 10000000] [--functions 15000] [--reps 3] [--dir DIR]
 *
 * The run folder (scripts/bench/synthetic-run.ts: a synthetic Azure 2019 day planned, rows with
 * seeded outcomes, written by the project's TableWriter; about 0.9 GB and 8 minutes for 10 M
 * rows on 2 cores) is kept in $TMPDIR/faasload-bench-report-<rows> and reused. Each measurement
 * is a process of its own under GNU time (wall, user + sys CPU, max RSS, start-up included):
 * faasload's CLI as a user runs it (PNGs included), then DuckDB's Python client, alternating,
 * medians of --reps. The CPU time is given beside the wall time: on a shared machine the wall
 * time also counts the time other processes had the cores. The DuckDB side also checks that
 * both agree on the counts. Writes results/bench/report.json and .md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSyntheticRun } from './synthetic-run.js';
import { GNU_TIME } from './timed-run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** dist/scripts/bench/ → the repository. */
const REPO = resolve(HERE, '..', '..', '..');
const GOALS = { wallS: 60, peakRssMb: 400 };

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    functions: { type: 'string', default: '15000' },
    reps: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
});
const rows = Number(values.rows);
const reps = Number(values.reps);
const dir = values.dir ?? join(process.env.TMPDIR || tmpdir(), `faasload-bench-report-${rows}`);
const python = process.env.FAASLOAD_PYTHON ?? join(REPO, '.venv', 'bin', 'python');

interface Sample {
  wallS: number;
  cpuS: number;
  peakRssMb: number;
}

/** One process under GNU time: wall, CPU and max RSS; its stdout. */
function measure(cmd: string, args: string[]): Sample & { stdout: string } {
  const timeFile = join(tmpdir(), `faasload-bench-report-time-${process.pid}`);
  const r = spawnSync(GNU_TIME, ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 900_000,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}`);
  const [wall, user, sys, rssKb] = readFileSync(timeFile, 'utf8')
    .trim()
    .split('\n')
    .at(-1)!
    .split(' ')
    .map(Number);
  rmSync(timeFile, { force: true });
  return { wallS: wall!, cpuS: user! + sys!, peakRssMb: rssKb! / 1024, stdout: r.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summarize = (s: Sample[]) => ({
  wallS: median(s.map((x) => x.wallS)),
  cpuS: median(s.map((x) => x.cpuS)),
  peakRssMb: median(s.map((x) => x.peakRssMb)),
  samples: s,
});

if (!existsSync(GNU_TIME)) {
  process.stderr.write(`report bench: needs GNU time (${GNU_TIME}, apt time)\n`);
  process.exit(1);
}
if (!existsSync(join(dir, 'manifest.json'))) {
  process.stderr.write(`report bench: writing a synthetic run of ${rows} rows into ${dir} (minutes)\n`);
  rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  await writeSyntheticRun({ dir, rows, functions: Number(values.functions), seed: 1 });
  process.stderr.write(`written in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

const faasload: Sample[] = [];
const duck: Sample[] = [];
let agree: boolean | null = null;
const peer = existsSync(python);
for (let i = 0; i < reps; i++) {
  process.stderr.write(`report bench: repetition ${i + 1} of ${reps}\n`);
  const f = measure(process.execPath, [join(REPO, 'bin', 'faasload.js'), 'report', dir]);
  faasload.push({ wallS: f.wallS, cpuS: f.cpuS, peakRssMb: f.peakRssMb });
  if (!peer) continue;
  const d = measure(python, [join(REPO, 'scripts', 'bench', 'report-duckdb.py'), dir]);
  duck.push({ wallS: d.wallS, cpuS: d.cpuS, peakRssMb: d.peakRssMb });
  if (agree === null) {
    const facts = JSON.parse(d.stdout) as { planned: number; sent: number; outcomes: Record<string, number> };
    const planned = /^planned\s+(\d+)/m.exec(f.stdout)?.[1];
    const sent = /^sent\s+(\d+)/m.exec(f.stdout)?.[1];
    const outcomes = Object.entries(facts.outcomes).every(
      ([o, n]) => new RegExp(`^${o}\\s+${n}$`, 'm').test(f.stdout) || o === 'unknown',
    );
    agree = Number(planned) === facts.planned && Number(sent) === facts.sent && outcomes;
  }
}

const result = {
  when: new Date().toISOString(),
  rows,
  dir,
  machine: { cpus: cpus().length, loadavg1mAtEnd: loadavg()[0] ?? 0 },
  goals: GOALS,
  faasload: summarize(faasload),
  duckdb: peer ? summarize(duck) : null,
  countsAgree: agree,
};
mkdirSync(join(REPO, 'results', 'bench'), { recursive: true });
writeFileSync(join(REPO, 'results', 'bench', 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
const line = (name: string, s: ReturnType<typeof summarize>) =>
  `| ${name} | ${s.wallS.toFixed(1)} | ${s.cpuS.toFixed(1)} | ${Math.round(s.peakRssMb)} |`;
const md = [
  `# report: ${rows.toLocaleString('en')} invocations`,
  '',
  `Run ${result.when} on ${result.machine.cpus} cores (load average ${result.machine.loadavg1mAtEnd.toFixed(1)} at the end). Medians of ${reps}, each a process of its own, start-up included. Goals for faasload: < ${GOALS.wallS} s, < ${GOALS.peakRssMb} MB.`,
  '',
  '| tool | wall s | CPU s (user + sys) | peak RSS MB |',
  '|---|---|---|---|',
  line('faasload report (figures as SVG and PNG, report.html)', result.faasload),
  ...(result.duckdb
    ? [line('DuckDB (the same figure data, no drawing)', result.duckdb)]
    : ['| DuckDB | not installed | | |']),
  '',
  `Counts (planned, sent, outcomes) agree: ${agree === null ? 'not checked' : agree ? 'yes' : 'NO'}.`,
  '',
].join('\n');
writeFileSync(join(REPO, 'results', 'bench', 'report.md'), md);
process.stdout.write(md);
