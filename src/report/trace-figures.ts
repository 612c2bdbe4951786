import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FaasloadError } from '../errors.js';
import type { ArrivalSource, Percentiles, Trace, TraceFunction } from '../trace/types.js';
import { messageOf } from '../util/message.js';
import {
  ecdfRows,
  type Figure,
  type FigureRow,
  rowsOffLogAxes,
  type WrittenFigure,
  writeFigures,
} from './plot/index.js';

/**
 * The characterization figures of "Serverless in the Wild" (Shahrad et al., USENIX ATC 2020),
 * computed from any trace the readers produce. Each figure is drawn only when the trace carries
 * its data; the others are listed in `skipped` with the reason. What each format gives:
 *
 * | figure            | azure2019 | azure2021 | huawei2023 | faasload | csv                  |
 * | functions-per-app | yes       | yes       | no apps    | yes (user)| no apps             |
 * | trigger-share     | yes       | no        | no         | no       | no                   |
 * | popularity        | yes       | yes       | yes        | yes      | yes                  |
 * | daily-invocations | yes       | yes       | yes        | yes      | yes                  |
 * | iat-cv            | minute bins | exact   | bins       | exact    | exact                |
 * | execution-time    | yes       | yes       | no         | if durations | if --duration-column |
 * | memory            | yes       | no        | no         | one value per file | if --memory-column |
 *
 * Conventions (they matter when comparing with the paper):
 * - Daily invocations: a function's invocations over the trace's span, scaled to 24 h (a span
 *   shorter than a day is extrapolated; the figure's note says so).
 * - Inter-arrival times of binned traces (Azure 2019 minutes): a bin's c invocations are placed
 *   evenly inside it, at (k + 0.5)/c of the bin, as `--iat equidistant` replays them; functions
 *   with fewer than 3 invocations have no CV. IATs within a minute are unknown in the trace, so
 *   CVs of busy functions are lower than the paper's, which had no finer data either.
 * - Execution time (Azure 2019): per function, the Average column and the 0th and 100th
 *   percentile columns, which the files fill with the function's minimum and maximum; times
 *   traces: the mean, minimum and maximum of the function's invocation durations.
 * - Memory (Azure 2019): allocated MB, average and 1st/99th percentiles per function (the
 *   In-Vitro layout splits an app's memory across its functions; raw days are per app).
 */
export interface TraceFigures {
  figures: Figure[];
  /** Figures that the trace has no data for: name and reason. */
  skipped: { name: string; reason: string }[];
}

const DAY_US = 86_400e6;

/** Per-function totals and inter-arrival statistics, one pass over each function's arrivals. */
export interface FunctionStats {
  invocations: number;
  /** Coefficient of variation of the inter-arrival times; NaN below 3 invocations. */
  iatCv: number;
  /** From the invocations' own durations (times traces), NaN when unknown. */
  meanDurationMs: number;
  minDurationMs: number;
  maxDurationMs: number;
}

/** Welford's running mean and variance. */
class Running {
  n = 0;
  mean = 0;
  private m2 = 0;
  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  /** Adds `m` copies of x at once (Chan et al.'s pairwise update): O(1) for a whole bin. */
  addMany(x: number, m: number): void {
    if (m <= 0) return;
    const n = this.n + m;
    const d = x - this.mean;
    this.mean += (d * m) / n;
    this.m2 += (d * d * this.n * m) / n;
    this.n = n;
  }
  /** Population standard deviation over mean; NaN when n < 2 or the mean is 0. */
  cv(): number {
    if (this.n < 2 || this.mean === 0) return Number.NaN;
    return Math.sqrt(this.m2 / this.n) / this.mean;
  }
}

