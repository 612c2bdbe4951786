import type { RunData, RunTable } from './figures-load.js';
import { ecdfRows, type Figure, type FigureRow, rowsOffLogAxes } from './plot/index.js';

/**
 * The figures of a run report, computed from the run's tables (data only; html.ts and
 * writeFigures draw them). With several runs (`faasload report compare`) the same figures are
 * overlaid, one series per run; figures that cannot be overlaid (per instance) are per run only.
 *
 * Time axes are seconds since the run's first planned invocation (min scheduled_at), the same
 * origin for every table of a run. Rates are per second, averaged over bins chosen so that a
 * figure has at most MAX_BINS bins (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10 min...).
 */
export interface RunFigures {
  figures: Figure[];
  /** Figures not drawn, and why (no monitor tables, no failures). */
  skipped: { name: string; reason: string }[];
}

export const MAX_BINS = 300;
/** Per-function and per-instance figures show the busiest ones only. */
export const TOP_SERIES = 8;

const NICE_BINS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** The bin width for a span: the smallest nice width giving at most MAX_BINS bins. */
export function binSeconds(spanS: number): number {
  return NICE_BINS_S.find((b) => spanS / b <= MAX_BINS) ?? Math.ceil(spanS / MAX_BINS / 3600) * 3600;
}

/** The origin of a run's time axes: its first planned invocation, µs since the epoch. */
export function runOriginUs(run: RunData): number {
  let t0 = Number.POSITIVE_INFINITY;
  for (const t of run.invocations.num('scheduled_at')) if (t < t0) t0 = t;
  return Number.isFinite(t0) ? t0 : 0;
}

interface Prepared {
  run: RunData;
  t0: number;
  scheduled: Float64Array;
  sent: Float64Array;
  ended: Float64Array;
  outcome: (string | null)[];
  target: (string | null)[];
  measured: boolean[];
  /** Seconds from the first planned invocation to the last event. */
  spanS: number;
}

function prepare(run: RunData): Prepared {
  const inv = run.invocations;
  const t0 = runOriginUs(run);
  const scheduled = inv.num('scheduled_at');
  const sent = inv.num('sent_at');
  const ended = inv.num('ended_at');
  const phase = inv.has('phase') ? inv.str('phase') : null;
  let last = t0;
  for (const xs of [scheduled, sent, ended]) for (const t of xs) if (t > last) last = t;
  return {
    run,
    t0,
    scheduled,
    sent,
    ended,
    outcome: inv.str('outcome'),
    target: inv.str('target'),
    measured: Array.from({ length: inv.rows }, (_, i) => phase?.[i] !== 'warmup'),
    spanS: (last - t0) / 1e6,
  };
}

/** Counts of `times` (µs since the epoch) per bin from t0, as rates per second. */
function perSecond(
  times: Float64Array,
  t0: number,
  binS: number,
  bins: number,
  keep?: (i: number) => boolean,
) {
  const counts = new Float64Array(bins);
  times.forEach((t, i) => {
    if (Number.isNaN(t) || (keep && !keep(i))) return;
    const b = Math.floor((t - t0) / 1e6 / binS);
    if (b >= 0 && b < bins) counts[b]!++;
  });
  return counts.map((c) => c / binS);
}

function requestsFigure(ps: Prepared[], compare: boolean): Figure {
  const spanS = Math.max(1, ...ps.map((p) => p.spanS));
  const binS = binSeconds(spanS);
  const bins = Math.ceil(spanS / binS) || 1;
  const rows: FigureRow[] = [];
  for (const p of ps) {
    const kinds: [string, Float64Array][] = [
      ['planned', p.scheduled],
      ['sent', p.sent],
      ['completed', p.ended],
    ];
    for (const [kind, times] of kinds) {
      if (compare && kind === 'sent') continue;
      const rates = perSecond(times, p.t0, binS, bins);
      const series = compare ? `${p.run.label}: ${kind}` : kind;
      rates.forEach((r, b) => {
        rows.push({ second: b * binS, per_second: r, series });
      });
    }
  }
  return {
    name: 'requests-over-time',
    title: 'Planned, sent and completed invocations',
    kind: 'line',
    x: { field: 'second', title: 'time since the first planned invocation (s)' },
    y: { field: 'per_second', title: `invocations per second (${binS} s bins)`, zero: true },
    series: { field: 'series', title: '' },
    rows,
    note: `Planned at scheduled_at, sent at sent_at, completed at ended_at, counted in ${binS} s bins.${compare ? ' Sent is left out of the comparison (it follows planned unless the generator lagged).' : ''}`,
  };
}

