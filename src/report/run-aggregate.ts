import { BatchColumns } from './batch-columns.js';
import type { RunData, RunTable } from './figures-load.js';
import { BreakdownBins, BreakdownSum } from './latency-breakdown.js';
import { ValueSketch } from './sketch.js';

/**
 * What a report draws from a run, aggregated batch by batch: the invocations table is read
 * twice (never whole), the monitor tables once, and memory is bounded by the run's functions
 * and instances (a few counters each), a few sketches (sketch.ts) and series of a bounded
 * number of bins, never by its rows.
 *
 * Pass 1 (scanRun): the time origin and span (bins need them before counting) and the
 * invocations per function and per instance (which are the busiest). Pass 2 (aggregateRun):
 * everything else. With several runs, every run's pass 1 comes first: they share their bins.
 */
export const MAX_BINS = 300;
/** Per-function and per-instance figures show the busiest ones only. */
export const TOP_SERIES = 8;

const NICE_BINS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
/** Sampled series (monitors) may be finer: 100 ms and up, in ms. */
const NICE_SAMPLE_BINS_MS = [100, 200, 500, ...NICE_BINS_S.map((s) => s * 1000)];

/** The bin width for a span: the smallest nice width giving at most MAX_BINS bins. */
export function binSeconds(spanS: number): number {
  return NICE_BINS_S.find((b) => spanS / b <= MAX_BINS) ?? Math.ceil(spanS / MAX_BINS / 3600) * 3600;
}

/** The bin of monitor samples, ms: as binSeconds, from 100 ms. */
export function sampleBinMs(spanS: number): number {
  return NICE_SAMPLE_BINS_MS.find((b) => (spanS * 1000) / b <= MAX_BINS) ?? binSeconds(spanS) * 1000;
}

/** Pass 1 over a run's invocations. */
export interface RunScan {
  run: RunData;
  /** The run's first planned invocation, µs since the epoch: the origin of its time axes. */
  t0: number;
  /** Seconds from t0 to the last event (planned, sent or answered). */
  spanS: number;
  /** Planned invocations per target (action name). */
  perTarget: Map<string, number>;
  /** Invocations per instance id, when the instance figures will be drawn. */
  perInstance: Map<string, number>;
}

/** The names with the most counts, at most `top`, ties by name. */
export function busiest(counts: ReadonlyMap<string, number>, top = TOP_SERIES): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, top)
    .map(([n]) => n);
}

/** The sample table the instance figures come from, if any. */
export function sampleTable(run: RunData): { table: RunTable; source: string } | undefined {
  if (run.containerSamples) return { table: run.containerSamples, source: 'container_samples' };
  if (run.processSamples) return { table: run.processSamples, source: 'process_samples' };
  return undefined;
}

export async function scanRun(
  run: RunData,
  options: { targets: boolean; instances: boolean },
): Promise<RunScan> {
  const cols = new BatchColumns();
  const want = ['scheduled_at', 'sent_at', 'ended_at'];
  if (options.targets) want.push('target');
  if (options.instances) want.push('instance_id');
  let t0 = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const targetCounts: number[] = [];
  const instanceCounts: number[] = [];
  for await (const b of run.invocations.scan(want)) {
    const n = b.numRows;
    const scheduled = cols.needNum(b, 'scheduled_at', run.invocations);
    for (let i = 0; i < n; i++) if (scheduled[i]! < t0) t0 = scheduled[i]!;
    for (const c of ['scheduled_at', 'sent_at', 'ended_at']) {
      const xs = cols.needNum(b, c, run.invocations);
      for (let i = 0; i < n; i++) if (xs[i]! > last) last = xs[i]!;
    }
    if (options.targets) count(targetCounts, cols.ids(b, 'target'), n);
    if (options.instances) count(instanceCounts, cols.ids(b, 'instance_id'), n);
  }
  const named = (counts: number[], names: readonly string[]) =>
    new Map(counts.flatMap((c, id) => (c > 0 ? [[names[id]!, c] as const] : [])));
  const perTarget = named(targetCounts, cols.names('target'));
  const perInstance = named(instanceCounts, cols.names('instance_id'));
  if (!Number.isFinite(t0)) t0 = 0;
  return { run, t0, spanS: Number.isFinite(last) ? Math.max(0, last - t0) / 1e6 : 0, perTarget, perInstance };
}