/** One function's statistics; binned arrivals are spread evenly inside their bin (see above). */
export function functionStats(src: ArrivalSource): FunctionStats {
  const iat = new Running();
  let last = Number.NaN;
  let invocations = 0;
  const at = (t: number) => {
    if (!Number.isNaN(last)) iat.add(t - last);
    last = t;
    invocations++;
  };
  let mean = Number.NaN;
  let min = Number.NaN;
  let max = Number.NaN;
  if (src.kind === 'times') {
    for (const t of src.atUs) at(t);
    if (src.durationMs) {
      const d = new Running();
      for (const x of src.durationMs) {
        if (Number.isNaN(x)) continue;
        d.add(x);
        min = Number.isNaN(min) ? x : Math.min(min, x);
        max = Number.isNaN(max) ? x : Math.max(max, x);
      }
      if (d.n > 0) mean = d.mean;
    }
  } else {
    // A bin of c invocations: the gap from the previous one to its first, then c - 1 equal gaps.
    for (let i = 0; i < src.counts.length; i++) {
      const c = src.counts[i]!;
      if (c === 0) continue;
      const start = src.startUs + (src.bins ? src.bins[i]! : i) * src.binUs;
      at(start + (0.5 * src.binUs) / c);
      iat.addMany(src.binUs / c, c - 1);
      invocations += c - 1;
      last = start + ((c - 0.5) * src.binUs) / c;
    }
  }
  return { invocations, iatCv: iat.cv(), meanDurationMs: mean, minDurationMs: min, maxDurationMs: max };
}

const pointAt = (p: Percentiles | undefined, percentile: number) =>
  p?.points.find(([q]) => q === percentile)?.[1] ?? Number.NaN;

/** Cumulative share of invocations held by the most popular fraction of `totals` (sorted down). */
export function popularityRows(totals: readonly number[], series: string, maxPoints = 1000): FigureRow[] {
  const sorted = [...totals].sort((a, b) => b - a);
  const all = sorted.reduce((s, x) => s + x, 0);
  const n = sorted.length;
  const rows: FigureRow[] = [];
  if (n === 0 || all === 0) return rows;
  const step = Math.max(1, Math.floor(n / maxPoints));
  let cum = 0;
  for (let i = 0; i < n; i++) {
    cum += sorted[i]!;
    if ((i + 1) % step === 0 || i === n - 1)
      rows.push({ fraction_of_top: (i + 1) / n, share_of_invocations: cum / all, of: series });
  }
  return rows;
}

/** The sum of `values` per key: keys[i] and values[i] belong to function i. */
function groupSum(keys: readonly string[], values: readonly number[]): Map<string, number> {
  const sums = new Map<string, number>();
  keys.forEach((key, i) => {
    sums.set(key, (sums.get(key) ?? 0) + (values[i] ?? 0));
  });
  return sums;
}