function cdfFigure(
  name: string,
  title: string,
  axisTitle: string,
  series: [string, Float64Array][],
  seriesTitle: string,
  note: string,
): Figure {
  const rows = series.flatMap(([s, values]) => ecdfRows(values, { field: 'series', name: s }));
  const fig: Figure = {
    name,
    title,
    kind: 'step',
    x: { field: 'value', title: axisTitle, scale: 'log' },
    y: { field: 'fraction', title: 'CDF', domain: [0, 1] },
    series: { field: 'series', title: seriesTitle },
    rows,
    note,
  };
  const off = rowsOffLogAxes(fig);
  if (off > 0) fig.note += ` ${off} points at 0 are not on the log axis (they are in the CSV).`;
  return fig;
}

/** Values of a column over the measured-phase invocations that were sent (NaN dropped later). */
function sentValues(p: Prepared, column: string, scale: number, keep?: (i: number) => boolean): Float64Array {
  const xs = p.run.invocations.num(column);
  const out: number[] = [];
  xs.forEach((x, i) => {
    if (p.measured[i] && !Number.isNaN(p.sent[i]!) && !Number.isNaN(x) && (!keep || keep(i)))
      out.push(x * scale);
  });
  return Float64Array.from(out);
}

/** The busiest targets of a run (most planned invocations), at most TOP_SERIES. */
function busiest(names: readonly (string | null)[], top = TOP_SERIES): string[] {
  const counts = new Map<string, number>();
  for (const n of names) if (n !== null) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, top)
    .map(([n]) => n);
}

function latenessFigure(ps: Prepared[], compare: boolean): Figure {
  return cdfFigure(
    'lateness-cdf',
    'Lateness: sent_at - scheduled_at',
    'lateness (µs)',
    ps.map((p) => [compare ? p.run.label : 'all', sentValues(p, 'lateness_us', 1)]),
    compare ? 'run' : '',
    'Sent invocations of the measured phase (warm-up left out).',
  );
}

function latencyFigure(ps: Prepared[], compare: boolean): Figure {
  const series: [string, Float64Array][] = [];
  let note = 'Latency from send to answer, sent invocations of the measured phase.';
  for (const p of ps) {
    series.push([compare ? p.run.label : 'all functions', sentValues(p, 'latency_us', 1e-3)]);
    if (compare) continue;
    const top = busiest(p.target);
    for (const t of top) series.push([t, sentValues(p, 'latency_us', 1e-3, (i) => p.target[i] === t)]);
    const all = new Set(p.target.filter((t) => t !== null)).size;
    if (all > top.length) note += ` Per function: the ${top.length} busiest of ${all}.`;
  }
  return cdfFigure('latency-cdf', 'Latency', 'latency (ms)', series, compare ? 'run' : 'function', note);
}

function coldStartFigure(ps: Prepared[], compare: boolean): Figure | string {
  const rows: FigureRow[] = [];
  for (const p of ps) {
    if (!p.run.invocations.has('cold_start')) continue;
    const cold = p.run.invocations.num('cold_start');
    const per = new Map<string, { planned: number; known: number; cold: number }>();
    p.target.forEach((t, i) => {
      if (t === null) return;
      const s = per.get(t) ?? { planned: 0, known: 0, cold: 0 };
      s.planned++;
      if (!Number.isNaN(p.sent[i]!) && !Number.isNaN(cold[i]!)) {
        s.known++;
        s.cold += cold[i]!;
      }
      per.set(t, s);
    });
    const minutes = Math.max(p.spanS, 1) / 60;
    for (const [fn, s] of per) {
      if (s.known === 0) continue;
      rows.push({
        function: fn,
        per_minute: s.planned / minutes,
        cold_share: s.cold / s.known,
        invocations: s.planned,
        ...(compare ? { run: p.run.label } : {}),
      });
    }
  }
  if (rows.length === 0) return 'no invocation has a known cold_start (the platform does not report it)';
  return {
    name: 'cold-start-share',
    title: 'Cold-start share per function against its rate',
    kind: 'scatter',
    x: { field: 'per_minute', title: 'planned invocations per minute', scale: 'log' },
    y: { field: 'cold_share', title: 'share of cold starts', format: '%', domain: [0, 1] },
    ...(compare ? { series: { field: 'run', title: 'run' } } : {}),
    rows,
    note: 'One point per function: its planned invocations over the run, and the share of its sent invocations whose cold_start is true (among those where it is known).',
  };
}

/** Kind of a failed invocation: the outcome, with the HTTP status for errors. */
function failureKinds(p: Prepared): (string | null)[] {
  const status = p.run.invocations.has('http_status') ? p.run.invocations.num('http_status') : null;
  return p.outcome.map((o, i) => {
    if (o === null || o === 'ok') return null;
    const s = status?.[i];
    return o === 'error' && s !== undefined && !Number.isNaN(s) ? `error ${s}` : o;
  });
}