function count(counts: number[], ids: Int32Array | null, n: number): void {
  if (!ids) return;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (id >= 0) counts[id] = (counts[id] ?? 0) + 1;
  }
}

/** Counts per time bin, from a run's origin. */
export class BinCounts {
  readonly counts: Float64Array;
  constructor(
    private readonly t0: number,
    readonly binS: number,
    bins: number,
  ) {
    this.counts = new Float64Array(bins);
  }
  add(atUs: number): void {
    if (Number.isNaN(atUs)) return;
    const b = Math.floor((atUs - this.t0) / 1e6 / this.binS);
    if (b >= 0 && b < this.counts.length) this.counts[b]!++;
  }
  /** Rates per second, one per bin. */
  rates(): number[] {
    return Array.from(this.counts, (c) => c / this.binS);
  }
}

/** Means of a sampled series per time bin (monitor samples): bounded by the samples' span over the bin. */
export class BinMeans {
  private readonly bins = new Map<number, [sum: number, n: number]>();
  constructor(
    private readonly t0: number,
    readonly binMs: number,
  ) {}
  add(atUs: number, value: number): void {
    if (Number.isNaN(value) || Number.isNaN(atUs)) return;
    const b = Math.floor((atUs - this.t0) / (this.binMs * 1000));
    const s = this.bins.get(b);
    if (s) {
      s[0] += value;
      s[1]++;
    } else this.bins.set(b, [value, 1]);
  }
  /** [seconds from the origin (the bin's start), mean], ascending. */
  points(): [number, number][] {
    return [...this.bins.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, [sum, n]]) => [(b * this.binMs) / 1000, sum / n]);
  }
}

export interface TargetColdStarts {
  planned: number;
  /** Sent invocations whose cold_start is known, and how many of them were cold. */
  known: number;
  cold: number;
}

/** Pass 2: every number the report's figures and summary table show for one run. */
export interface RunAggregate {
  scan: RunScan;
  planned: number;
  sent: number;
  outcomes: Record<string, number>;
  /** Invocations that were not ok, per failure kind (the `failure` column; empty for a dataset without it). */
  failureKinds: Record<string, number>;
  coldStarts: number;
  coldKnown: number;
  /** Over sent invocations of the measured phase (warm-up left out), µs. */
  lateness: ValueSketch;
  latency: ValueSketch;
  /** Null when the table has no latency_from_schedule_us column. */
  latencyFromSchedule: ValueSketch | null;
  /** Latency of the busiest targets (single-run reports only), in the order of busiest(). */
  latencyByTarget: [string, ValueSketch][];
  /** Targets with at least one planned invocation. */
  targets: number;
  /** Per target, when the table has cold_start. */
  coldByTarget: Map<string, TargetColdStarts> | null;
  requests: { planned: BinCounts; sent: BinCounts; completed: BinCounts };
  /** Failures per kind ('timeout', 'error 502', ...) at their answer, or their planned time when never sent. */
  failures: Map<string, BinCounts>;
  /** Sent invocations per bin of the busiest instances (single-run reports with samples). */
  instanceInvocations: [string, BinCounts][];
  /**
   * Latency broken into wait / init / exec / other over the measured phase, in all and per bin of
   * sent_at (latency-breakdown.ts); null when the table has no exec_ms column.
   */
  breakdown: { all: BreakdownSum; bins: BreakdownBins } | null;
}

