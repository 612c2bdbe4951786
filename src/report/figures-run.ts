import { FaasloadError } from '../errors.js';
import { BatchColumns } from './batch-columns.js';
import type { RunData } from './figures-load.js';
import { LATENCY_PARTS, type LatencyPart } from './latency-breakdown.js';
import { cdfRows, type Figure, type FigureRow, rowsOffLogAxes } from './plot/index.js';
import {
  aggregateRuns,
  BinMeans,
  binSeconds,
  MAX_BINS,
  type RunAggregate,
  sampleBinMs,
  sampleTable,
  TOP_SERIES,
} from './run-aggregate.js';
import type { ValueSketch } from './sketch.js';

/**
 * The figures of a run report, computed from the run's tables (data only; html.ts and
 * writeFigures draw them). With several runs (`faasload report compare`) the same figures are
 * overlaid, one series per run; figures that cannot be overlaid (per instance) are per run only.
 *
 * Time axes are seconds since the run's first planned invocation (min scheduled_at), the same
 * origin for every table of a run. Rates are per second, averaged over bins chosen so that a
 * figure has at most MAX_BINS bins (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10 min...); monitor samples
 * are averaged per bin of 100 ms and up, also at most MAX_BINS over the run. Tables are read
 * batch by batch (run-aggregate.ts): CDFs come from sketches whose error sketch.ts states.
 */
export interface RunFigures {
  figures: Figure[];
  /** Figures not drawn, and why (no monitor tables, no failures). */
  skipped: { name: string; reason: string }[];
  /** Per run, what the figures were drawn from (the summary table reads it too). */
  aggregates: RunAggregate[];
}

export { binSeconds, MAX_BINS, TOP_SERIES };

type Prepared = RunAggregate;
/** The runs of a report: at least one (the first sets the time bins). */
type PreparedRuns = readonly [Prepared, ...Prepared[]];
const labelOf = (p: Prepared) => p.scan.run.label;