function errorsFigure(ps: Prepared[], compare: boolean): Figure | string {
  const spanS = Math.max(1, ...ps.map((p) => p.spanS));
  const binS = binSeconds(spanS);
  const bins = Math.ceil(spanS / binS) || 1;
  const rows: FigureRow[] = [];
  for (const p of ps) {
    const kinds = failureKinds(p);
    const names = [...new Set(kinds.filter((k) => k !== null))].sort();
    // A failure is placed at its answer, or at its planned time when it was never sent.
    const at = p.ended.map((t, i) => (Number.isNaN(t) ? p.scheduled[i]! : t));
    for (const k of names) {
      const rates = perSecond(at, p.t0, binS, bins, (i) => kinds[i] === k);
      rates.forEach((r, b) => {
        if (compare || r > 0)
          rows.push({ second: b * binS, per_second: r, kind: compare ? `${p.run.label}: ${k}` : k });
      });
    }
  }
  if (rows.length === 0) return 'no invocation failed, timed out, was dropped or cancelled';
  return {
    name: 'errors-over-time',
    title: 'Failures by kind over time',
    kind: compare ? 'line' : 'stacked-bar',
    x: { field: 'second', title: 'time since the first planned invocation (s)' },
    y: { field: 'per_second', title: `per second (${binS} s bins)`, zero: true },
    series: { field: 'kind', title: 'kind' },
    rows,
    note: 'Outcomes other than ok (errors split by HTTP status), at their answer, or at their planned time when not sent.',
  };
}

/** Per-interval rate of a cumulative counter, per series (instances); first sample of each has none. */
function rates(
  time: Float64Array,
  key: (string | null)[],
  counter: Float64Array,
  perUs: number,
): Map<string, [number, number][]> {
  const order = Array.from(time.keys()).sort((a, b) => time[a]! - time[b]!);
  const last = new Map<string, [number, number]>();
  const out = new Map<string, [number, number][]>();
  for (const i of order) {
    const k = key[i];
    if (k === null || k === undefined || Number.isNaN(counter[i]!)) continue;
    const prev = last.get(k);
    last.set(k, [time[i]!, counter[i]!]);
    if (!prev || time[i]! <= prev[0]) continue;
    const list = out.get(k) ?? [];
    list.push([time[i]!, (counter[i]! - prev[1]) / (time[i]! - prev[0]) / perUs]);
    out.set(k, list);
  }
  return out;
}

function instanceFigures(p: Prepared): Figure[] | string {
  const table: RunTable | undefined = p.run.containerSamples ?? p.run.processSamples;
  if (!table) return 'no container_samples or process_samples table: run with the docker or process monitor';
  const source = p.run.containerSamples ? 'container_samples' : 'process_samples';
  for (const c of ['time', 'instance_id', 'cpu_total_ns', 'memory_usage_bytes'])
    if (!table.has(c)) return `${source} has no column ${c}`;
  const time = table.num('time');
  const instance = table.str('instance_id');
  const invInstance = p.run.invocations.has('instance_id') ? p.run.invocations.str('instance_id') : [];
  const top = busiest(invInstance);
  if (top.length === 0) return 'no invocation names its instance';
  const topSet = new Set(top);
  const cpu = rates(time, instance, table.num('cpu_total_ns'), 1e3);
  const mem = table.num('memory_usage_bytes');
  const cpuRows: FigureRow[] = [];
  const memRows: FigureRow[] = [];
  for (const id of top)
    for (const [t, v] of cpu.get(id) ?? [])
      cpuRows.push({ second: (t - p.t0) / 1e6, cores: v, instance: id });
  const order = Array.from(time.keys()).sort((a, b) => time[a]! - time[b]!);
  for (const i of order) {
    const id = instance[i];
    if (id && topSet.has(id) && !Number.isNaN(mem[i]!))
      memRows.push({ second: (time[i]! - p.t0) / 1e6, mb: mem[i]! / 2 ** 20, instance: id });
  }
  const spanS = Math.max(1, p.spanS);
  const binS = binSeconds(spanS);
  const bins = Math.ceil(spanS / binS) || 1;
  const invRows: FigureRow[] = [];
  for (const id of top) {
    perSecond(p.sent, p.t0, binS, bins, (i) => invInstance[i] === id).forEach((r, b) => {
      invRows.push({ second: b * binS, per_second: r, instance: id });
    });
  }
  const x = { field: 'second', title: 'time since the first planned invocation (s)' };
  const series = { field: 'instance', title: 'instance' };
  const note = `The ${top.length} instances that ran the most invocations; samples from ${source}.`;
  return [
    {
      name: 'instance-invocations',
      title: 'Invocations sent per instance',
      kind: 'line',
      x,
      y: { field: 'per_second', title: `per second (${binS} s bins)`, zero: true },
      series,
      rows: invRows,
      note,
    },
    {
      name: 'instance-cpu',
      title: 'CPU per instance',
      kind: 'line',
      x,
      y: { field: 'cores', title: 'CPU (cores)', zero: true },
      series,
      rows: cpuRows,
      note: `${note} CPU time between consecutive samples over their interval.`,
    },
    {
      name: 'instance-memory',
      title: 'Memory per instance',
      kind: 'line',
      x,
      y: { field: 'mb', title: 'memory in use (MB)', zero: true },
      series,
      rows: memRows,
      note: `${note} memory_usage_bytes (page cache included for containers).`,
    },
  ];
}

