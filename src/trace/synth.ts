import { FaasloadError } from '../errors.js';
import { hash32, Random } from '../util/random.js';
import { AZURE2019_ID_COLUMNS } from './azure2019.js';
import { DURATION_PERCENTILES, MEMORY_PERCENTILES } from './azure2019-join.js';
import { AZURE2021_COLUMNS } from './azure2021.js';
import { below, hexId, lognormal, percentileOf, shuffle, zipfShares } from './synth-random.js';

/**
 * Synthetic traces in the public Azure shapes, for the bundled samples and for tests. They look
 * like the real ones in the ways a replay cares about (heavy-tailed popularity, Poisson arrivals,
 * lognormal durations with a few seconds-long calls) but model nothing else. Every output is a
 * pure function of its options: same seed → identical bytes. Each aspect draws from its own
 * stream of the seed, so changing one aspect's code does not reshuffle the others.
 */

/** Popularity exponent: rank r gets a share proportional to 1/r^ZIPF_EXPONENT. */
const ZIPF_EXPONENT = 1.1;
/** Function median durations scatter around this (ms), log-sigma 1.2; calls around theirs, 0.6. */
export const MEDIAN_DURATION_MS = 50;
export const MAX_DURATION_MS = 300_000;

export interface SynthAzure2021Options {
  seed: number;
  functions: number;
  apps: number;
  /** Arrivals fall in [0, spanS); end times may run past it by their duration. */
  spanS: number;
  /** Exact number of rows; every function gets at least one. */
  invocations: number;
}

/**
 * An Azure 2021 CSV (app,func,end_timestamp,duration, seconds, LF line ends, trailing newline),
 * rows ordered by start time as in the real file. Each function's arrivals are a Poisson process
 * conditioned on its count (uniform times); counts follow Zipf-like popularity and sum to exactly
 * `invocations`. Durations are whole milliseconds, so a few come out as 0 as in the real trace.
 */
