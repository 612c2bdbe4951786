import { FaasloadError } from '../errors.js';
import { hash32, Random } from '../util/random.js';
import { AZURE2019_ID_COLUMNS } from './azure2019-invocations.js';
import { DURATION_PERCENTILES, MEMORY_PERCENTILES } from './azure2019-join.js';
import { BufferedFile } from './buffered-file.js';
import { AZURE2019_PAPER, type PaperTrigger } from './paper-azure2019.js';
import { synthIdentities } from './synth.js';
import {
  DIURNAL_PEAK_MINUTE,
  idPrefixer,
  PERCENTILE_Z,
  RAW_DURATIONS_HEADER,
  RAW_MEMORY_HEADER,
  rawDayFiles,
} from './synth-percentiles.js';
import { below, normal, normalQuantile, poisson, shuffle } from './synth-random.js';

/**
 * A synthetic Azure 2019 day shaped like the one "Serverless in the Wild" characterizes
 * (`faasload trace synth --like azure2019`), written in the raw public layout. Where
 * synth-day.ts has a hand-chosen shape, every marginal here is set from a published number
 * (src/trace/paper-azure2019.ts; docs/traces.md lists them with their figures):
 *
 * - apps: sizes from the paper's functions-per-app buckets (Fig. 1), a Pareto tail past 10;
 * - triggers: exact counts per trigger group (Fig. 2a), placed so that 64% of apps have an HTTP
 *   function and 29% a timer (Fig. 2b);
 * - app rates: log-normal through the two published points (45% at most once an hour, 81% at most
 *   once a minute), capped at RATE_CAP_PER_DAY, the cap at which the apps invoked at least once a
 *   minute carry 99.6% of the invocations; an app's rate is split across its functions with one
 *   weight per trigger group, fitted so each group carries its published share of invocations;
 * - time: a diurnal cycle of depth DIURNAL_DEPTH on every non-timer function (half the daily
 *   volume is the constant baseline, Fig. 3), timers periodic, and on/off bursts for a share of
 *   the apps below BURST_MAX_RATE_PER_DAY so that 40% of apps have an IAT CV above 1 (Fig. 6);
 * - execution time: per-function averages log-normal (-0.38, 2.36) s (Fig. 7);
 * - memory: per-app averages Burr XII (11.652, 0.221, 107.083) MB (Fig. 8).
 *
 * Draws that set a distribution are stratified (quantile i of n at (i + 0.5) / n, then shuffled),
 * so a reduced day of a few thousand functions has the same marginals as the full one. Everything
 * is a pure function of (seed, functions, minutes) and, for the arrivals, the day. Memory: a few
 * typed arrays per function and per app (about 100 B per function); rows are written one at a time.
 */

export interface SynthLikeAzure2019Options {
  seed: number;
  /** Default 46,000, the function count of a released day. */
  functions?: number;
  /** Minute columns (1..minutes). Rates are per day, so fewer minutes make fewer invocations. Default 1440. */
  minutes?: number;
  /** Names the files (dNN) and seeds the arrivals; functions do not change with it. Default 1. */
  day?: number;
  /** Write app_memory_percentiles.anon.dNN.csv; default day <= 12, as in the public trace. */
  memory?: boolean;
  outDir: string;
}

export interface SynthLikeAzure2019Result {
  files: { invocations: string; durations: string; memory?: string };
  functions: number;
  apps: number;
  minutes: number;
  invocations: number;
  nonEmptyMinutes: number;
  invocationsBytes: number;
}

/** Apps never go past this rate (invocations per day): the cap that gives the 99.6% share. */
export const RATE_CAP_PER_DAY = 5_000_000;
/** Depth of the diurnal cycle: the trough hour has 1 - depth of the mean hour's volume. */
export const DIURNAL_DEPTH = 0.5;
/** Share of the eligible apps (non-timer functions, rate below the next constant) that are bursty. */
export const BURSTY_SHARE = 0.1;
const BURST_MAX_RATE_PER_DAY = 10_000;
/** How strongly app size and rate go together: rank key = ln(size) + SIZE_RATE_NOISE × N(0,1). */
const SIZE_RATE_NOISE = 0.5;
/** Spread of function weights inside an app (log-space sigma). */
const FUNCTION_WEIGHT_SIGMA = 1;
/** Apps of more functions than this are not made (the paper's largest have a couple of thousand). */
const MAX_APP_SIZE = 2500;
/** Execution-time averages are capped at Azure's longest timeout, 10 minutes. */
const MAX_AVERAGE_MS = 600_000;

