/**
 * Benchmark: reading a synthetic full Azure 2019 day (46,000 functions × 1,440 minutes, ~140 MB of
 * invocations) with faasload's reader, side by side with a peer reader on the same files.
 *
 *   node dist/scripts/bench/trace-parse.js [--dir DIR] [--reps 3] [--functions 46000]
 *       [--minutes 1440] [--seed 1] [--out results/bench] [--no-peer] [--with-csv-parse] [--check]
 *
 * The day is generated into a temporary folder (removed at the end), or into --dir, where it is
 * kept and reused by later runs with the same shape. Every measurement runs in a fresh child
 * process, so peak RSS (VmHWM from /proc/self/status, else maxRSS) is the whole read's, Node or
 * Python start-up included; the read time excludes start-up. Readers alternate within each
 * repetition to spread the noise of a shared machine. Reported: medians, min-max, ratios.
 *
 * Readers:
 * - faasload: readAzure2019(dir): invocations, durations and memory, joined, sparse counts.
 * - pandas (peer, when the Python of FAASLOAD_PYTHON or .venv/bin/python has pandas): read_csv of
 *   the same three files, C engine, then pyarrow engine if pyarrow is there. This is how FaaSRail
 *   and the In-Vitro tooling load these traces.
 * - csv-parse (--with-csv-parse): the row iteration of the former reader alone, for the record.
 *
 * Writes results/bench/trace-parse.json and .md (or under --out). --check exits 1 when a goal
 * (parse < 3 s, peak RSS < 300 MB) is missed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
/** dist/scripts/bench/trace-parse.js → the repository. */
const REPO = resolve(dirname(HERE), '..', '..', '..');
const GOALS = { parseS: 3, peakRssMb: 300 };
const DAY_FILES = {
  invocations: 'invocations_per_function_md.anon.d01.csv',
  durations: 'function_durations_percentiles.anon.d01.csv',
  memory: 'app_memory_percentiles.anon.d01.csv',
};
const SHAPE_FILE = 'faasload-synth.json';

interface Sample {
  reader: string;
  readS: number;
  peakRssMb: number;
  /** RSS high-water mark before the read (the runtime and its modules). */
  startRssMb: number;
  detail: Record<string, number>;
}

interface Options {
  dir?: string;
  reps: number;
  functions: number;
  minutes: number;
  seed: number;
  out: string;
  peer: boolean;
  csvParse: boolean;
  check: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    reps: 3,
    functions: 46_000,
    minutes: 1440,
    seed: 1,
    out: join(REPO, 'results', 'bench'),
    peer: true,
    csvParse: false,
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer`);
      return v;
    };
    if (flag === '--dir') o.dir = resolve(value());
    else if (flag === '--reps') o.reps = int();
    else if (flag === '--functions') o.functions = int();
    else if (flag === '--minutes') o.minutes = int();
    else if (flag === '--seed') o.seed = int();
    else if (flag === '--out') o.out = resolve(value());
    else if (flag === '--no-peer') o.peer = false;
    else if (flag === '--with-csv-parse') o.csvParse = true;
    else if (flag === '--check') o.check = true;
    else throw new Error(`unknown flag ${flag} (see the comment at the top of scripts/bench/trace-parse.ts)`);
  }
  return o;
}

/** Peak and current RSS of this process in MB, from /proc (Linux) or resourceUsage. */
function rssMb(): { peak: number; now: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
  } catch {
    const peak = process.resourceUsage().maxRSS / 1024;
    return { peak, now: process.memoryUsage().rss / 1048576 };
  }
}

/** Child mode: one read, one JSON line on stdout. */
async function child(reader: string, dir: string): Promise<void> {
  const start = rssMb().peak;
  if (reader === 'faasload') {
    const { readAzure2019 } = await import('../../src/trace/azure2019.js');
    const t0 = performance.now();
    const trace = await readAzure2019(dir);
    const readS = (performance.now() - t0) / 1000;
    const peak = rssMb().peak;
    let pairs = 0;
    let invocations = 0;
    for (let fn = 0; fn < trace.functions.length; fn++) {
      const a = trace.arrivals(fn);
      if (a.kind !== 'counts') continue;
      pairs += a.counts.length;
      for (const c of a.counts) invocations += c;
    }
    const detail = { functions: trace.functions.length, nonEmptyMinutes: pairs, invocations };
    print({ reader, readS, peakRssMb: peak, startRssMb: start, detail });
    return;
  }
  if (reader === 'csv-parse') {
    const { readCsvRows } = await import('../../src/trace/csv.js');
    const t0 = performance.now();
    let rows = 0;
    for await (const _ of readCsvRows(join(dir, DAY_FILES.invocations))) rows++;
    const readS = (performance.now() - t0) / 1000;
    print({ reader, readS, peakRssMb: rssMb().peak, startRssMb: start, detail: { rows } });
    return;
  }
  throw new Error(`unknown reader ${reader}`);
}

function print(sample: Sample): void {
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

const PANDAS = `
import json, re, sys, time
def hwm():
    with open('/proc/self/status') as f:
        return int(re.search(r'VmHWM:\\s+(\\d+) kB', f.read()).group(1)) / 1024
import pandas as pd
engine, inv, dur, mem = sys.argv[1:5]
start = hwm()
kw = {} if engine == 'c' else {'engine': engine}
t0 = time.perf_counter()
a = pd.read_csv(inv, **kw)
t1 = time.perf_counter()
b = pd.read_csv(dur, **kw)
c = pd.read_csv(mem, **kw)
t2 = time.perf_counter()
print(json.dumps({'reader': 'pandas-' + engine, 'readS': t2 - t0, 'peakRssMb': hwm(), 'startRssMb': start,
  'detail': {'invocationsOnlyS': t1 - t0, 'rows': len(a), 'columns': a.shape[1]}}))
`;

function pythonWith(modules: string): string | undefined {
  const candidates = [process.env.FAASLOAD_PYTHON, join(REPO, '.venv', 'bin', 'python')].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  for (const py of candidates) {
    try {
      execFileSync(py, ['-c', `import ${modules}`], { stdio: 'ignore' });
      return py;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function run(cmd: string, args: string[]): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err}`));
      try {
        resolvePromise(JSON.parse(out.trim().split('\n').at(-1)!) as Sample);
      } catch (e) {
        reject(new Error(`unreadable output of ${cmd}: ${out}\n${err}\n${String(e)}`));
      }
    });
  });
}

