import type { ArrivalSource, Trace } from '../trace/types.js';
import { type PaperCheck, paperChecks } from './paper-check.js';
import { everyFunctions, type FunctionStats, functionStats } from './trace-figures.js';

/**
 * The numbers behind the figures of "Serverless in the Wild" that `trace figures` draws, in the
 * terms the paper states them (`trace figures --json`; src/report/paper-check.ts puts them beside
 * the paper's). Shares are fractions in [0, 1]; rates are invocations per day (a trace shorter
 * than a day is scaled to 24 h, as the daily-invocations figure does). A group is null when the
 * trace has no data for it (no apps, no triggers, no durations, no memory).
 *
 * Conventions:
 * - apps are the functions' `app` (or `user`); an app's invocations are the sum of its functions';
 * - IAT coefficients of variation as in the iat-cv figure (population standard deviation over
 *   mean; invocations of a bin spread evenly in it; at least 3 invocations); per app, over the
 *   merged arrivals of its functions;
 * - baselineShare: the quietest whole hour's volume over the mean hour's (the share of the volume
 *   that a constant baseline at the trough would carry);
 * - execution time: the per-function average (Azure 2019: the Average column), in seconds, over
 *   functions that have one above 0; the log-normal fit is the mean and standard deviation of ln;
 * - memory: per app, the sum of its functions' average allocated MB (Azure 2019 raw days split an
 *   app's memory evenly across its functions, so the sum is the app's).
 */
export interface TraceStatistics {
  functions: number;
  /** Figures: functionsPerApp → functions-per-app; triggers → trigger-share; rates → popularity and
   * daily-invocations; hourly → the platform's hourly volume (no figure); iatCv → iat-cv;
   * executionTime → execution-time; memory → memory (per app, where the figure is per function). */
  apps: number | null;
  invocations: number;
  spanHours: number;
  functionsPerApp: {
    one: number;
    atMostTen: number;
    elevenOrMore: number;
    hundredOrMore: number;
    mean: number;
    max: number;
  } | null;
  triggers: {
    /** Share of functions and of invocations per trigger group. */
    functions: Record<string, number>;
    invocations: Record<string, number>;
    appsWithHttp: number | null;
    appsWithTimer: number | null;
  } | null;
  /** Per app when the trace has apps, else per function. */
  rates: {
    of: 'apps' | 'functions';
    atMostHourly: number;
    atMostMinutely: number;
    atLeastMinutely: number;
    /** Share of the invocations carried by those invoked at least once a minute. */
    invocationsOfAtLeastMinutely: number;
    /** log10 of the highest over the lowest daily rate (invoked ones). */
    ordersOfMagnitude: number;
    medianPerDay: number;
  };
  hourly: { hours: number; baselineShare: number; peakOverMean: number } | null;
  iatCv: {
    functionsWithCv: number;
    functionsAboveOne: number;
    appsWithCv: number | null;
    appsAboveOne: number | null;
  };
  executionTime: {
    functions: number;
    logMeanS: number;
    logSigmaS: number;
    underOneSecond: number;
    atMostMinute: number;
    medianS: number;
    p90S: number;
  } | null;
  memory: {
    apps: number;
    medianMb: number;
    p90Mb: number;
    atMost170Mb: number;
    atMost400Mb: number;
  } | null;
}

const DAY_US = 86_400e6;
const HOUR_US = 3_600e6;

const share = (xs: ArrayLike<number>, pred: (x: number) => boolean) => {
  let k = 0;
  for (let i = 0; i < xs.length; i++) if (pred(xs[i]!)) k++;
  return xs.length === 0 ? 0 : k / xs.length;
};

/** The max or min of many values (no spread: large arrays overflow the argument list). */
const extreme = (xs: ArrayLike<number>, pick: (a: number, b: number) => number) => {
  let m = xs[0] ?? Number.NaN;
  for (let i = 1; i < xs.length; i++) m = pick(m, xs[i]!);
  return m;
};

/** Nearest-rank quantile q in [0, 1] of values (sorted here). */
function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Computes the statistics; `stats` (one functionStats per function, as traceFigures computes them)
 * saves the per-function pass when given. One more pass over the arrivals, app by app, for the
 * hourly volume and the per-app IATs; memory holds one app's merged arrivals at a time.
 */
