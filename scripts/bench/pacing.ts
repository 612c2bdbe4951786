/**
 * Benchmark: dispatch precision. How closely each load generator holds a requested constant rate
 * against a local HTTP sink (scripts/bench/sink.ts, 127.0.0.1 only), measured at the receiving
 * end the same way for all, side by side in one run: faasload (precise and timer pacing),
 * autocannon --overallRate, hey -q, Artillery arrivalRate, and wrk closed loop as the ceiling.
 * Then faasload's highest sustainable open-loop rate (precise pacing), stepping the rate up.
 *
 *   node dist/scripts/bench/pacing.js [--seconds 10] [--reps 1] [--rates 2000,10000]
 *       [--connections 64] [--ramp 5000,10000,15000,20000,25000,30000,40000] [--ramp-seconds 5]
 *       [--no-ramp] [--tools faasload,autocannon,hey,artillery,wrk] [--out results/bench]
 *
 * Peers come from scripts/bench/peers.sh (a cache outside the repository); one that is missing
 * is reported as 'not installed'. Writes pacing.json and pacing.md. Medians over --reps runs.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FAASLOAD } from './faasload-generator.js';
import { type Generator, type Lateness, PEERS, PEERS_PREFIX } from './peers.js';
import { type SinkStats, startSink } from './sink.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    reps: { type: 'string', default: '1' },
    rates: { type: 'string', default: '2000,10000' },
    connections: { type: 'string', default: '64' },
    ramp: { type: 'string', default: '5000,10000,15000,20000,25000,30000,40000' },
    'ramp-seconds': { type: 'string', default: '5' },
    'no-ramp': { type: 'boolean', default: false },
    tools: { type: 'string', default: 'faasload,autocannon,hey,artillery,wrk' },
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
const generators = [...FAASLOAD, ...PEERS].filter((g) => tools.has(g.tool));
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
  cpuPer1k: number | null;
  lateness?: Lateness;
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
  median?: Omit<Sample, 'lateness' | 'error'> & {
    ratio: number | null;
    lateness?: Omit<Lateness, 'outcomes'>;
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

function sample(requested: number | null, s: SinkStats, cpuS: number | null): Sample {
  const spanS = (s.lastUs - s.firstUs) / 1e6;
  const inner = s.perSecond.slice(1, -1);
  return {
    requested,
    count: s.count,
    achieved: spanS > 0 ? (s.count - 1) / spanS : 0,
    perSecondMin: inner.length > 0 ? Math.min(...inner) : null,
    perSecondMax: inner.length > 0 ? Math.max(...inner) : null,
    cpuPer1k: cpuS === null || s.count === 0 ? null : (cpuS / s.count) * 1000,
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
  };
  if (late.length > 0) {
    row.median.lateness = {
      sent: median(late.map((l) => l.sent)),
      p50Ms: median(late.map((l) => l.p50Ms)),
      p99Ms: median(late.map((l) => l.p99Ms)),
      p999Ms: median(late.map((l) => l.p999Ms)),
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
    const { run, lateness } = await g.run({ rate, seconds: secs, url: sink.url, connections, workDir });
    const stats = await sink.take();
    const s = sample(rate, stats, run.cpuS);
    if (lateness !== undefined) s.lateness = lateness;
    if (run.code !== 0 || run.killed) {
      const why = run.killed ? 'stopped at its time limit' : `exited ${run.code}`;
      const tail = run.stderr.trim().split('\n').slice(-3).join(' / ');
      if (stats.count === 0 || run.code === null) s.error = `${why}: ${tail}`;
      else s.note = `${why} after ${run.wallS.toFixed(0)} s`;
      process.stderr.write(`  ${label}: ${why}: ${tail}\n`);
    }
    const extra = s.lateness ? `, lateness p99 ${s.lateness.p99Ms.toFixed(2)} ms` : '';
    process.stderr.write(
      `${label}: ${s.count} requests, ${s.achieved.toFixed(0)}/s, cpu ${s.cpuPer1k?.toFixed(3) ?? '?'} s/1k${extra}\n`,
    );
    return s;
  } catch (err) {
    process.stderr.write(`${label}: ${(err as Error).message}\n`);
    return { ...sample(rate, await sink.take(), null), error: (err as Error).message.split('\n')[0]! };
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

  const precise = FAASLOAD[0]!;
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
function line(r: Row): string {
  const m = r.median;
  const req = r.requested === null ? '(closed loop)' : String(r.requested);
  if (m === undefined) return `| ${r.tool} | ${r.mode} | ${req} | ${r.note} | | | | | |`;
  const spread = m.perSecondMin === null ? '-' : `${m.perSecondMin}-${m.perSecondMax}`;
  const l = m.lateness;
  const lateness = l ? `${fixed(l.p50Ms, 3)} / ${fixed(l.p99Ms, 3)} / ${fixed(l.p999Ms, 3)}` : '-';
  const share = l ? `${fixed(l.lateOver1ms * 100, 2)}%` : '-';
  return `| ${r.tool} | ${r.mode} | ${req} | ${fixed(m.achieved, 0)} | ${fixed(m.ratio, 4)} | ${spread} | ${lateness} | ${share} | ${fixed(m.cpuPer1k, 3)} |`;
}
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
  `Host: ${host.cpu}, ${host.cores} cores, Node ${host.node}, load average ${host.loadAverage1m.start.toFixed(2)} at the start, ${host.loadAverage1m.end.toFixed(2)} at the end; the sink (one Node process) shares the machine with the generator. ${connections} connections each. Achieved = (requests - 1) / (last - first arrival) at the sink; per second = min-max requests in each whole second at the sink, first and last partial seconds left out; CPU = user + sys of the generator's process tree (GNU time) per 1,000 requests received. Lateness = sent_at (the socket write) - scheduled_at from faasload's dataset, its first second (--warmup 1s) left out. Every tool sends GET.`,
  '',
  '| tool | mode | requested/s | achieved/s | ratio | per second min-max | lateness p50 / p99 / p99.9 ms | sent > 1 ms late | CPU s / 1,000 req |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(line),
  '',
  ...(notes.length > 0 ? [...notes, ''] : []),
  `faasload's highest sustainable open-loop rate (precise pacing; achieved within ${MAX_SHORTFALL * 100}% of requested and lateness p99 ≤ ${MAX_P99_MS} ms): ${rampText}.`,
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