const HOST_CPU_STATES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'];

function hostFigures(ps: Prepared[], compare: boolean): Figure[] | string {
  const cpuRows: FigureRow[] = [];
  const memRows: FigureRow[] = [];
  for (const p of ps) {
    const h = p.run.hostSamples;
    if (!h?.has('time')) continue;
    const time = h.num('time');
    const cols = HOST_CPU_STATES.filter((s) => h.has(`cpu_${s}_ms`)).map(
      (s) => [s, h.num(`cpu_${s}_ms`)] as const,
    );
    const order = Array.from(time.keys()).sort((a, b) => time[a]! - time[b]!);
    const label = (s: string) => (compare ? `${p.run.label}: ${s}` : s);
    for (let k = 1; k < order.length; k++) {
      const [a, b] = [order[k - 1]!, order[k]!];
      const d = (xs: Float64Array) => xs[b]! - xs[a]!;
      const total = cols.reduce((s, [, xs]) => s + d(xs), 0);
      if (!(total > 0)) continue;
      const get = (name: string) => cols.find(([s]) => s === name)?.[1];
      const idle =
        d(get('idle') ?? new Float64Array(time.length)) + d(get('iowait') ?? new Float64Array(time.length));
      const second = (time[b]! - p.t0) / 1e6;
      cpuRows.push({ second, share: 1 - idle / total, series: label('busy') });
      if (!compare) {
        for (const s of ['user', 'system']) {
          const xs = get(s);
          if (xs) cpuRows.push({ second, share: d(xs) / total, series: s });
        }
      }
    }
    if (h.has('mem_total_bytes')) {
      const total = h.num('mem_total_bytes');
      const avail = h.has('mem_available_bytes') ? h.num('mem_available_bytes') : null;
      const free = h.has('mem_free_bytes') ? h.num('mem_free_bytes') : null;
      for (const i of order) {
        const left = avail && !Number.isNaN(avail[i]!) ? avail[i]! : (free?.[i] ?? Number.NaN);
        if (!Number.isNaN(left))
          memRows.push({
            second: (time[i]! - p.t0) / 1e6,
            mb: (total[i]! - left) / 2 ** 20,
            series: label('used'),
          });
      }
    }
  }
  if (cpuRows.length === 0 && memRows.length === 0) return 'no host_samples table: run with the host monitor';
  const x = { field: 'second', title: 'time since the first planned invocation (s)' };
  const figs: Figure[] = [];
  if (cpuRows.length > 0)
    figs.push({
      name: 'host-cpu',
      title: 'Host CPU',
      kind: 'line',
      x,
      y: { field: 'share', title: 'share of all cores', format: '%', domain: [0, 1] },
      series: { field: 'series', title: '' },
      rows: cpuRows,
      note: 'From host_samples (/proc/stat): busy = 1 - (idle + iowait) / all, per sampling interval.',
    });
  if (memRows.length > 0)
    figs.push({
      name: 'host-memory',
      title: 'Host memory',
      kind: 'line',
      x,
      y: { field: 'mb', title: 'memory used (MB)', zero: true },
      series: { field: 'series', title: '' },
      rows: memRows,
      note: 'MemTotal - MemAvailable (MemFree where MemAvailable is missing), from host_samples.',
    });
  return figs;
}

/**
 * The figures of one run, or of several overlaid (`runs.length > 1`). Every figure the data
 * allows is drawn; the others are listed in `skipped` with the reason (the report shows it).
 */
export function runFigures(runs: readonly RunData[]): RunFigures {
  const ps = runs.map(prepare);
  const compare = runs.length > 1;
  const figures: Figure[] = [
    requestsFigure(ps, compare),
    latenessFigure(ps, compare),
    latencyFigure(ps, compare),
  ];
  const skipped: RunFigures['skipped'] = [];
  const add = (name: string, r: Figure | Figure[] | string) => {
    if (typeof r === 'string') skipped.push({ name, reason: r });
    else figures.push(...(Array.isArray(r) ? r : [r]));
  };
  add('cold-start-share', coldStartFigure(ps, compare));
  if (compare)
    skipped.push({ name: 'instance figures', reason: 'per instance, so in each run’s own report' });
  else add('instance figures', instanceFigures(ps[0]!));
  add('host figures', hostFigures(ps, compare));
  add('errors-over-time', errorsFigure(ps, compare));
  return { figures, skipped };
}