export function traceStatistics(trace: Trace, stats?: readonly FunctionStats[]): TraceStatistics {
  const fns = trace.functions;
  const perFn = stats ?? fns.map((_, i) => functionStats(trace.arrivals(i)));
  const totals = perFn.map((s) => s.invocations);
  const invocations = totals.reduce((a, b) => a + b, 0);
  const appOfFn = everyFunctions(fns, (f) => f.app ?? f.user);
  const hasApps = appOfFn !== undefined;
  const groups = new Map<string, number[]>();
  if (appOfFn) {
    appOfFn.forEach((key, i) => {
      const list = groups.get(key);
      if (list === undefined) groups.set(key, [i]);
      else list.push(i);
    });
  }
  const apps = [...groups.values()];
  const perDay = (n: number) => (trace.spanUs > 0 ? (n * DAY_US) / trace.spanUs : Number.NaN);

  const sizes = apps.map((a) => a.length);
  const functionsPerApp =
    apps.length === 0
      ? null
      : {
          one: share(sizes, (s) => s === 1),
          atMostTen: share(sizes, (s) => s <= 10),
          elevenOrMore: share(sizes, (s) => s >= 11),
          hundredOrMore: share(sizes, (s) => s >= 100),
          mean: fns.length / apps.length,
          max: extreme(sizes, Math.max),
        };

  let triggers: TraceStatistics['triggers'] = null;
  const triggerOfFn = everyFunctions(fns, (f) => f.trigger);
  if (triggerOfFn) {
    const fnCount: Record<string, number> = {};
    const invCount: Record<string, number> = {};
    triggerOfFn.forEach((trigger, i) => {
      fnCount[trigger] = (fnCount[trigger] ?? 0) + 1;
      invCount[trigger] = (invCount[trigger] ?? 0) + totals[i]!;
    });
    const byFns: Record<string, number> = {};
    const byInv: Record<string, number> = {};
    for (const t of Object.keys(fnCount)) {
      byFns[t] = fnCount[t]! / fns.length;
      byInv[t] = invocations > 0 ? invCount[t]! / invocations : 0;
    }
    const appsWith = (t: string) =>
      apps.length === 0
        ? null
        : share(
            apps.map((a) => (a.some((i) => fns[i]!.trigger === t) ? 1 : 0)),
            (x) => x === 1,
          );
    triggers = {
      functions: byFns,
      invocations: byInv,
      appsWithHttp: appsWith('http'),
      appsWithTimer: appsWith('timer'),
    };
  }

  const unitTotals = hasApps ? apps.map((a) => a.reduce((s, i) => s + totals[i]!, 0)) : totals;
  const daily = unitTotals.map(perDay);
  const busy = daily.map((d, i) => (d >= 1440 ? unitTotals[i]! : 0)).reduce((a, b) => a + b, 0);
  const invoked = daily.filter((d) => d > 0);
  const rates: TraceStatistics['rates'] = {
    of: hasApps ? 'apps' : 'functions',
    atMostHourly: share(daily, (d) => d <= 24),
    atMostMinutely: share(daily, (d) => d <= 1440),
    atLeastMinutely: share(daily, (d) => d >= 1440),
    invocationsOfAtLeastMinutely: invocations > 0 ? busy / invocations : 0,
    ordersOfMagnitude:
      invoked.length > 0 ? Math.log10(extreme(invoked, Math.max) / extreme(invoked, Math.min)) : 0,
    medianPerDay: quantile(daily, 0.5),
  };

  // Hourly volume and per-app IATs: one pass, app by app (functions alone when there are no apps).
  const hours = Math.floor(trace.spanUs / HOUR_US + 1e-9);
  const hourly = new Float64Array(Math.max(0, hours));
  const units = hasApps ? apps : fns.map((_, i) => [i]);
  const appCvs: number[] = [];
  for (const members of units) {
    const sources = members.map((i) => trace.arrivals(i));
    for (const src of sources) addHourly(src, hourly);
    if (hasApps) {
      appCvs.push(members.length === 1 ? perFn[members[0]!]!.iatCv : functionStats(merge(sources)).iatCv);
    }
  }
  let hourlyStats: TraceStatistics['hourly'] = null;
  if (hours >= 2) {
    const mean = hourly.reduce((a, b) => a + b, 0) / hours;
    if (mean > 0)
      hourlyStats = {
        hours,
        baselineShare: extreme(hourly, Math.min) / mean,
        peakOverMean: extreme(hourly, Math.max) / mean,
      };
  }
  const fnCvs = perFn.map((s) => s.iatCv).filter((x) => !Number.isNaN(x));
  const withCv = appCvs.filter((x) => !Number.isNaN(x));
  const iatCv: TraceStatistics['iatCv'] = {
    functionsWithCv: fnCvs.length,
    functionsAboveOne: share(fnCvs, (x) => x > 1),
    appsWithCv: hasApps ? withCv.length : null,
    appsAboveOne: hasApps ? share(withCv, (x) => x > 1) : null,
  };

  const avgS = fns
    .map((f, i) => (f.durationMs?.average ?? perFn[i]!.meanDurationMs) / 1000)
    .filter((x) => x > 0 && Number.isFinite(x));
  let executionTime: TraceStatistics['executionTime'] = null;
  if (avgS.length > 0) {
    const logs = avgS.map(Math.log);
    const logMeanS = logs.reduce((a, b) => a + b, 0) / logs.length;
    const logSigmaS = Math.sqrt(logs.reduce((a, b) => a + (b - logMeanS) ** 2, 0) / logs.length);
    executionTime = {
      functions: avgS.length,
      logMeanS,
      logSigmaS,
      underOneSecond: share(avgS, (x) => x < 1),
      atMostMinute: share(avgS, (x) => x <= 60),
      medianS: quantile(avgS, 0.5),
      p90S: quantile(avgS, 0.9),
    };
  }

  let memory: TraceStatistics['memory'] = null;
  const memUnits = hasApps ? apps : fns.map((_, i) => [i]);
  // Units whose every function has an average memory: their sum.
  const appMb = memUnits.flatMap((a) => {
    let sum = 0;
    for (const i of a) {
      const mb = fns[i]?.memoryMb?.average;
      if (mb === undefined) return [];
      sum += mb;
    }
    return [sum];
  });
  if (appMb.length > 0) {
    memory = {
      apps: appMb.length,
      medianMb: quantile(appMb, 0.5),
      p90Mb: quantile(appMb, 0.9),
      atMost170Mb: share(appMb, (x) => x <= 170),
      atMost400Mb: share(appMb, (x) => x <= 400),
    };
  }

  return {
    functions: fns.length,
    apps: hasApps ? apps.length : null,
    invocations,
    spanHours: trace.spanUs / HOUR_US,
    functionsPerApp,
    triggers,
    rates,
    hourly: hourlyStats,
    iatCv,
    executionTime,
    memory,
  };
}