export function synthesizeAzure2021(options: SynthAzure2021Options): string {
  const { seed, functions: n, apps, spanS, invocations } = options;
  checkShape(n, apps, invocations);
  if (!(spanS > 0))
    throw new FaasloadError('E_USAGE', `synthesizeAzure2021: spanS must be > 0, not ${spanS}`);
  const rng = (aspect: string) => new Random(seed, hash32(`azure2021/${aspect}`));

  const ids = rng('ids');
  const appIds = Array.from({ length: apps }, () => hexId(ids));
  const funcIds = Array.from({ length: n }, () => hexId(ids));
  const appOf = assignGroups(rng('apps'), n, apps);
  const counts = zipfShares(rng('popularity'), invocations, n, ZIPF_EXPONENT);
  const medians = medianDurationsMs(rng('durations'), n);

  const rows: Array<{ startUs: number; fn: number; durationMs: number }> = [];
  counts.forEach((count, fn) => {
    const r = rng(`arrivals/${fn}`);
    for (let k = 0; k < count; k++) {
      const startUs = Math.floor(r.next() * spanS * 1e6);
      rows.push({ startUs, fn, durationMs: callDurationMs(r, medians[fn]!) });
    }
  });
  rows.sort((a, b) => a.startUs - b.startUs || a.fn - b.fn || a.durationMs - b.durationMs);

  const lines = [AZURE2021_COLUMNS.join(',')];
  for (const { startUs, fn, durationMs } of rows) {
    const endS = ((startUs + durationMs * 1000) / 1e6).toFixed(6);
    lines.push(`${appIds[appOf[fn]!]},${funcIds[fn]},${endS},${(durationMs / 1000).toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface SynthAzure2019Options {
  seed: number;
  functions: number;
  apps: number;
  /** Owners of the apps; default half the apps, rounded up. */
  owners?: number;
  /** Number of minute columns. */
  minutes: number;
  /** Label of the first minute column (the raw files start at 1, In-Vitro samples anywhere). Default 1. */
  firstMinute?: number;
  /** Exact sum of all minute counts; every function gets at least one. */
  invocations: number;
}

/** The three CSV texts of the In-Vitro layout: invocations.csv, durations.csv, memory.csv. */
export interface SynthAzure2019Files {
  invocations: string;
  durations: string;
  memory: string;
}

/**
 * An Azure 2019 trace in the In-Vitro layout. Every function has one row in each file, joined on
 * (HashOwner, HashApp, HashFunction); durations and memory rows are shuffled so a reader must join,
 * not zip. Timer-triggered functions fire evenly, the others at uniform random minutes. Durations
 * (ms) are percentiles of sampled calls, Count = the function's invocations; memory (MB) is sampled
 * per app and split evenly across the app's functions, as the In-Vitro sampler does.
 */
export function synthesizeAzure2019(options: SynthAzure2019Options): SynthAzure2019Files {
  const { seed, functions: n, apps, minutes, invocations, firstMinute = 1 } = options;
  const owners = options.owners ?? Math.ceil(apps / 2);
  checkShape(n, apps, invocations);
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new FaasloadError(
      'E_USAGE',
      `synthesizeAzure2019: minutes must be a positive integer, not ${minutes}`,
    );
  }
  if (!Number.isInteger(owners) || owners < 1 || owners > apps) {
    throw new FaasloadError(
      'E_USAGE',
      `synthesizeAzure2019: owners must be an integer in [1, apps], not ${owners}`,
    );
  }
  const rng = (aspect: string) => new Random(seed, hash32(`azure2019/${aspect}`));

  const { ownerIds, appIds, funcIds, ownerOf, appOf } = synthIdentities(rng, n, apps, owners);
  const key = (fn: number) => {
    const app = appOf[fn]!;
    return { owner: ownerIds[ownerOf[app]!]!, app: appIds[app]!, func: funcIds[fn]! };
  };
  const triggerRng = rng('triggers');
  const triggers = Array.from({ length: n }, () => pickTrigger(triggerRng));
  const totals = zipfShares(rng('popularity'), invocations, n, ZIPF_EXPONENT);

  const minuteLabels = Array.from({ length: minutes }, (_, i) => String(firstMinute + i));
  const invocationLines = [[...AZURE2019_ID_COLUMNS, ...minuteLabels].join(',')];
  totals.forEach((total, fn) => {
    const counts = spreadOverMinutes(rng(`arrivals/${fn}`), total, minutes, triggers[fn] === 'timer');
    const { owner, app, func } = key(fn);
    invocationLines.push([owner, app, func, triggers[fn], ...counts].join(','));
  });

  const medians = medianDurationsMs(rng('durations'), n);
  const durationLines = totals.map((total, fn) => {
    const r = rng(`durations/${fn}`);
    const calls = Array.from({ length: 100 + total }, () => callDurationMs(r, medians[fn]!)).sort(
      (a, b) => a - b,
    );
    const mean = Math.round(calls.reduce((a, b) => a + b, 0) / calls.length);
    const { owner, app, func } = key(fn);
    const points = DURATION_PERCENTILES.map((p) => percentileOf(calls, p));
    const min = calls[0]!.toFixed(1);
    const max = calls[calls.length - 1]!.toFixed(1);
    return [owner, app, func, mean, total, min, max, ...points].join(',');
  });

  const functionsOfApp = new Array<number>(apps).fill(0);
  for (const app of appOf) functionsOfApp[app]! += 1;
  const memoryRng = rng('memory');
  const appMemory = Array.from({ length: apps }, () => sampleAppMemoryMb(memoryRng));
  const memoryLines = appOf.map((app, fn) => {
    const { owner, app: appId, func } = key(fn);
    const m = appMemory[app]!;
    const split = (v: number) => v / functionsOfApp[app]!;
    return [func, owner, appId, m.sampleCount, split(m.average), ...m.points.map(split)].join(',');
  });

  const order = rng('row-order');
  return {
    invocations: `${invocationLines.join('\n')}\n`,
    durations: csv(
      [
        'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum',
        ...DURATION_PERCENTILES.map((p) => `percentile_Average_${p}`),
      ],
      shuffle(order, durationLines),
    ),
    memory: csv(
      [
        'HashFunction,HashOwner,HashApp,SampleCount,AverageAllocatedMb',
        ...MEMORY_PERCENTILES.map((p) => `AverageAllocatedMb_pct${p}`),
      ],
      shuffle(order, memoryLines),
    ),
  };
}

function csv(header: readonly string[], lines: readonly string[]): string {
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

function checkShape(functions: number, groups: number, invocations: number): void {
  const ok =
    Number.isInteger(functions) &&
    Number.isInteger(groups) &&
    Number.isInteger(invocations) &&
    functions >= 1 &&
    groups >= 1 &&
    groups <= functions &&
    invocations >= functions;
  if (!ok) {
    throw new FaasloadError(
      'E_USAGE',
      `synthetic trace: need integers 1 <= apps <= functions <= invocations, got apps=${groups}, functions=${functions}, invocations=${invocations}`,
    );
  }
}

/** Assigns n members to g groups: the first g members one per group, the rest at random. */
/**
 * The ids (64 hex characters) of owners, apps and functions, and which app each function and
 * which owner each app belongs to, drawn from the streams `rng('ids')`, `rng('owners')` and
 * `rng('apps')`.
 */
export function synthIdentities(
  rng: (aspect: string) => Random,
  functions: number,
  apps: number,
  owners: number,
) {
  const ids = rng('ids');
  return {
    ownerIds: Array.from({ length: owners }, () => hexId(ids)),
    appIds: Array.from({ length: apps }, () => hexId(ids)),
    funcIds: Array.from({ length: functions }, () => hexId(ids)),
    ownerOf: assignGroups(rng('owners'), apps, owners),
    appOf: assignGroups(rng('apps'), functions, apps),
  };
}

export function assignGroups(rng: Random, n: number, g: number): number[] {
  return Array.from({ length: n }, (_, i) => (i < g ? i : below(rng, g)));
}

function medianDurationsMs(rng: Random, n: number): number[] {
  return Array.from({ length: n }, () => lognormal(rng, MEDIAN_DURATION_MS, 1.2));
}

/** One call's duration in whole milliseconds around the function's median. */
function callDurationMs(rng: Random, medianMs: number): number {
  return Math.min(MAX_DURATION_MS, Math.round(lognormal(rng, medianMs, 0.6)));
}

type TriggerWeight = readonly [trigger: string, weight: number];
export const TRIGGERS: readonly [TriggerWeight, ...TriggerWeight[]] = [
  ['http', 0.45],
  ['timer', 0.2],
  ['queue', 0.15],
  ['event', 0.1],
  ['storage', 0.06],
  ['orchestration', 0.04],
];

export function pickTrigger(rng: Random): string {
  let u = rng.next();
  for (const [trigger, weight] of TRIGGERS) {
    u -= weight;
    if (u < 0) return trigger;
  }
  return TRIGGERS[0][0];
}

/** Spreads `total` invocations over the minutes: evenly for a timer, uniformly at random otherwise. */
function spreadOverMinutes(rng: Random, total: number, minutes: number, periodic: boolean): number[] {
  const counts = new Array<number>(minutes).fill(0);
  const phase = rng.next();
  for (let k = 0; k < total; k++) {
    const minute = periodic ? Math.floor(((k + phase) * minutes) / total) : below(rng, minutes);
    counts[minute]! += 1;
  }
  return counts;
}

interface AppMemory {
  sampleCount: number;
  average: number;
  points: number[];
}

/** An app's allocated memory: samples around a lognormal median of ~150 MB. */
function sampleAppMemoryMb(rng: Random): AppMemory {
  const median = lognormal(rng, 150, 0.5);
  const samples = Array.from({ length: 200 }, () => lognormal(rng, median, 0.1)).sort((a, b) => a - b);
  return {
    sampleCount: 1000 + below(rng, 100_000),
    average: samples.reduce((a, b) => a + b, 0) / samples.length,
    points: MEMORY_PERCENTILES.map((p) => percentileOf(samples, p)),
  };
}
