import { FaasloadError } from '../errors.js';
import { hash32, Random } from '../util/random.js';
import { AZURE2019_ID_COLUMNS } from './azure2019-invocations.js';
import { DURATION_PERCENTILES, MEMORY_PERCENTILES } from './azure2019-join.js';
import { BufferedFile } from './buffered-file.js';
import { MAX_DURATION_MS, MEDIAN_DURATION_MS, pickTrigger, synthIdentities } from './synth.js';
import {
  DIURNAL_PEAK_MINUTE,
  idPrefixer,
  PERCENTILE_Z,
  RAW_DURATIONS_HEADER,
  RAW_MEMORY_HEADER,
  rawDayFiles,
} from './synth-percentiles.js';
import { below, lognormal, normal, poisson, shuffle } from './synth-random.js';

/**
 * Synthetic Azure 2019 days at full scale (46,000 functions × 1,440 minutes, ~140 MB of
 * invocations), written straight to disk in the raw public layout, for benchmarks and for tests of
 * the readers at scale. Rows are made one at a time into a reused byte buffer: memory stays a few
 * MB whatever the size, never the file.
 *
 * The shape follows what Shahrad et al. report for the real trace, loosely: per-function mean
 * rates are lognormal over about eight orders of magnitude (half the functions run less than once
 * an hour, a few percent more than once a minute), so most minute cells are 0; timer-triggered
 * functions fire every 1 to 1440 minutes; the others are Poisson per minute, modulated by a
 * diurnal cycle (trough at night, peak in the afternoon) of per-function depth. Every function
 * has at least one invocation on its day, as rows of the real files do.
 *
 * Deterministic: the bytes are a pure function of the options. Functions (ids, apps, triggers,
 * rates, durations, memory) depend on the seed only, so days made with one seed share their
 * functions; the day number picks the arrivals and small day-to-day changes.
 */

export interface SynthAzure2019DayOptions {
  seed: number;
  functions: number;
  /** Minute columns (1..minutes). Default 1440, a whole day. */
  minutes?: number;
  /** Default ceil(functions / 2.5). */
  apps?: number;
  /** Owners of the apps; default ceil(apps / 2). */
  owners?: number;
  /** The day: names the files (dNN) and seeds its arrivals. Default 1. */
  day?: number;
  /** Write app_memory_percentiles.anon.dNN.csv; default day <= 12, as in the public trace. */
  memory?: boolean;
  /** The folder to write into (made if missing); files of the same day are overwritten. */
  outDir: string;
}

export interface SynthAzure2019DayResult {
  /** Paths of the files written. */
  files: { invocations: string; durations: string; memory?: string };
  functions: number;
  minutes: number;
  /** Sum of all minute counts. */
  invocations: number;
  /** Minute cells that are not 0. */
  nonEmptyMinutes: number;
  /** Size of the invocations file. */
  invocationsBytes: number;
}

/** Median of the per-function mean rates, invocations per minute (once every 50 minutes). */
const RATE_MEDIAN_PER_MINUTE = 0.02;
/** Log-space sigma of the rates: ±2σ spans rates from once every 2 days to ~3 per minute. */
const RATE_SIGMA = 2.5;
const MAX_RATE_PER_MINUTE = 20_000;
/** Timer periods (minutes) and their weights. */
type TimerPeriod = readonly [minutes: number, weight: number];
const TIMER_PERIODS: readonly [TimerPeriod, ...TimerPeriod[]] = [
  [1, 0.2],
  [5, 0.25],
  [10, 0.1],
  [15, 0.1],
  [30, 0.1],
  [60, 0.15],
  [240, 0.05],
  [1440, 0.05],
];
/** The range of per-function diurnal depths. */
const MIN_DEPTH = 0.2;
const MAX_DEPTH = 0.8;

/**
 * Writes one synthetic day in the raw Azure 2019 layout into `outDir`:
 * invocations_per_function_md.anon.dNN.csv, function_durations_percentiles.anon.dNN.csv and (see
 * `memory`) app_memory_percentiles.anon.dNN.csv. Durations and memory rows come in a shuffled
 * order, so readers must join them; durations Count is the function's invocations that day.
 * Bad options → E_USAGE.
 */