/** Adds a source's invocations to the volume of each whole hour (the last partial hour is left out). */
function addHourly(src: ArrivalSource, hourly: Float64Array): void {
  if (src.kind === 'times') {
    for (const t of src.atUs) {
      const h = Math.floor(t / HOUR_US);
      if (h >= 0 && h < hourly.length) hourly[h]! += 1;
    }
    return;
  }
  for (let i = 0; i < src.counts.length; i++) {
    const c = src.counts[i]!;
    if (c === 0) continue;
    const h = Math.floor((src.startUs + (src.bins ? src.bins[i]! : i) * src.binUs) / HOUR_US);
    if (h >= 0 && h < hourly.length) hourly[h]! += c;
  }
}

/**
 * One app's arrivals from its functions': bins added up when every source is binned alike (the
 * Azure 2019 readers), times merged otherwise (binned sources then count at their bin's start).
 */
function merge(sources: readonly ArrivalSource[]): ArrivalSource {
  const first = sources[0]!;
  if (
    first.kind === 'counts' &&
    sources.every((s) => s.kind === 'counts' && s.binUs === first.binUs && s.startUs === first.startUs)
  ) {
    const bins = new Map<number, number>();
    for (const s of sources) {
      if (s.kind !== 'counts') continue;
      for (let i = 0; i < s.counts.length; i++) {
        const c = s.counts[i]!;
        if (c === 0) continue;
        const b = s.bins ? s.bins[i]! : i;
        bins.set(b, (bins.get(b) ?? 0) + c);
      }
    }
    const order = [...bins].sort(([a], [b]) => a - b);
    return {
      kind: 'counts',
      startUs: first.startUs,
      binUs: first.binUs,
      bins: Uint32Array.from(order, ([bin]) => bin),
      counts: Uint32Array.from(order, ([, count]) => count),
    };
  }
  const times: number[] = [];
  for (const s of sources) {
    if (s.kind === 'times') for (const t of s.atUs) times.push(t);
    else
      for (let i = 0; i < s.counts.length; i++)
        for (let k = 0; k < s.counts[i]!; k++) times.push(s.startUs + (s.bins ? s.bins[i]! : i) * s.binUs);
  }
  return { kind: 'times', atUs: Float64Array.from(times.sort((a, b) => a - b)) };
}

/** What `faasload trace figures --json` prints. */
export interface TraceFiguresJson {
  trace: { format: string; files: readonly string[] };
  /** The numbers behind the figures (see TraceStatistics for which figure each group feeds). */
  statistics: TraceStatistics;
  /** The statistics beside the numbers "Serverless in the Wild" publishes. */
  paper: PaperCheck[];
}

export function traceFiguresJson(trace: Trace, stats?: readonly FunctionStats[]): TraceFiguresJson {
  const statistics = traceStatistics(trace, stats);
  return { trace: { format: trace.format, files: trace.files }, statistics, paper: paperChecks(statistics) };
}