/** Trigger groups in a fixed order (the files name them in lower case, as the public trace does). */
const TRIGGERS = Object.keys(AZURE2019_PAPER.triggers) as PaperTrigger[];
const HTTP = TRIGGERS.indexOf('http');
const TIMER = TRIGGERS.indexOf('timer');

/** The functions of the day: everything but the arrivals. Exported for tests. */
export interface LikeAzure2019Model {
  /** App of each function; functions of an app are consecutive. */
  appOf: Int32Array;
  /** First function of each app, and one past the last app's. */
  appStart: Int32Array;
  /** Index into TRIGGERS of each function. */
  trigger: Uint8Array;
  triggers: readonly PaperTrigger[];
  /** Mean invocations per day of each function. */
  ratePerDay: Float64Array;
  /** Bursty apps get on/off arrivals. */
  bursty: Uint8Array;
  averageMs: Float64Array;
  /** Log-space sigma of the function's calls around its median. */
  durationSigma: Float64Array;
  appMemoryMb: Float64Array;
}

/** Builds the model of a paper-shaped day of `functions` functions. */
export function likeAzure2019Model(seed: number, functions: number): LikeAzure2019Model {
  const rng = (aspect: string) => new Random(seed, hash32(`azure2019-like/${aspect}`));
  const sizes = appSizes(rng('app-sizes'), functions);
  const apps = sizes.length;
  const appStart = new Int32Array(apps + 1);
  for (let a = 0; a < apps; a++) appStart[a + 1] = appStart[a]! + sizes[a]!;
  const appOf = new Int32Array(functions);
  for (let a = 0; a < apps; a++) appOf.fill(a, appStart[a]!, appStart[a + 1]!);

  const trigger = assignTriggers(rng('triggers'), sizes, appStart, appOf);
  const appRate = appRates(rng('rates'), sizes);
  const ratePerDay = splitRates(rng('weights'), appRate, appStart, trigger);

  const bursty = new Uint8Array(apps);
  const burstRng = rng('bursty');
  for (let a = 0; a < apps; a++) {
    let timersOnly = true;
    for (let f = appStart[a]!; f < appStart[a + 1]!; f++) if (trigger[f] !== TIMER) timersOnly = false;
    const eligible = !timersOnly && appRate[a]! < BURST_MAX_RATE_PER_DAY;
    bursty[a] = eligible && burstRng.next() < BURSTY_SHARE ? 1 : 0;
  }

  // Execution time: stratified log-normal averages, shuffled over the functions.
  const { executionTimeLogMeanS: mu, executionTimeLogSigmaS: sigma } = AZURE2019_PAPER;
  const durationRng = rng('durations');
  const averageMs = Float64Array.from(
    shuffle(
      durationRng,
      Array.from({ length: functions }, (_, i) =>
        Math.min(MAX_AVERAGE_MS, 1000 * Math.exp(mu + sigma * normalQuantile((i + 0.5) / functions))),
      ),
    ),
  );
  const durationSigma = Float64Array.from({ length: functions }, () => 0.3 + 0.9 * durationRng.next());

  // Memory: stratified Burr XII per app, shuffled.
  const { c, k, lambdaMb } = AZURE2019_PAPER.memoryBurr;
  const burr = (u: number) => lambdaMb * ((1 - u) ** (-1 / k) - 1) ** (1 / c);
  const appMemoryMb = Float64Array.from(
    shuffle(
      rng('memory'),
      Array.from({ length: apps }, (_, i) => burr((i + 0.5) / apps)),
    ),
  );
  return {
    appOf,
    appStart,
    trigger,
    triggers: TRIGGERS,
    ratePerDay,
    bursty,
    averageMs,
    durationSigma,
    appMemoryMb,
  };
}

/**
 * App sizes from the paper's buckets: 1, 2, 3, 4-5, 6-10 (k^-1.5 inside), 11+ (Pareto from 11
 * whose tail puts 0.04% of apps at 100 or more). Stratified quantiles, the app count chosen so
 * they sum to `functions`; the remainder is taken from or given to random multi-function apps.
 */
