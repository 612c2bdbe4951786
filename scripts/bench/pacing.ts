/**
 * Benchmark: dispatch precision and CPU per request. How closely each load generator holds a
 * requested constant rate against a local HTTP sink (scripts/bench/sink.ts, 127.0.0.1 only),
 * measured at the receiving end the same way for all, side by side in one run: faasload with its
 * default flags (and, named in --tools, faasload-precise and faasload-timer), autocannon
 * --overallRate, hey -q, and (named) Artillery arrivalRate and wrk closed loop as the ceiling.
 * faasload's lateness is reported per second of the run: the whole run, its first second and its
 * worst second. CPU per 1,000 requests is given from start to end (GNU time: start-up included)
 * and in the steady state (the process tree's CPU sampled from /proc, over the whole seconds of
 * arrivals at the sink after the first two, divided by the requests that arrived in them).
 * Then, unless --no-ramp, faasload's highest sustainable open-loop rate, stepping the rate up.
 *
 *   node dist/scripts/bench/pacing.js [--seconds 10] [--reps 3] [--rates 2000,5000]
 *       [--connections 64] [--ramp 5000,10000,15000,20000,25000,30000,40000] [--ramp-seconds 5]
 *       [--no-ramp] [--tools faasload,autocannon,hey] [--out results/bench]
 *
 * Peers come from scripts/bench/peers.sh (a cache outside the repository); one that is missing
 * is reported as 'not installed'. Writes pacing.json and pacing.md. Medians over --reps runs.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { messageOf } from '../../src/util/message.js';
import { FAASLOAD, FAASLOAD_MODES } from './faasload-generator.js';
import { type Generator, type Lateness, PEERS, PEERS_PREFIX } from './peers.js';
import { type SinkStats, startSink } from './sink.js';
import { cpuBetween, type TimedRun } from './timed-run.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    reps: { type: 'string', default: '3' },
    rates: { type: 'string', default: '2000,5000' },
    connections: { type: 'string', default: '64' },
    ramp: { type: 'string', default: '5000,10000,15000,20000,25000,30000,40000' },
    'ramp-seconds': { type: 'string', default: '5' },
    'no-ramp': { type: 'boolean', default: false },
    tools: { type: 'string', default: 'faasload,autocannon,hey' },
    out: { type: 'string', default: 'results/bench' },
  },
});
const positive = (flag: string, v: string) => {
  const n = Number(v);
  if (!(n > 0)) throw new Error(`--${flag}: expected a positive number, got ${v}`);
  return n;
};
const list = (flag: string, v: string) => v.split(',').map((x) => positive(flag, x));
const seconds = positive('seconds', values.seconds);
const reps = positive('reps', values.reps);
const rates = list('rates', values.rates);
const connections = positive('connections', values.connections);
const ramp = values['no-ramp'] ? [] : list('ramp', values.ramp);
const rampSeconds = positive('ramp-seconds', values['ramp-seconds']);
const tools = new Set(values.tools.split(','));
const generators = [...FAASLOAD, ...FAASLOAD_MODES, ...PEERS].filter((g) => tools.has(g.tool));
/** The ramp's pass criteria. */
const MAX_SHORTFALL = 0.001;
const MAX_P99_MS = 10;

/** One run of one generator, as seen at the sink. */
interface Sample {
  requested: number | null;
  count: number;
  /** (count - 1) / (last - first arrival): the rate the sink saw. */
  achieved: number;
  /** Requests per whole second at the sink, the first and last (partial) seconds left out. */
  perSecondMin: number | null;
  perSecondMax: number | null;
  /** Start to end: the process tree's user + sys over the whole run, start-up included. */
  cpuPer1k: number | null;
  /** Steady state: CPU over the whole seconds of arrivals after the first two, per request in them. */
  cpuPer1kSteady: number | null;
  lateness?: Lateness;
  /** faasload: the pacing it used and why. */
  pacing?: string;
  /** The run counts, but did not end cleanly (stopped at its time limit, non-zero exit). */
  note?: string;
  /** The run does not count (nothing arrived, or the tool could not be started). */
  error?: string;
}