/** Generates the day into `dir` unless a day of the same shape is already there. */
async function ensureDay(dir: string, o: Options): Promise<{ generatedS?: number; shape: unknown }> {
  const shape = { seed: o.seed, functions: o.functions, minutes: o.minutes };
  const marker = join(dir, SHAPE_FILE);
  if (existsSync(marker) && Object.values(DAY_FILES).every((f) => existsSync(join(dir, f)))) {
    const saved = JSON.parse(await readFile(marker, 'utf8')) as { shape: unknown };
    if (JSON.stringify(saved.shape) === JSON.stringify(shape)) return saved;
  }
  const { synthesizeAzure2019Day } = await import('../../src/trace/synth-day.js');
  process.stderr.write(`generating ${o.functions} functions × ${o.minutes} minutes into ${dir} ...\n`);
  const t0 = performance.now();
  const result = await synthesizeAzure2019Day({ ...shape, outDir: dir });
  const generatedS = (performance.now() - t0) / 1000;
  const saved = { shape, generatedS, result };
  await writeFile(marker, `${JSON.stringify(saved, null, 2)}\n`);
  return saved;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1]!, argv[2]!);
  const o = parseArgs(argv);
  const temporary = o.dir === undefined;
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'faasload-bench-')));
  await mkdir(dir, { recursive: true });
  try {
    const day = await ensureDay(dir, o);
    const files = Object.fromEntries(Object.entries(DAY_FILES).map(([k, f]) => [k, join(dir, f)]));
    const bytes = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, statSync(f).size]));

    type Runner = { name: string; go: () => Promise<Sample> };
    const runners: Runner[] = [
      { name: 'faasload', go: () => run(process.execPath, [HERE, '--child', 'faasload', dir]) },
    ];
    const notes: string[] = [];
    const py = o.peer ? pythonWith('pandas') : undefined;
    if (o.peer && py === undefined)
      notes.push('no Python with pandas (FAASLOAD_PYTHON or .venv): peer skipped');
    if (py !== undefined) {
      const args = (engine: string) => [
        '-c',
        PANDAS,
        engine,
        files.invocations!,
        files.durations!,
        files.memory!,
      ];
      runners.push({ name: 'pandas-c', go: () => run(py, args('c')) });
      if (pythonWith('pandas, pyarrow') !== undefined) {
        runners.push({ name: 'pandas-pyarrow', go: () => run(py, args('pyarrow')) });
      }
    }
    if (o.csvParse) {
      runners.push({
        name: 'csv-parse',
        go: () => run(process.execPath, [HERE, '--child', 'csv-parse', dir]),
      });
    }

    const load = loadavg();
    const samples = new Map<string, Sample[]>(runners.map((r) => [r.name, []]));
    for (let rep = 0; rep < o.reps; rep++) {
      // Rotate the order so that no reader always runs first (page cache, other load).
      for (let k = 0; k < runners.length; k++) {
        const r = runners[(rep + k) % runners.length]!;
        const s = await r.go();
        samples.get(r.name)!.push(s);
        process.stderr.write(
          `rep ${rep + 1} ${r.name}: ${s.readS.toFixed(2)} s, peak RSS ${s.peakRssMb.toFixed(0)} MB\n`,
        );
      }
    }

    const summary = runners.map((r) => {
      const xs = samples.get(r.name)!;
      return {
        reader: r.name,
        medianReadS: median(xs.map((x) => x.readS)),
        minReadS: Math.min(...xs.map((x) => x.readS)),
        maxReadS: Math.max(...xs.map((x) => x.readS)),
        medianPeakRssMb: median(xs.map((x) => x.peakRssMb)),
        medianStartRssMb: median(xs.map((x) => x.startRssMb)),
        detail: xs[0]!.detail,
      };
    });
    const ours = summary[0]!;
    const withRatios = summary.map((s) => ({
      ...s,
      timeVsFaasload: s.medianReadS / ours.medianReadS,
      rssVsFaasload: s.medianPeakRssMb / ours.medianPeakRssMb,
    }));
    const goals = {
      parseUnder3s: ours.medianReadS < GOALS.parseS,
      peakRssUnder300Mb: ours.medianPeakRssMb < GOALS.peakRssMb,
    };
    const report = {
      benchmark: 'trace-parse',
      date: new Date().toISOString(),
      host: {
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        loadAverage1m: load[0] ?? 0,
      },
      trace: { format: 'azure2019 raw day (synthetic)', ...day, bytes },
      reps: o.reps,
      goals: { ...GOALS, ...goals },
      results: withRatios,
      samples: Object.fromEntries(samples),
      notes,
    };
    await mkdir(o.out, { recursive: true });
    await writeFile(join(o.out, 'trace-parse.json'), `${JSON.stringify(report, null, 2)}\n`);
    const md = markdown(report.host, bytes, o, withRatios, goals, notes);
    await writeFile(join(o.out, 'trace-parse.md'), md);
    process.stdout.write(md);
    if (o.check && !(goals.parseUnder3s && goals.peakRssUnder300Mb)) process.exitCode = 1;
  } finally {
    if (temporary) await rm(dir, { recursive: true, force: true });
  }
}