function appSizes(rng: Random, functions: number): number[] {
  const f = AZURE2019_PAPER.functionsPerApp;
  const small: Array<[size: number, share: number]> = [
    [1, f.one],
    [2, f.two],
    [3, f.three],
    [4, f.fourToFive * 0.55],
    [5, f.fourToFive * 0.45],
  ];
  const mid = [6, 7, 8, 9, 10].map((s) => s ** -1.5);
  const midSum = mid.reduce((x, y) => x + y, 0);
  mid.forEach((w, i) => {
    small.push([6 + i, (f.sixToTen * w) / midSum]);
  });
  const tail = 1 - small.reduce((s, [, p]) => s + p, 0);
  const alpha = Math.log(f.elevenOrMore / f.hundredOrMore) / Math.log(100 / 11);
  const maxSize = Math.max(1, Math.min(MAX_APP_SIZE, functions));
  const quantile = (u: number): number => {
    let left = u;
    for (const [size, share] of small) {
      if (left < share) return Math.min(size, maxSize);
      left -= share;
    }
    const v = Math.max(1e-12, 1 - left / tail);
    return Math.min(maxSize, Math.floor(11 * v ** (-1 / alpha)));
  };
  const sizesFor = (apps: number) => Array.from({ length: apps }, (_, i) => quantile((i + 0.5) / apps));
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  let apps = Math.max(1, Math.round(functions / 3));
  let sizes = sizesFor(apps);
  for (let step = 0; step < 20; step++) {
    const diff = functions - sum(sizes);
    if (Math.abs(diff) <= Math.max(2, functions * 0.002)) break;
    const mean = sum(sizes) / apps;
    apps = Math.max(1, apps + Math.round(diff / mean));
    sizes = sizesFor(apps);
  }
  let diff = functions - sum(sizes);
  while (diff !== 0) {
    const multi = sizes.flatMap((s, i) => (s >= (diff > 0 ? 2 : 3) ? [i] : []));
    if (diff > 0) {
      const pool = multi.length > 0 ? multi : sizes.map((_, i) => i);
      sizes[pool[below(rng, pool.length)]!]! += 1;
      diff--;
    } else if (multi.length > 0) {
      sizes[multi[below(rng, multi.length)]!]! -= 1;
      diff++;
    } else {
      const twos = sizes.flatMap((s, i) => (s === 2 ? [i] : []));
      if (twos.length > 0) sizes[twos[below(rng, twos.length)]!] = 1;
      else sizes.pop();
      diff = functions - sum(sizes);
    }
  }
  return shuffle(rng, sizes);
}

/** Splits `total` into integer counts proportional to `shares` (largest remainder). */
function apportion(total: number, shares: readonly number[]): number[] {
  const sum = shares.reduce((x, y) => x + y, 0);
  const exact = shares.map((s) => (total * s) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((x, y) => x + y, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]! += 1;
  }
  return counts;
}

/**
 * Trigger of each function: exact counts per group (Fig. 2a). 64% of apps are chosen to have an
 * HTTP function and 29% a timer (Fig. 2b; single-function HTTP apps cannot also have a timer);
 * each gets one first, every other app one function of the remaining groups; then the remaining
 * HTTP functions go to HTTP apps, timers to timer apps, and the other groups fill what is left.
 * Where a small day cannot meet a constraint, the function goes anywhere.
 */