function requestsFigure(ps: PreparedRuns, compare: boolean): Figure {
  const binS = ps[0].requests.planned.binS;
  const rows: FigureRow[] = [];
  for (const p of ps) {
    for (const kind of ['planned', 'sent', 'completed'] as const) {
      if (compare && kind === 'sent') continue;
      const rates = p.requests[kind].rates();
      const series = compare ? `${labelOf(p)}: ${kind}` : kind;
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
  series: [string, ValueSketch][],
  seriesTitle: string,
  note: string,
  scale = 1,
): Figure {
  const rows = series.flatMap(([s, sketch]) =>
    cdfRows(sketch.cdf(), { series: { field: 'series', name: s }, scale, start: sketch.min }),
  );
  const approximate = series.some(([, sketch]) => sketch.approximate);
  if (approximate)
    note +=
      ' Past 65,536 values a series is a histogram: each point is the top of a bucket 1/1024 of its value wide (exact below 2,048 µs), at its exact fraction.';
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

function latenessFigure(ps: PreparedRuns, compare: boolean): Figure {
  return cdfFigure(
    'lateness-cdf',
    'Lateness: sent_at - scheduled_at',
    'lateness (µs)',
    ps.map((p) => [compare ? labelOf(p) : 'all', p.lateness]),
    compare ? 'run' : '',
    'Sent invocations of the measured phase (warm-up left out).',
  );
}

function latencyFigure(ps: PreparedRuns, compare: boolean): Figure {
  const series: [string, ValueSketch][] = [];
  let note = 'Latency from send to answer, sent invocations of the measured phase.';
  for (const p of ps) {
    series.push([compare ? labelOf(p) : 'all functions', p.latency]);
    if (compare) continue;
    const top = p.latencyByTarget.filter(([, s]) => s.count > 0);
    series.push(...top);
    if (p.targets > p.latencyByTarget.length)
      note += ` Per function: the ${p.latencyByTarget.length} busiest of ${p.targets}.`;
  }
  return cdfFigure(
    'latency-cdf',
    'Latency',
    'latency (ms)',
    series,
    compare ? 'run' : 'function',
    note,
    1e-3,
  );
}

function coldStartFigure(ps: PreparedRuns, compare: boolean): Figure | string {
  const rows: FigureRow[] = [];
  for (const p of ps) {
    if (!p.coldByTarget) continue;
    const minutes = Math.max(p.scan.spanS, 1) / 60;
    for (const [fn, s] of p.coldByTarget) {
      if (s.known === 0) continue;
      rows.push({
        function: fn,
        per_minute: s.planned / minutes,
        cold_share: s.cold / s.known,
        invocations: s.planned,
        ...(compare ? { run: labelOf(p) } : {}),
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

/** Mean latency per invocation broken into wait / init / exec / other, stacked per bin of sent_at. */
function breakdownFigure(p: Prepared): Figure | string {
  if (!p.breakdown) return 'the invocations table has no exec_ms column';
  const points = p.breakdown.bins.points();
  if (points.length === 0) return 'no invocation has a platform-reported execution time (exec_ms)';
  const binS = p.breakdown.bins.binS;
  const rows: FigureRow[] = [];
  for (const [second, s] of points)
    for (const part of LATENCY_PARTS) rows.push({ second, ms: s.meanMs[part], part });
  const all = p.breakdown.all.shares();
  const share = (part: LatencyPart) => (all ? `${(100 * all.shares[part]).toFixed(1)}%` : 'n/a');
  return {
    name: 'latency-breakdown',
    title: 'Latency broken into wait, init and execution over time',
    kind: 'stacked-bar',
    x: { field: 'second', title: 'time since the first planned invocation (s)' },
    y: { field: 'ms', title: `mean per invocation (ms, ${binS} s bins)`, zero: true },
    series: { field: 'part', title: 'part' },
    rows,
    note: `Sent invocations of the measured phase whose platform reported exec_ms, by their sent_at: wait_ms, init_ms (cold starts), exec_ms, and other = latency minus the three (transport, the platform's handling). Over the run: wait ${share('wait')}, init ${share('init')}, exec ${share('exec')}, other ${share('other')} of the latency.`,
  };
}

function errorsFigure(ps: PreparedRuns, compare: boolean): Figure | string {
  const binS = ps[0].requests.planned.binS;
  const rows: FigureRow[] = [];
  for (const p of ps) {
    const byKind = [...p.failures].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, bins] of byKind) {
      bins.rates().forEach((r, b) => {
        if (compare || r > 0)
          rows.push({ second: b * binS, per_second: r, kind: compare ? `${labelOf(p)}: ${k}` : k });
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

/**
 * The instance figures of one run: invocations sent per bin, CPU (cores, from cpu_total_ns
 * differences between consecutive samples of an instance) and memory per bin of samples, for the
 * busiest instances. The sample table is streamed; samples of an instance must come in time
 * order (monitors write them so): a sample not later than the instance's previous one is skipped.
 */
async function instanceFigures(p: Prepared): Promise<Figure[] | string> {
  const found = sampleTable(p.scan.run);
  if (!found) return 'no container_samples or process_samples table: run with the docker or process monitor';
  const { table, source } = found;
  for (const c of ['time', 'instance_id', 'cpu_total_ns', 'memory_usage_bytes'])
    if (!table.has(c)) return `${source} has no column ${c}`;
  const top = p.instanceInvocations.map(([id]) => id);
  if (top.length === 0) return 'no invocation names its instance';
  const binMs = sampleBinMs(Math.max(1, p.scan.spanS));
  const perInstance = new Map(
    top.map((id) => [id, { cpu: new BinMeans(p.scan.t0, binMs), mem: new BinMeans(p.scan.t0, binMs) }]),
  );
  const last = new Map<string, [timeUs: number, ns: number]>();
  const cols = new BatchColumns();
  for await (const b of table.scan(['time', 'instance_id', 'cpu_total_ns', 'memory_usage_bytes'])) {
    const time = cols.needNum(b, 'time', table);
    const ids = cols.needIds(b, 'instance_id', table);
    const names = cols.names('instance_id');
    const ns = cols.needNum(b, 'cpu_total_ns', table);
    const bytes = cols.needNum(b, 'memory_usage_bytes', table);
    for (let i = 0; i < b.numRows; i++) {
      const id = ids[i]! >= 0 ? names[ids[i]!]! : undefined;
      const bins = id ? perInstance.get(id) : undefined;
      if (!id || !bins) continue;
      const t = time[i]!;
      const prev = last.get(id);
      if (prev && !(t > prev[0])) continue;
      bins.mem.add(t, bytes[i]! / 2 ** 20);
      if (Number.isNaN(ns[i]!)) continue;
      last.set(id, [t, ns[i]!]);
      if (prev) bins.cpu.add(t, (ns[i]! - prev[1]) / (t - prev[0]) / 1e3);
    }
  }
  const binS = p.requests.planned.binS;
  const invRows: FigureRow[] = [];
  for (const [id, bins] of p.instanceInvocations)
    bins.rates().forEach((r, b) => {
      invRows.push({ second: b * binS, per_second: r, instance: id });
    });
  const cpuRows: FigureRow[] = [];
  const memRows: FigureRow[] = [];
  for (const [id, { cpu, mem }] of perInstance) {
    for (const [second, cores] of cpu.points()) cpuRows.push({ second, cores, instance: id });
    for (const [second, mb] of mem.points()) memRows.push({ second, mb, instance: id });
  }
  const x = { field: 'second', title: 'time since the first planned invocation (s)' };
  const series = { field: 'instance', title: 'instance' };
  const note = `The ${top.length} instances that ran the most invocations; samples from ${source}, averaged per ${binMs / 1000} s.`;
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

/**
 * Host CPU (busy, user and system shares between consecutive samples) and memory, averaged per
 * bin of samples. Streamed: samples must come in time order (the host monitor writes them so);
 * one not later than the previous is skipped.
 */
async function hostFigures(ps: PreparedRuns, compare: boolean): Promise<Figure[] | string> {
  const cpuRows: FigureRow[] = [];
  const memRows: FigureRow[] = [];
  const binMs = sampleBinMs(Math.max(1, ...ps.map((p) => p.scan.spanS)));
  for (const p of ps) {
    const h = p.scan.run.hostSamples;
    if (!h?.has('time')) continue;
    const states = HOST_CPU_STATES.filter((s) => h.has(`cpu_${s}_ms`));
    const label = (s: string) => (compare ? `${labelOf(p)}: ${s}` : s);
    const shown = compare ? ['busy'] : ['busy', ...['user', 'system'].filter((s) => states.includes(s))];
    const shares = new Map(shown.map((s) => [s, new BinMeans(p.scan.t0, binMs)]));
    const used = new BinMeans(p.scan.t0, binMs);
    const cols = new BatchColumns();
    let prevTime = Number.NaN;
    const prev = new Float64Array(states.length);
    const cur = new Float64Array(states.length);
    const memColumns = ['mem_total_bytes', 'mem_available_bytes', 'mem_free_bytes'];
    for await (const b of h.scan(['time', ...states.map((s) => `cpu_${s}_ms`), ...memColumns])) {
      const time = cols.needNum(b, 'time', h);
      const cpu = states.map((s) => cols.needNum(b, `cpu_${s}_ms`, h));
      const total = cols.num(b, 'mem_total_bytes');
      const avail = cols.num(b, 'mem_available_bytes');
      const free = cols.num(b, 'mem_free_bytes');
      for (let i = 0; i < b.numRows; i++) {
        const t = time[i]!;
        if (!(t > prevTime) && !Number.isNaN(prevTime)) continue;
        for (let k = 0; k < states.length; k++) cur[k] = cpu[k]![i]!;
        if (!Number.isNaN(prevTime)) {
          let all = 0;
          for (let k = 0; k < states.length; k++) all += cur[k]! - prev[k]!;
          if (all > 0) {
            const d = (s: string) => {
              const k = states.indexOf(s);
              return k < 0 ? 0 : cur[k]! - prev[k]!;
            };
            for (const [s, bins] of shares)
              bins.add(t, s === 'busy' ? 1 - (d('idle') + d('iowait')) / all : d(s) / all);
          }
        }
        prev.set(cur);
        prevTime = t;
        if (total) {
          const left = avail && !Number.isNaN(avail[i]!) ? avail[i]! : (free?.[i] ?? Number.NaN);
          if (!Number.isNaN(left)) used.add(t, (total[i]! - left) / 2 ** 20);
        }
      }
    }
    for (const [s, bins] of shares)
      for (const [second, share] of bins.points()) cpuRows.push({ second, share, series: label(s) });
    for (const [second, mb] of used.points()) memRows.push({ second, mb, series: label('used') });
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
      note: `From host_samples (/proc/stat): busy = 1 - (idle + iowait) / all, per sampling interval, averaged per ${binMs / 1000} s.`,
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
      note: `MemTotal - MemAvailable (MemFree where MemAvailable is missing), from host_samples, averaged per ${binMs / 1000} s.`,
    });
  return figs;
}

/**
 * The figures of one run, or of several overlaid (`runs.length > 1`). Every figure the data
 * allows is drawn; the others are listed in `skipped` with the reason (the report shows it).
 * Reads the tables batch by batch: memory does not grow with the runs' rows.
 */
export async function runFigures(runs: readonly RunData[]): Promise<RunFigures> {
  const [first, ...others] = await aggregateRuns(runs);
  if (first === undefined) throw new FaasloadError('E_USAGE', 'a report needs at least one run');
  const ps: PreparedRuns = [first, ...others];
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
    skipped.push({ name: 'latency-breakdown', reason: 'stacked per run, so in each run’s own report' });
  else add('latency-breakdown', breakdownFigure(first));
  if (compare)
    skipped.push({ name: 'instance figures', reason: 'per instance, so in each run’s own report' });
  else add('instance figures', await instanceFigures(first));
  add('host figures', await hostFigures(ps, compare));
  add('errors-over-time', errorsFigure(ps, compare));
  return { figures, skipped, aggregates: [...ps] };
}