function markdown(
  host: { node: string; cpu: string; cores: number; loadAverage1m: number },
  bytes: Record<string, number>,
  o: Options,
  rows: Array<{
    reader: string;
    medianReadS: number;
    minReadS: number;
    maxReadS: number;
    medianPeakRssMb: number;
    medianStartRssMb: number;
    timeVsFaasload: number;
    rssVsFaasload: number;
  }>,
  goals: { parseUnder3s: boolean; peakRssUnder300Mb: boolean },
  notes: string[],
): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const lines = [
    '# Trace parse benchmark: a synthetic full Azure 2019 day',
    '',
    `${o.functions} functions × ${o.minutes} minutes (seed ${o.seed}): invocations ${mb(bytes.invocations!)} MB, durations ${mb(bytes.durations!)} MB, memory ${mb(bytes.memory!)} MB. Median of ${o.reps} runs, each in a fresh process; peak RSS includes the runtime (start RSS column).`,
    `Host: ${host.cpu}, ${host.cores} cores, Node ${host.node}, load average ${host.loadAverage1m.toFixed(2)} at start.`,
    '',
    '| reader | read s (median) | min-max s | peak RSS MB | start RSS MB | time vs faasload | RSS vs faasload |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.reader} | ${r.medianReadS.toFixed(2)} | ${r.minReadS.toFixed(2)}-${r.maxReadS.toFixed(2)} | ${r.medianPeakRssMb.toFixed(0)} | ${r.medianStartRssMb.toFixed(0)} | ${r.timeVsFaasload.toFixed(2)}x | ${r.rssVsFaasload.toFixed(2)}x |`,
    ),
    '',
    `Goals: parse under ${GOALS.parseS} s: ${goals.parseUnder3s ? 'met' : 'MISSED'}; peak RSS under ${GOALS.peakRssMb} MB: ${goals.peakRssUnder300Mb ? 'met' : 'MISSED'}.`,
    ...notes.map((n) => `Note: ${n}.`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