function assignTriggers(
  rng: Random,
  sizes: readonly number[],
  appStart: Int32Array,
  appOf: Int32Array,
): Uint8Array {
  const apps = sizes.length;
  const functions = appOf.length;
  const left = apportion(
    functions,
    TRIGGERS.map((t) => AZURE2019_PAPER.triggers[t].functions),
  );
  const trigger = new Uint8Array(functions).fill(255);
  const order = shuffle(
    rng,
    Array.from({ length: apps }, (_, i) => i),
  );
  const hasHttp = new Uint8Array(apps);
  const hasTimer = new Uint8Array(apps);
  const httpApps = Math.min(left[HTTP]!, Math.round(AZURE2019_PAPER.appsWithHttp * apps));
  for (let i = 0; i < httpApps; i++) hasHttp[order[i]!] = 1;
  const timerCandidates = shuffle(
    rng,
    order.filter((a) => !hasHttp[a] || sizes[a]! >= 2),
  );
  const timerApps = Math.min(
    left[TIMER]!,
    Math.round(AZURE2019_PAPER.appsWithTimer * apps),
    timerCandidates.length,
  );
  for (let i = 0; i < timerApps; i++) hasTimer[timerCandidates[i]!] = 1;

  // The other groups, as one shuffled pool of labels.
  const others: number[] = [];
  TRIGGERS.forEach((_, t) => {
    if (t === HTTP || t === TIMER) return;
    for (let i = 0; i < left[t]!; i++) others.push(t);
  });
  shuffle(rng, others);
  const take = (t: number): number => {
    if (t === HTTP || t === TIMER) {
      if (left[t]! <= 0) return -1;
      left[t]! -= 1;
      return t;
    }
    const o = others.pop();
    return o === undefined ? -1 : o;
  };
  // Mandatory first functions.
  const next = Int32Array.from(appStart.subarray(0, apps));
  const put = (a: number, t: number) => {
    if (t < 0 || next[a]! >= appStart[a + 1]!) return false;
    trigger[next[a]!] = t;
    next[a]! += 1;
    return true;
  };
  for (const a of order) {
    if (hasHttp[a]) put(a, take(HTTP));
    if (hasTimer[a]) put(a, take(TIMER));
    if (!hasHttp[a] && !hasTimer[a]) {
      const o = others.pop();
      if (o !== undefined) put(a, o);
    }
  }
  // Free slots, in random order, by app kind.
  const slots = shuffle(
    rng,
    order.flatMap((a) => Array.from({ length: appStart[a + 1]! - next[a]! }, (_, i) => next[a]! + i)),
  );
  const free = new Uint8Array(functions);
  for (const s of slots) free[s] = 1;
  const fill = (t: number, accept: (a: number) => boolean) => {
    for (const s of slots) {
      if (left[t]! <= 0) return;
      if (!free[s] || !accept(appOf[s]!)) continue;
      trigger[s] = t;
      free[s] = 0;
      left[t]! -= 1;
    }
  };
  fill(HTTP, (a) => hasHttp[a] === 1);
  fill(TIMER, (a) => hasTimer[a] === 1);
  for (const s of slots) {
    if (!free[s]) continue;
    const o = others.pop();
    if (o === undefined) break;
    trigger[s] = o;
    free[s] = 0;
  }
  // Whatever is left (small days): anywhere.
  for (const s of slots) {
    if (!free[s]) continue;
    const t = left[HTTP]! > 0 ? HTTP : left[TIMER]! > 0 ? TIMER : HTTP;
    left[t]! = Math.max(0, left[t]! - 1);
    trigger[s] = t;
    free[s] = 0;
  }
  for (let f = 0; f < functions; f++) if (trigger[f] === 255) trigger[f] = HTTP;
  return trigger;
}

/**
 * App rates (invocations per day): log-normal through the two published points, stratified,
 * capped; the busiest rates go to the apps of the highest ln(size) + noise (bigger apps are
 * busier: the paper gives no joint distribution, and a top app with several triggers is what
 * lets the trigger groups carry their shares).
 */