/** Each function's `of`, in order; undefined when there are none or one of them has none. */
export function everyFunctions(fns: readonly TraceFunction[], of: (f: TraceFunction) => string | undefined) {
  const out: string[] = [];
  for (const f of fns) {
    const v = of(f);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out.length > 0 ? out : undefined;
}

const logNote = (fig: Figure, what: string) => {
  const off = rowsOffLogAxes(fig);
  return off > 0 ? ` ${off} ${what} at 0 are not on the log axis (they are in the CSV).` : '';
};

/** functionStats of every function of the trace, in order. */
export function traceFunctionStats(trace: Trace): FunctionStats[] {
  return trace.functions.map((_, i) => functionStats(trace.arrivals(i)));
}

/**
 * Computes the figures (data only; draw them with writeFigures). `label` names the trace in
 * titles. One pass over every function's arrivals (unless `stats`, traceFunctionStats of this
 * trace, is given): memory is the per-function statistics.
 */
export function traceFigures(
  trace: Trace,
  label: string = trace.format,
  stats: readonly FunctionStats[] = traceFunctionStats(trace),
): TraceFigures {
  const fns = trace.functions;
  const totals = stats.map((s) => s.invocations);
  const figures: Figure[] = [];
  const skipped: TraceFigures['skipped'] = [];
  // The app (or user) and the trigger of every function, when the trace names them all.
  const apps = everyFunctions(fns, (f) => f.app ?? f.user);
  const triggers = everyFunctions(fns, (f) => f.trigger);
  const ones = fns.map(() => 1);
  const spanH = trace.spanUs / 3.6e9;

  if (apps) {
    const perApp = groupSum(apps, ones);
    figures.push({
      name: 'functions-per-app',
      title: `Functions per app (${label})`,
      kind: 'step',
      x: { field: 'value', title: 'functions per app', scale: 'log' },
      y: { field: 'fraction', title: 'CDF of apps', domain: [0, 1] },
      rows: ecdfRows([...perApp.values()]),
      note: `${perApp.size} apps, ${fns.length} functions.`,
    });
  } else
    skipped.push({ name: 'functions-per-app', reason: `${trace.format} traces name no app of a function` });

  if (triggers) {
    const byFns = [...groupSum(triggers, ones)].sort(([a, na], [b, nb]) => nb - na || a.localeCompare(b));
    const byInv = groupSum(triggers, totals);
    const allInv = totals.reduce((s, x) => s + x, 0);
    const rows: FigureRow[] = [];
    for (const [t, n] of byFns) rows.push({ of: 'functions', trigger: t, share: n / fns.length });
    for (const [t] of byFns)
      rows.push({ of: 'invocations', trigger: t, share: allInv ? (byInv.get(t) ?? 0) / allInv : 0 });
    figures.push({
      name: 'trigger-share',
      title: `Functions and invocations by trigger (${label})`,
      kind: 'stacked-bar',
      x: { field: 'of', title: 'share of', scale: 'band' },
      y: { field: 'share', title: 'share', format: '%', domain: [0, 1] },
      series: { field: 'trigger', title: 'trigger' },
      rows,
      width: 320,
    });
  } else
    skipped.push({ name: 'trigger-share', reason: `${trace.format} traces have no trigger per function` });

  const popularity = popularityRows(totals, 'functions');
  if (apps) popularity.push(...popularityRows([...groupSum(apps, totals).values()], 'apps'));
  if (popularity.length > 0) {
    figures.push({
      name: 'popularity',
      title: `Cumulative share of invocations by the most popular (${label})`,
      kind: 'line',
      x: { field: 'fraction_of_top', title: 'fraction of most popular functions / apps', format: '%' },
      y: {
        field: 'share_of_invocations',
        title: 'cumulative share of invocations',
        format: '%',
        domain: [0, 1],
      },
      series: { field: 'of', title: '' },
      rows: popularity,
    });
  } else skipped.push({ name: 'popularity', reason: 'the trace has no invocations' });

  if (trace.spanUs > 0 && fns.length > 0) {
    const perDay = (n: number) => (n * DAY_US) / trace.spanUs;
    const rows = ecdfRows(totals.map(perDay), { field: 'of', name: 'functions' });
    if (apps) {
      const perApp = [...groupSum(apps, totals).values()].map(perDay);
      rows.push(...ecdfRows(perApp, { field: 'of', name: 'apps' }));
    }
    const fig: Figure = {
      name: 'daily-invocations',
      title: `Invocations per day (${label})`,
      kind: 'step',
      x: { field: 'value', title: 'invocations per day', scale: 'log' },
      y: { field: 'fraction', title: 'CDF', domain: [0, 1] },
      series: { field: 'of', title: '' },
      rows,
    };
    fig.note =
      (Math.abs(spanH - 24) > 1e-9
        ? `The trace spans ${+spanH.toFixed(2)} h: counts are scaled to 24 h.`
        : 'Counts over one day.') + logNote(fig, 'rows');
    figures.push(fig);
  } else skipped.push({ name: 'daily-invocations', reason: 'the trace spans no time or has no functions' });

  const cvRows = ecdfRows(
    stats.map((s) => s.iatCv),
    { field: 'functions', name: 'all' },
  );
  if (cvRows.length > 0 && triggers) {
    for (const t of [...new Set(triggers)].sort()) {
      const cvs = stats.filter((_, i) => triggers[i] === t).map((s) => s.iatCv);
      cvRows.push(...ecdfRows(cvs, { field: 'functions', name: t }));
    }
  }
  if (cvRows.length > 0) {
    const binned = fns.length > 0 && trace.arrivals(0).kind === 'counts';
    const withCv = stats.filter((s) => !Number.isNaN(s.iatCv)).length;
    figures.push({
      name: 'iat-cv',
      title: `Coefficient of variation of inter-arrival times (${label})`,
      kind: 'step',
      x: { field: 'value', title: 'CV of inter-arrival times' },
      y: { field: 'fraction', title: 'CDF of functions', domain: [0, 1] },
      series: { field: 'functions', title: 'functions' },
      rows: cvRows,
      note: `${withCv} of ${fns.length} functions have 3 invocations or more.${binned ? ' Invocations of a bin are spread evenly inside it.' : ''}`,
    });
  } else skipped.push({ name: 'iat-cv', reason: 'no function has 3 invocations or more' });

  const avg = fns.map((f, i) => f.durationMs?.average ?? stats[i]!.meanDurationMs);
  const min = fns.map((f, i) => (f.durationMs ? pointAt(f.durationMs, 0) : stats[i]!.minDurationMs));
  const max = fns.map((f, i) => (f.durationMs ? pointAt(f.durationMs, 100) : stats[i]!.maxDurationMs));
  const execRows = [
    ...ecdfRows(avg, { field: 'statistic', name: 'average' }),
    ...ecdfRows(min, { field: 'statistic', name: 'minimum' }),
    ...ecdfRows(max, { field: 'statistic', name: 'maximum' }),
  ];
  if (execRows.length > 0) {
    const fig: Figure = {
      name: 'execution-time',
      title: `Execution time per function (${label})`,
      kind: 'step',
      x: { field: 'value', title: 'execution time (ms)', scale: 'log' },
      y: { field: 'fraction', title: 'CDF of functions', domain: [0, 1] },
      series: { field: 'statistic', title: 'per function' },
      rows: execRows,
    };
    fig.note = `${avg.filter((x) => !Number.isNaN(x)).length} of ${fns.length} functions have durations.${logNote(fig, 'rows')}`;
    figures.push(fig);
  } else skipped.push({ name: 'execution-time', reason: `this ${trace.format} trace has no durations` });

  const memRows = [
    ...ecdfRows(
      fns.map((f) => f.memoryMb?.average ?? Number.NaN),
      { field: 'statistic', name: 'average' },
    ),
    ...ecdfRows(
      fns.map((f) => pointAt(f.memoryMb, 1)),
      { field: 'statistic', name: '1st percentile' },
    ),
    ...ecdfRows(
      fns.map((f) => pointAt(f.memoryMb, 99)),
      { field: 'statistic', name: '99th percentile' },
    ),
  ];
  if (memRows.length > 0) {
    const fig: Figure = {
      name: 'memory',
      title: `Allocated memory per function (${label})`,
      kind: 'step',
      x: { field: 'value', title: 'allocated memory (MB)', scale: 'log' },
      y: { field: 'fraction', title: 'CDF of functions', domain: [0, 1] },
      series: { field: 'statistic', title: 'per function' },
      rows: memRows,
    };
    fig.note = `${fns.filter((f) => f.memoryMb?.average !== undefined).length} of ${fns.length} functions have memory.${logNote(fig, 'rows')}`;
    figures.push(fig);
  } else skipped.push({ name: 'memory', reason: `this ${trace.format} trace has no memory per function` });

  return { figures, skipped };
}

/** What writeTraceFigures wrote. */
export interface TraceFiguresResult {
  dir: string;
  written: WrittenFigure[];
  skipped: TraceFigures['skipped'];
}

/**
 * Computes the figures of `trace` and writes each as SVG, CSV, Vega-Lite spec (and PNG unless
 * `png` is false) into `dir`, plus `figures.json`: the trace's files, each figure's files and
 * note, and the skipped figures with their reasons. Errors: E_DATASET naming the file.
 */
export async function writeTraceFigures(
  trace: Trace,
  dir: string,
  options: { png?: boolean; label?: string; stats?: readonly FunctionStats[] } = {},
): Promise<TraceFiguresResult> {
  const { figures, skipped } = traceFigures(trace, options.label, options.stats);
  const written = await writeFigures(dir, figures, { png: options.png ?? true });
  const index = {
    trace: { format: trace.format, files: trace.files },
    figures: figures.map((f, i) => ({
      name: f.name,
      title: f.title,
      note: f.note ?? null,
      files: Object.values(written[i]!)
        .slice(1)
        .map((p) => basename(p)),
    })),
    skipped,
  };
  const path = join(dir, 'figures.json');
  await writeFile(path, `${JSON.stringify(index, null, 2)}\n`).catch((err: unknown) => {
    throw new FaasloadError('E_DATASET', `cannot write ${path}: ${messageOf(err)}`, { cause: err });
  });
  return { dir, written, skipped };
}

/** The lines `faasload trace figures` prints. */
export function formatTraceFigures(r: TraceFiguresResult): string {
  return [
    ...r.written.map((w) => `${w.name.padEnd(18)} ${w.svg}`),
    ...r.skipped.map((s) => `${s.name.padEnd(18)} skipped: ${s.reason}`),
  ].join('\n');
}