export async function synthesizeAzure2019Day(
  options: SynthAzure2019DayOptions,
): Promise<SynthAzure2019DayResult> {
  const shape = checkDayOptions(options);
  const { seed, functions: n, minutes, apps, owners, day, memory, outDir } = shape;
  const rng = (aspect: string) => new Random(seed, hash32(`azure2019-day/${aspect}`));

  // Functions: depend on the seed only.
  const identities = synthIdentities(rng, n, apps, owners);
  const { ownerIds, appIds, ownerOf, appOf } = identities;
  const triggerRng = rng('triggers');
  const triggers = Array.from({ length: n }, () => pickTrigger(triggerRng));
  const model = rng('rates');
  const rate = new Float64Array(n);
  const depth = new Float64Array(n);
  const period = new Int32Array(n);
  const phase = new Int32Array(n);
  for (let fn = 0; fn < n; fn++) {
    rate[fn] = Math.min(MAX_RATE_PER_MINUTE, lognormal(model, RATE_MEDIAN_PER_MINUTE, RATE_SIGMA));
    depth[fn] = MIN_DEPTH + (MAX_DEPTH - MIN_DEPTH) * model.next();
    period[fn] = pickPeriod(model);
    phase[fn] = below(model, period[fn]!);
  }
  const idPrefix = idPrefixer(identities, appOf);
  const files: SynthAzure2019DayResult['files'] = await rawDayFiles(outDir, day, memory);

  // Invocations: one row at a time.
  const diurnal = new Float64Array(minutes);
  for (let t = 0; t < minutes; t++) diurnal[t] = Math.cos((2 * Math.PI * (t - DIURNAL_PEAK_MINUTE)) / 1440);
  const totals = new Float64Array(n);
  const row = new Uint32Array(minutes);
  let invocations = 0;
  let nonEmptyMinutes = 0;
  const out = await BufferedFile.create(files.invocations, 256 + 11 * minutes);
  try {
    out.text(`${[...AZURE2019_ID_COLUMNS, ...Array.from({ length: minutes }, (_, i) => i + 1)].join(',')}\n`);
    for (let fn = 0; fn < n; fn++) {
      const r = new Random(seed, hash32(`azure2019-day/arrivals/${day}/${fn}`));
      let total = 0;
      if (triggers[fn] === 'timer') {
        const k = period[fn]!;
        for (let t = 0; t < minutes; t++) {
          const c = (t - phase[fn]!) % k === 0 ? 1 : 0;
          row[t] = c;
          total += c;
        }
      } else {
        const lambda = rate[fn]!;
        const a = depth[fn]!;
        for (let t = 0; t < minutes; t++) {
          const c = poisson(r, lambda * (1 + a * diurnal[t]!));
          row[t] = c;
          total += c;
        }
      }
      if (total === 0) {
        row[below(r, minutes)] = 1;
        total = 1;
      }
      out.text(`${idPrefix(fn)},${triggers[fn]}`);
      for (let t = 0; t < minutes; t++) {
        const c = row[t]!;
        out.byte(0x2c);
        out.uint(c);
        if (c !== 0) nonEmptyMinutes++;
      }
      out.byte(0x0a);
      totals[fn] = total;
      invocations += total;
      await out.maybeFlush();
    }
  } finally {
    await out.close();
  }
  const invocationsBytes = out.written;

  // Durations: one row per function, shuffled; per-function lognormal calls, analytic percentiles.
  const durationModel = rng('durations');
  const dayJitter = new Random(seed, hash32(`azure2019-day/durations/${day}`));
  const durations = await BufferedFile.create(files.durations, 1024);
  try {
    durations.text(RAW_DURATIONS_HEADER);
    const median = new Float64Array(n);
    const sigma = new Float64Array(n);
    for (let fn = 0; fn < n; fn++) {
      median[fn] = lognormal(durationModel, MEDIAN_DURATION_MS, 1.2);
      sigma[fn] = 0.3 + 0.9 * durationModel.next();
    }
    for (const fn of shuffle(
      rng(`row-order/${day}`),
      Array.from({ length: n }, (_, i) => i),
    )) {
      const m = median[fn]! * Math.exp(0.1 * normal(dayJitter));
      const s = sigma[fn]!;
      const at = (p: number) => Math.min(MAX_DURATION_MS, Math.round(m * Math.exp(s * PERCENTILE_Z[p]!)));
      const average = Math.round(Math.min(MAX_DURATION_MS, m * Math.exp((s * s) / 2)));
      const points = DURATION_PERCENTILES.map(at);
      durations.text(
        `${idPrefix(fn)},${average},${totals[fn]},${at(0)}.0,${at(100)}.0,${points.join(',')}\n`,
      );
      await durations.maybeFlush();
    }
  } finally {
    await durations.close();
  }

  // Memory: one row per app, shuffled (raw layout: no HashFunction).
  if (files.memory !== undefined) {
    const memoryModel = rng('memory');
    const appMedian = Array.from({ length: apps }, () => lognormal(memoryModel, 150, 0.6));
    const mem = await BufferedFile.create(files.memory, 1024);
    try {
      mem.text(RAW_MEMORY_HEADER);
      const order = rng(`memory-order/${day}`);
      for (const app of shuffle(
        order,
        Array.from({ length: apps }, (_, i) => i),
      )) {
        const m = appMedian[app]!;
        const at = (p: number) => Math.max(1, Math.round(m * Math.exp(0.15 * PERCENTILE_Z[p]!)));
        const samples = 1000 + below(order, 100_000);
        mem.text(
          `${ownerIds[ownerOf[app]!]},${appIds[app]},${samples},${Math.round(m * 1.01)},${MEMORY_PERCENTILES.map(at).join(',')}\n`,
        );
        await mem.maybeFlush();
      }
    } finally {
      await mem.close();
    }
  }

  return { files, functions: n, minutes, invocations, nonEmptyMinutes, invocationsBytes };
}

type DayShape = Required<SynthAzure2019DayOptions>;

function checkDayOptions(o: SynthAzure2019DayOptions): DayShape {
  const errors: string[] = [];
  const int = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(v) || v < min || v > max) {
      errors.push(
        `${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], not ${v}`,
      );
    }
  };
  const minutes = o.minutes ?? 1440;
  const apps = o.apps ?? Math.ceil(o.functions / 2.5);
  const owners = o.owners ?? Math.ceil(apps / 2);
  const day = o.day ?? 1;
  int('seed', o.seed, -(2 ** 31), 2 ** 32 - 1);
  int('functions', o.functions, 1);
  int('minutes', minutes, 1, 1_000_000);
  int('apps', apps, 1, Math.max(1, o.functions));
  int('owners', owners, 1, Math.max(1, apps));
  int('day', day, 1, 99);
  if (errors.length > 0) {
    throw new FaasloadError('E_USAGE', `synthesizeAzure2019Day: ${errors.join('; ')}`);
  }
  return {
    seed: o.seed,
    functions: o.functions,
    minutes,
    apps,
    owners,
    day,
    memory: o.memory ?? day <= 12,
    outDir: o.outDir,
  };
}

function pickPeriod(rng: Random): number {
  let u = rng.next();
  for (const [minutes, weight] of TIMER_PERIODS) {
    u -= weight;
    if (u < 0) return minutes;
  }
  return TIMER_PERIODS[0][0];
}