function appRates(rng: Random, sizes: readonly number[]): Float64Array {
  const { appsAtMostHourly, appsAtMostMinutely } = AZURE2019_PAPER;
  const zHour = normalQuantile(appsAtMostHourly);
  const zMinute = normalQuantile(appsAtMostMinutely);
  const sigma = (Math.log(1440) - Math.log(24)) / (zMinute - zHour);
  const mu = Math.log(24) - sigma * zHour;
  const apps = sizes.length;
  const rates = Array.from({ length: apps }, (_, i) =>
    Math.min(RATE_CAP_PER_DAY, Math.exp(mu + sigma * normalQuantile((i + 0.5) / apps))),
  );
  const keys = sizes.map((s) => Math.log(s) + SIZE_RATE_NOISE * normal(rng));
  const byKey = Array.from({ length: apps }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
  const out = new Float64Array(apps);
  byKey.forEach((app, rank) => {
    out[app] = rates[rank]!;
  });
  return out;
}

/**
 * Each function's rate: its app's rate split by weight θ[trigger] × lognormal noise, with θ fitted
 * (iterative proportional fitting) so each trigger group carries its published share of invocations.
 */
function splitRates(
  rng: Random,
  appRate: Float64Array,
  appStart: Int32Array,
  trigger: Uint8Array,
): Float64Array {
  const functions = trigger.length;
  const noise = Float64Array.from({ length: functions }, () => Math.exp(FUNCTION_WEIGHT_SIGMA * normal(rng)));
  const present = TRIGGERS.map((_, t) => trigger.includes(t));
  const targetSum = TRIGGERS.reduce(
    (s, name, t) => s + (present[t] ? AZURE2019_PAPER.triggers[name].invocations : 0),
    0,
  );
  const target = TRIGGERS.map((name, t) =>
    present[t] ? AZURE2019_PAPER.triggers[name].invocations / targetSum : 0,
  );
  const theta = TRIGGERS.map(() => 1);
  const rate = new Float64Array(functions);
  const apps = appRate.length;
  const compute = () => {
    const byTrigger = TRIGGERS.map(() => 0);
    for (let a = 0; a < apps; a++) {
      let w = 0;
      for (let f = appStart[a]!; f < appStart[a + 1]!; f++) w += theta[trigger[f]!]! * noise[f]!;
      for (let f = appStart[a]!; f < appStart[a + 1]!; f++) {
        rate[f] = (appRate[a]! * theta[trigger[f]!]! * noise[f]!) / w;
        byTrigger[trigger[f]!]! += rate[f]!;
      }
    }
    return byTrigger;
  };
  for (let step = 0; step < 200; step++) {
    const byTrigger = compute();
    const total = byTrigger.reduce((x, y) => x + y, 0);
    TRIGGERS.forEach((_, t) => {
      if (present[t] && byTrigger[t]! > 0)
        theta[t] = Math.min(1e12, Math.max(1e-12, (theta[t]! * (target[t]! * total)) / byTrigger[t]!));
    });
  }
  compute();
  return rate;
}

/**
 * Writes the day into `outDir`: invocations_per_function_md.anon.dNN.csv,
 * function_durations_percentiles.anon.dNN.csv and (see `memory`) app_memory_percentiles.anon.dNN.csv,
 * durations and memory rows shuffled. Bad options → E_USAGE, every error at once.
 */
export async function synthesizeLikeAzure2019(
  options: SynthLikeAzure2019Options,
): Promise<SynthLikeAzure2019Result> {
  const { seed, functions: n, minutes, day, memory, outDir } = checkOptions(options);
  const model = likeAzure2019Model(seed, n);
  const { appOf, appStart, trigger, ratePerDay, bursty, averageMs, durationSigma, appMemoryMb } = model;
  const apps = appMemoryMb.length;
  const rng = (aspect: string) => new Random(seed, hash32(`azure2019-like/${aspect}`));
  const identities = synthIdentities(rng, n, apps, Math.ceil(apps / 2));
  const { ownerIds, appIds, ownerOf } = identities;
  const idPrefix = idPrefixer(identities, appOf);
  const files: SynthLikeAzure2019Result['files'] = await rawDayFiles(outDir, day, memory);

  const diurnal = new Float64Array(minutes);
  for (let t = 0; t < minutes; t++) {
    diurnal[t] = 1 + DIURNAL_DEPTH * Math.cos((2 * Math.PI * (t - DIURNAL_PEAK_MINUTE)) / 1440);
  }
  const burst = new Float64Array(minutes);
  const row = new Uint32Array(minutes);
  const totals = new Float64Array(n);
  let invocations = 0;
  let nonEmptyMinutes = 0;
  const out = await BufferedFile.create(files.invocations, 256 + 11 * minutes);
  try {
    out.text(`${[...AZURE2019_ID_COLUMNS, ...Array.from({ length: minutes }, (_, i) => i + 1)].join(',')}\n`);
    for (let a = 0; a < apps; a++) {
      if (bursty[a]) burstSchedule(new Random(seed, hash32(`azure2019-like/bursts/${day}/${a}`)), burst);
      for (let fn = appStart[a]!; fn < appStart[a + 1]!; fn++) {
        const r = new Random(seed, hash32(`azure2019-like/arrivals/${day}/${fn}`));
        const perMinute = ratePerDay[fn]! / 1440;
        let total = 0;
        if (trigger[fn] === TIMER) total = timerRow(r, perMinute, row);
        else {
          for (let t = 0; t < minutes; t++) {
            const c = poisson(r, perMinute * diurnal[t]! * (bursty[a] ? burst[t]! : 1));
            row[t] = c;
            total += c;
          }
        }
        if (total === 0) {
          row[below(r, minutes)] = 1;
          total = 1;
        }
        out.text(`${idPrefix(fn)},${TRIGGERS[trigger[fn]!]}`);
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
    }
  } finally {
    await out.close();
  }

  const dayJitter = new Random(seed, hash32(`azure2019-like/durations/${day}`));
  const durations = await BufferedFile.create(files.durations, 1024);
  try {
    durations.text(RAW_DURATIONS_HEADER);
    for (const fn of shuffle(
      rng(`row-order/${day}`),
      Array.from({ length: n }, (_, i) => i),
    )) {
      const s = durationSigma[fn]!;
      const average = Math.min(MAX_AVERAGE_MS, averageMs[fn]! * Math.exp(0.05 * normal(dayJitter)));
      const median = average * Math.exp((-s * s) / 2);
      const at = (p: number) => ms(median * Math.exp(s * PERCENTILE_Z[p]!));
      const points = DURATION_PERCENTILES.map(at);
      durations.text(
        `${idPrefix(fn)},${ms(average)},${totals[fn]},${at(0)},${at(100)},${points.join(',')}\n`,
      );
      await durations.maybeFlush();
    }
  } finally {
    await durations.close();
  }

  if (files.memory !== undefined) {
    const mem = await BufferedFile.create(files.memory, 1024);
    try {
      mem.text(RAW_MEMORY_HEADER);
      const order = rng(`memory-order/${day}`);
      for (const app of shuffle(
        order,
        Array.from({ length: apps }, (_, i) => i),
      )) {
        const m = appMemoryMb[app]!;
        const at = (p: number) => (m * Math.exp(0.15 * PERCENTILE_Z[p]!)).toFixed(1);
        mem.text(
          `${ownerIds[ownerOf[app]!]},${appIds[app]},${1000 + below(order, 100_000)},${m.toFixed(1)},${MEMORY_PERCENTILES.map(at).join(',')}\n`,
        );
        await mem.maybeFlush();
      }
    } finally {
      await mem.close();
    }
  }
  return { files, functions: n, apps, minutes, invocations, nonEmptyMinutes, invocationsBytes: out.written };
}

/** Milliseconds with µs precision, so sub-millisecond averages stay above 0 for the log-normal fit. */
const ms = (x: number) => (Math.round(x * 1000) / 1000).toString();

/**
 * A timer's minutes: every round(1440 / rate) minutes from a random phase, or several per minute
 * above one a minute. Returns the total.
 */
function timerRow(r: Random, perMinute: number, row: Uint32Array): number {
  const minutes = row.length;
  const period = perMinute >= 1 ? 1 : Math.min(1440, Math.max(1, Math.round(1 / perMinute)));
  const each = perMinute >= 1 ? Math.round(perMinute) : 1;
  const phase = below(r, period);
  let total = 0;
  for (let t = 0; t < minutes; t++) {
    const c = (t - phase) % period === 0 && t >= phase ? each : 0;
    row[t] = c;
    total += c;
  }
  return total;
}

/**
 * An on/off schedule: on periods of mean 2 to 60 minutes (log-uniform), on 5% to 30% of the time;
 * `out[t]` is 1 / (share of minutes on) when on, else 0, so the day's mean is kept.
 */
function burstSchedule(r: Random, out: Float64Array): void {
  const minutes = out.length;
  const meanOn = Math.exp(Math.log(2) + r.next() * Math.log(30));
  const onShare = 0.05 + 0.25 * r.next();
  const meanOff = (meanOn * (1 - onShare)) / onShare;
  let on = r.next() < onShare;
  let onMinutes = 0;
  for (let t = 0; t < minutes; t++) {
    if (r.next() < 1 / (on ? meanOn : meanOff)) on = !on;
    out[t] = on ? 1 : 0;
    if (on) onMinutes++;
  }
  if (onMinutes === 0) {
    out[below(r, minutes)] = 1;
    onMinutes = 1;
  }
  for (let t = 0; t < minutes; t++) out[t]! *= minutes / onMinutes;
}

function checkOptions(o: SynthLikeAzure2019Options) {
  const errors: string[] = [];
  const int = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max)
      errors.push(`${name} must be an integer in [${min}, ${max}], not ${v}`);
  };
  const functions = o.functions ?? AZURE2019_PAPER.functions;
  const minutes = o.minutes ?? 1440;
  const day = o.day ?? 1;
  int('seed', o.seed, -(2 ** 31), 2 ** 32 - 1);
  int('functions', functions, 1, 10_000_000);
  int('minutes', minutes, 1, 1_000_000);
  int('day', day, 1, 99);
  if (errors.length > 0)
    throw new FaasloadError('E_USAGE', `trace synth --like azure2019: ${errors.join('; ')}`);
  return { seed: o.seed, functions, minutes, day, memory: o.memory ?? day <= 12, outDir: o.outDir };
}