/** Pass 2 over a run's invocations, with bins shared by the runs compared. */
export async function aggregateRun(
  scan: RunScan,
  bins: { binS: number; bins: number },
  options: { topTargets: readonly string[]; topInstances: readonly string[] },
): Promise<RunAggregate> {
  const inv = scan.run.invocations;
  const cols = new BatchColumns();
  const newBins = () => new BinCounts(scan.t0, bins.binS, bins.bins);
  const agg: RunAggregate = {
    scan,
    planned: 0,
    sent: 0,
    outcomes: { ok: 0, error: 0, timeout: 0, dropped: 0, cancelled: 0 },
    failureKinds: {},
    coldStarts: 0,
    coldKnown: 0,
    lateness: new ValueSketch(),
    latency: new ValueSketch(),
    latencyFromSchedule: inv.has('latency_from_schedule_us') ? new ValueSketch() : null,
    latencyByTarget: options.topTargets.map((t) => [t, new ValueSketch()]),
    targets: 0,
    coldByTarget: inv.has('cold_start') ? new Map() : null,
    requests: { planned: newBins(), sent: newBins(), completed: newBins() },
    failures: new Map(),
    instanceInvocations: options.topInstances.map((id) => [id, newBins()]),
    breakdown: inv.has('exec_ms')
      ? { all: new BreakdownSum(), bins: new BreakdownBins(scan.t0, bins.binS, bins.bins) }
      : null,
  };
  const topTarget = new Map(agg.latencyByTarget);
  const topInstance = new Map(agg.instanceInvocations);
  // Per id of this pass's readers (BatchColumns.ids): what each target, outcome, instance is.
  const targetCold: TargetColdStarts[] = [];
  const targetTop: (ValueSketch | null)[] = [];
  const instanceTop: (BinCounts | null)[] = [];
  const outcomeKind: string[] = [];
  const failureOf = new Map<string, BinCounts>();
  const columns = [
    'scheduled_at',
    'sent_at',
    'ended_at',
    'outcome',
    'target',
    'phase',
    'lateness_us',
    'latency_us',
    'latency_from_schedule_us',
    'cold_start',
    'http_status',
    'failure',
  ];
  if (topInstance.size > 0) columns.push('instance_id');
  if (agg.breakdown) columns.push('wait_ms', 'init_ms', 'exec_ms');
  const failureBins = (kind: string) => {
    let k = failureOf.get(kind);
    if (!k) {
      k = newBins();
      failureOf.set(kind, k);
    }
    return k;
  };
  for await (const b of inv.scan(columns)) {
    const n = b.numRows;
    const scheduled = cols.needNum(b, 'scheduled_at', inv);
    const sentAt = cols.needNum(b, 'sent_at', inv);
    const ended = cols.needNum(b, 'ended_at', inv);
    const lateness = cols.num(b, 'lateness_us');
    const latency = cols.num(b, 'latency_us');
    const fromSchedule = cols.num(b, 'latency_from_schedule_us');
    const cold = cols.num(b, 'cold_start');
    const status = cols.num(b, 'http_status');
    const outcome = cols.needIds(b, 'outcome', inv);
    const failure = cols.ids(b, 'failure');
    const failureNames = failure ? cols.names('failure') : [];
    const target = cols.needIds(b, 'target', inv);
    const phase = cols.ids(b, 'phase');
    const instance = topInstance.size > 0 ? cols.ids(b, 'instance_id') : null;
    const waitMs = agg.breakdown ? cols.num(b, 'wait_ms') : null;
    const initMs = agg.breakdown ? cols.num(b, 'init_ms') : null;
    const execMs = agg.breakdown ? cols.num(b, 'exec_ms') : null;
    // Names first met in this batch.
    const targetNames = cols.names('target');
    for (let id = targetCold.length; id < targetNames.length; id++) {
      targetCold.push({ planned: 0, known: 0, cold: 0 });
      targetTop.push(topTarget.get(targetNames[id]!) ?? null);
    }
    const outcomeNames = cols.names('outcome');
    for (let id = outcomeKind.length; id < outcomeNames.length; id++) outcomeKind.push(outcomeNames[id]!);
    if (instance) {
      const names = cols.names('instance_id');
      for (let id = instanceTop.length; id < names.length; id++)
        instanceTop.push(topInstance.get(names[id]!) ?? null);
    }
    const warmup = phase ? cols.names('phase').indexOf('warmup') : -1;
    for (let i = 0; i < n; i++) {
      const oid = outcome[i]!;
      const o = oid >= 0 ? outcomeKind[oid]! : 'unknown';
      agg.outcomes[o] = (agg.outcomes[o] ?? 0) + 1;
      agg.requests.planned.add(scheduled[i]!);
      agg.requests.sent.add(sentAt[i]!);
      agg.requests.completed.add(ended[i]!);
      const t = target[i]!;
      const isSent = !Number.isNaN(sentAt[i]!);
      const c = cold ? cold[i]! : Number.NaN;
      if (t >= 0) {
        const s = targetCold[t]!;
        s.planned++;
        if (isSent && !Number.isNaN(c)) {
          s.known++;
          s.cold += c;
        }
      }
      const fid = failure ? failure[i]! : -1;
      if (fid >= 0) {
        const kind = failureNames[fid]!;
        agg.failureKinds[kind] = (agg.failureKinds[kind] ?? 0) + 1;
      }
      if (oid >= 0 && o !== 'ok') {
        const st = status ? status[i]! : Number.NaN;
        const at = Number.isNaN(ended[i]!) ? scheduled[i]! : ended[i]!;
        failureBins(o === 'error' && !Number.isNaN(st) ? `error ${st}` : o).add(at);
      }
      if (instance) {
        const id = instance[i]!;
        if (id >= 0) instanceTop[id]?.add(sentAt[i]!);
      }
      if (!isSent) continue;
      agg.sent++;
      if (!Number.isNaN(c)) {
        agg.coldKnown++;
        agg.coldStarts += c;
      }
      if (warmup >= 0 && phase![i] === warmup) continue;
      if (lateness && !Number.isNaN(lateness[i]!)) agg.lateness.add(lateness[i]!);
      if (latency && !Number.isNaN(latency[i]!)) {
        agg.latency.add(latency[i]!);
        if (t >= 0) targetTop[t]?.add(latency[i]!);
        if (agg.breakdown && execMs) {
          const w = waitMs ? waitMs[i]! : Number.NaN;
          const init = initMs ? initMs[i]! : Number.NaN;
          agg.breakdown.all.add(latency[i]!, w, init, execMs[i]!);
          agg.breakdown.bins.add(sentAt[i]!, latency[i]!, w, init, execMs[i]!);
        }
      }
      if (fromSchedule && agg.latencyFromSchedule && !Number.isNaN(fromSchedule[i]!))
        agg.latencyFromSchedule.add(fromSchedule[i]!);
    }
    agg.planned += n;
  }
  const targetNames = cols.names('target');
  let targets = 0;
  targetCold.forEach((s, id) => {
    if (s.planned === 0) return;
    targets++;
    agg.coldByTarget?.set(targetNames[id]!, s);
  });
  agg.failures = failureOf;
  agg.targets = targets;
  return agg;
}
/** Aggregates the runs of a report (one) or a comparison (several), bins shared. */
export async function aggregateRuns(runs: readonly RunData[]): Promise<RunAggregate[]> {
  const compare = runs.length > 1;
  const scans: RunScan[] = [];
  for (const run of runs)
    scans.push(
      await scanRun(run, {
        targets: !compare,
        instances: !compare && sampleTable(run) !== undefined && run.invocations.has('instance_id'),
      }),
    );
  const spanS = Math.max(1, ...scans.map((s) => s.spanS));
  const binS = binSeconds(spanS);
  const bins = { binS, bins: Math.ceil(spanS / binS) || 1 };
  const out: RunAggregate[] = [];
  for (const s of scans)
    out.push(
      await aggregateRun(s, bins, { topTargets: busiest(s.perTarget), topInstances: busiest(s.perInstance) }),
    );
  return out;
}