interface Row {
  tool: string;
  mode: string;
  requested: number | null;
  /** Medians over the repetitions; absent when the generator could not run. */
  median?: Omit<Sample, 'lateness' | 'error' | 'pacing'> & {
    ratio: number | null;
    lateness?: Omit<Lateness, 'outcomes' | 'perSecondP99Ms' | 'worstSecond'>;
  };
  samples: Sample[];
  note?: string;
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const medianOrNull = (xs: (number | null | undefined)[]) => {
  const m = median(xs.filter((x): x is number => typeof x === 'number'));
  return Number.isNaN(m) ? null : m;
};

/** Seconds of arrivals left out of the steady state at the start (the first is partial). */
const STEADY_SKIP_S = 2;

/** CPU per 1,000 requests over the whole seconds of arrivals after STEADY_SKIP_S, the last (partial) one left out. */
function steadyCpuPer1k(s: SinkStats, run: TimedRun | null): number | null {
  if (run === null || s.count === 0) return null;
  const firstSecond = Math.floor(s.firstUs / 1e6);
  const from = STEADY_SKIP_S;
  const to = s.perSecond.length - 1;
  if (to - from < 2) return null;
  let requests = 0;
  for (let i = from; i < to; i++) requests += s.perSecond[i]!;
  const cpuS = cpuBetween(run.cpuSamples, (firstSecond + from) * 1e6, (firstSecond + to) * 1e6);
  return cpuS === null || requests === 0 ? null : (cpuS / requests) * 1000;
}

function sample(requested: number | null, s: SinkStats, run: TimedRun | null): Sample {
  const spanS = (s.lastUs - s.firstUs) / 1e6;
  const inner = s.perSecond.slice(1, -1);
  const cpuS = run?.cpuS ?? null;
  return {
    requested,
    count: s.count,
    achieved: spanS > 0 ? (s.count - 1) / spanS : 0,
    perSecondMin: inner.length > 0 ? Math.min(...inner) : null,
    perSecondMax: inner.length > 0 ? Math.max(...inner) : null,
    cpuPer1k: cpuS === null || s.count === 0 ? null : (cpuS / s.count) * 1000,
    cpuPer1kSteady: steadyCpuPer1k(s, run),
  };
}

function summarize(g: Generator, requested: number | null, samples: Sample[]): Row {
  const ok = samples.filter((s) => s.error === undefined);
  const row: Row = { tool: g.tool, mode: g.mode, requested, samples };
  if (ok.length === 0) {
    row.note = samples[0]?.error ?? 'no run';
    return row;
  }
  const achieved = median(ok.map((s) => s.achieved));
  const late = ok.map((s) => s.lateness).filter((l) => l !== undefined);
  row.median = {
    requested,
    count: median(ok.map((s) => s.count)),
    achieved,
    ratio: requested === null ? null : achieved / requested,
    perSecondMin: medianOrNull(ok.map((s) => s.perSecondMin)),
    perSecondMax: medianOrNull(ok.map((s) => s.perSecondMax)),
    cpuPer1k: medianOrNull(ok.map((s) => s.cpuPer1k)),
    cpuPer1kSteady: medianOrNull(ok.map((s) => s.cpuPer1kSteady)),
  };
  if (late.length > 0) {
    row.median.lateness = {
      sent: median(late.map((l) => l.sent)),
      p50Ms: median(late.map((l) => l.p50Ms)),
      p99Ms: median(late.map((l) => l.p99Ms)),
      p999Ms: median(late.map((l) => l.p999Ms)),
      firstSecondP99Ms: median(late.map((l) => l.firstSecondP99Ms)),
      worstSecondP99Ms: median(late.map((l) => l.worstSecondP99Ms)),
      lateOver1ms: median(late.map((l) => l.lateOver1ms)),
    };
  }
  const notes = samples.map((s) => (s.error ? `failed: ${s.error}` : s.note)).filter((n) => n !== undefined);
  if (notes.length > 0) row.note = [...new Set(notes)].join('; ');
  return row;
}

const loadAtStart = loadavg()[0] ?? 0;
const sink = await startSink();
const work = await mkdtemp(join(process.env.TMPDIR || tmpdir(), 'faasload-bench-pacing-'));
let runs = 0;

/** One run of `g` at `rate` (null: closed loop) for `secs`, measured at the sink. */
async function measure(g: Generator, rate: number | null, secs: number): Promise<Sample> {
  const workDir = join(work, String(runs++));
  await mkdir(workDir);
  await sink.take(); // anything left over belongs to no run
  const label = `${g.tool} ${g.mode} at ${rate ?? 'max'}/s for ${secs} s`;
  try {
    const { run, lateness, pacing } = await g.run({
      rate,
      seconds: secs,
      url: sink.url,
      connections,
      workDir,
    });
    const stats = await sink.take();
    const s = sample(rate, stats, run);
    if (lateness !== undefined) s.lateness = lateness;
    if (pacing !== undefined) s.pacing = pacing;
    if (run.code !== 0 || run.killed) {
      const why = run.killed ? 'stopped at its time limit' : `exited ${run.code}`;
      const tail = run.stderr.trim().split('\n').slice(-3).join(' / ');
      if (stats.count === 0 || run.code === null) s.error = `${why}: ${tail}`;
      else s.note = `${why} after ${run.wallS.toFixed(0)} s`;
      process.stderr.write(`  ${label}: ${why}: ${tail}\n`);
    }
    const l = s.lateness;
    const extra = l
      ? `, lateness p99 ${l.p99Ms.toFixed(2)} ms (first second ${l.firstSecondP99Ms.toFixed(2)}, worst ${l.worstSecondP99Ms.toFixed(2)} in second ${l.worstSecond}), pacing ${s.pacing ?? '?'}`
      : '';
    process.stderr.write(
      `${label}: ${s.count} requests, ${s.achieved.toFixed(0)}/s, cpu ${s.cpuPer1k?.toFixed(3) ?? '?'} s/1k (steady ${s.cpuPer1kSteady?.toFixed(3) ?? '?'})${extra}\n`,
    );
    return s;
  } catch (err) {
    process.stderr.write(`${label}: ${messageOf(err)}\n`);
    return { ...sample(rate, await sink.take(), null), error: messageOf(err).split('\n')[0]! };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
const sustainable: { rate: number | null; steps: Row[]; note?: string } = { rate: null, steps: [] };
try {
  for (const rate of [...rates, null]) {
    // wrk, closed loop, runs once (rate null); the open-loop generators at each rate.
    const here = generators.filter((g) => (rate === null) === (g.closedLoop === true));
    const samples = new Map<Generator, Sample[]>(here.map((g) => [g, []]));
    for (let rep = 0; rep < reps; rep++) {
      for (let k = 0; k < here.length; k++) {
        const g = here[(rep + k) % here.length]!; // rotate: nobody always runs first
        const why = g.missing();
        if (why === undefined) samples.get(g)!.push(await measure(g, rate, seconds));
      }
    }
    for (const g of here) {
      const why = g.missing();
      rows.push(
        why === undefined
          ? summarize(g, rate, samples.get(g)!)
          : { tool: g.tool, mode: g.mode, requested: rate, samples: [], note: why },
      );
    }
  }

  const precise = FAASLOAD[0]!; // the default flags
  if (ramp.length > 0 && tools.has('faasload')) {
    const why = precise.missing();
    if (why !== undefined) sustainable.note = `faasload: ${why}`;
    for (const rate of why === undefined ? ramp : []) {
      const step = summarize(precise, rate, [await measure(precise, rate, rampSeconds)]);
      sustainable.steps.push(step);
      const m = step.median;
      const pass =
        m !== undefined &&
        m.achieved >= rate * (1 - MAX_SHORTFALL) &&
        (m.lateness?.p99Ms ?? Infinity) <= MAX_P99_MS;
      if (!pass) break;
      sustainable.rate = rate;
    }
  }
} finally {
  sink.stop();
  await rm(work, { recursive: true, force: true });
}

const fixed = (x: number | null | undefined, digits: number) =>
  x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
/** hey's steady CPU per request at the same rate: the yardstick of the CPU goal. */
const heySteady = (rate: number | null) =>
  rows.find((r) => r.tool === 'hey' && r.requested === rate)?.median?.cpuPer1kSteady ?? null;
function line(r: Row): string {
  const m = r.median;
  const req = r.requested === null ? '(closed loop)' : String(r.requested);
  if (m === undefined) return `| ${r.tool} | ${r.mode} | ${req} | ${r.note} | | | | | | | | |`;
  const spread = m.perSecondMin === null ? '-' : `${m.perSecondMin}-${m.perSecondMax}`;
  const l = m.lateness;
  const perSecond = l
    ? `${fixed(l.p99Ms, 3)} / ${fixed(l.firstSecondP99Ms, 3)} / ${fixed(l.worstSecondP99Ms, 3)}`
    : '-';
  const lateness = l ? `${fixed(l.p50Ms, 3)} / ${fixed(l.p999Ms, 3)}` : '-';
  const share = l ? `${fixed(l.lateOver1ms * 100, 2)}%` : '-';
  const hey = heySteady(r.requested);
  const vsHey = hey === null || m.cpuPer1kSteady === null ? '-' : `${fixed(m.cpuPer1kSteady / hey, 2)}x`;
  return `| ${r.tool} | ${r.mode} | ${req} | ${fixed(m.achieved, 0)} | ${fixed(m.ratio, 4)} | ${spread} | ${perSecond} | ${lateness} | ${share} | ${fixed(m.cpuPer1k, 3)} | ${fixed(m.cpuPer1kSteady, 3)} | ${vsHey} |`;
}
/** What faasload's auto pacing chose, per rate (each run's choice, as its manifest says). */
const pacingNotes = rows
  .filter((r) => r.tool === 'faasload')
  .map(
    (r) =>
      `- faasload at ${r.requested}/s used: ${[...new Set(r.samples.map((s) => s.pacing ?? '?'))].join('; ')}.`,
  );
const host = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadAverage1m: { start: loadAtStart, end: loadavg()[0] ?? 0 },
};
const rampText =
  sustainable.note ??
  (sustainable.steps.length === 0
    ? 'not run'
    : `${sustainable.rate ?? 'none'}${sustainable.rate === null ? '' : '/s'} (steps of ${rampSeconds} s: ${sustainable.steps
        .map(
          (s) =>
            `${s.requested}/s → ${fixed(s.median?.achieved, 0)}/s, p99 ${fixed(s.median?.lateness?.p99Ms, 2)} ms`,
        )
        .join('; ')})`);
const notes = rows
  .filter((r) => r.median !== undefined && r.note !== undefined)
  .map((r) => `- ${r.tool} ${r.mode} at ${r.requested ?? 'max'}/s: ${r.note}.`);
const md = [
  `# Dispatch precision: requested vs achieved rate at a local HTTP sink (${seconds} s runs, ${reps === 1 ? '1 run each, no median' : `median of ${reps} runs`})`,
  '',
  `Host: ${host.cpu}, ${host.cores} cores, Node ${host.node}, load average ${host.loadAverage1m.start.toFixed(2)} at the start, ${host.loadAverage1m.end.toFixed(2)} at the end; the sink (one Node process) shares the machine with the generator. ${connections} connections each. Achieved = (requests - 1) / (last - first arrival) at the sink; per second = min-max requests in each whole second at the sink, first and last partial seconds left out. CPU = user + sys of the generator's process tree per 1,000 requests received: from start to end (GNU time, start-up included), and steady (sampled from /proc every 100 ms, over the whole seconds of arrivals after the first ${STEADY_SKIP_S}, the last partial one left out); vs hey = steady / hey's steady at the same rate. Lateness = sent_at (the socket write) - scheduled_at from faasload's dataset, every second of the run included (no --warmup), p99 over the whole run, of its first second, and of its worst second (by scheduled time). Every tool sends GET.`,
  '',
  '| tool | mode | requested/s | achieved/s | ratio | per second min-max | lateness p99 whole / first s / worst s, ms | lateness p50 / p99.9 ms | sent > 1 ms late | CPU s / 1,000 req, start to end | steady | steady vs hey |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(line),
  '',
  ...(pacingNotes.length > 0 ? [...pacingNotes, ''] : []),
  ...(notes.length > 0 ? [...notes, ''] : []),
  `faasload's highest sustainable open-loop rate (default flags; achieved within ${MAX_SHORTFALL * 100}% of requested and lateness p99 ≤ ${MAX_P99_MS} ms): ${rampText}.`,
  '',
].join('\n');
const outDir = resolve(values.out);
await mkdir(outDir, { recursive: true });
const report = {
  benchmark: 'pacing',
  date: new Date().toISOString(),
  host,
  options: { seconds, reps, rates, connections, ramp, rampSeconds, peersPrefix: PEERS_PREFIX },
  results: rows,
  sustainable: { criteria: { maxShortfall: MAX_SHORTFALL, maxP99Ms: MAX_P99_MS }, ...sustainable },
};
await writeFile(join(outDir, 'pacing.json'), `${JSON.stringify(report, null, 2)}\n`);
await writeFile(join(outDir, 'pacing.md'), md);
process.stdout.write(md);
