import { plan } from '../schedule/plan.js';
import type { IatMode } from '../schedule/spread.js';
import type { Trace } from '../trace/types.js';
import { type Distribution, distribution } from './distribution.js';
import { formatPlanLoad, type PlanLoad, planLoad } from './plan-load.js';

/** How `trace inspect` plans the trace to measure its load: the whole trace at speed 1. */
export interface InspectSpread {
  iat: IatMode;
  shift: boolean;
  seed: number;
}

/** What `faasload trace inspect` prints: the shape of a trace at a glance. */
export interface TraceSummary {
  format: string;
  files: readonly string[];
  functions: number;
  apps: number;
  users: number;
  /** Functions per trigger (absent when the trace has none). */
  triggers: Record<string, number>;
  spanS: number;
  invocations: number;
  /** Invocations per trace minute, all functions together. */
  perMinute: Distribution | null;
  /** Per-function typical duration (ms): its average, or the mean of its invocations' durations. */
  durationMs: Distribution | null;
  /** Per-function memory (MB): its average allocated memory, or the mean of its invocations'. */
  memoryMb: Distribution | null;
  /**
   * The plan of the whole trace at speed 1 with `spread`, per second of trace time: mean, peak,
   * the peak second, peak-to-mean. Absent when inspectTrace was not given a spread.
   */
  load?: PlanLoad & { spread: InspectSpread };
  warnings: readonly string[];
}

function mean(xs: Float64Array | undefined): number {
  if (!xs || xs.length === 0) return Number.NaN;
  let sum = 0;
  let n = 0;
  for (const x of xs) {
    if (!Number.isNaN(x)) {
      sum += x;
      n++;
    }
  }
  return n ? sum / n : Number.NaN;
}

/**
 * The shape of a trace; with `spread`, also the per-second load of its plan (which generates
 * the whole plan once: about a second per 5 M invocations).
 */
export function inspectTrace(trace: Trace, spread?: InspectSpread): TraceSummary {
  const minutes = Math.max(1, Math.ceil(trace.spanUs / 60e6));
  const perMinute = new Float64Array(minutes);
  const durations: number[] = [];
  const memories: number[] = [];
  const triggers: Record<string, number> = {};
  let invocations = 0;
  trace.functions.forEach((f, fn) => {
    if (f.trigger !== undefined) triggers[f.trigger] = (triggers[f.trigger] ?? 0) + 1;
    const src = trace.arrivals(fn);
    let d = f.durationMs?.average ?? Number.NaN;
    let m = f.memoryMb?.average ?? Number.NaN;
    if (src.kind === 'times') {
      invocations += src.atUs.length;
      for (const t of src.atUs) perMinute[Math.min(minutes - 1, Math.floor(t / 60e6))]!++;
      if (Number.isNaN(d)) d = mean(src.durationMs);
      if (Number.isNaN(m)) m = mean(src.memoryMb);
    } else {
      src.counts.forEach((c, i) => {
        const b = src.bins ? src.bins[i]! : i;
        const minute = Math.floor((src.startUs + b * src.binUs) / 60e6);
        perMinute[Math.min(minutes - 1, minute)]! += c;
        invocations += c;
      });
    }
    if (!Number.isNaN(d)) durations.push(d);
    if (!Number.isNaN(m)) memories.push(m);
  });
  return {
    format: trace.format,
    files: trace.files,
    functions: trace.functions.length,
    apps: new Set(trace.functions.map((f) => f.app).filter((a) => a !== undefined)).size,
    users: new Set(trace.functions.map((f) => f.user).filter((u) => u !== undefined)).size,
    triggers,
    spanS: trace.spanUs / 1e6,
    invocations,
    perMinute: distribution(perMinute),
    durationMs: distribution(Float64Array.from(durations)),
    memoryMb: distribution(Float64Array.from(memories)),
    ...(spread ? { load: { ...planLoad(plan(trace, spread)), spread } } : {}),
    warnings: trace.warnings ?? [],
  };
}

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
const dist = (d: Distribution | null) =>
  d
    ? `min ${num(d.min)}  p25 ${num(d.p25)}  median ${num(d.p50)}  p75 ${num(d.p75)}  p99 ${num(d.p99)}  max ${num(d.max)}`
    : 'n/a';

export function formatTraceSummary(s: TraceSummary): string {
  const triggers = Object.entries(s.triggers)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return [
    `format       ${s.format}`,
    `files        ${s.files.join(', ')}`,
    `functions    ${s.functions} (apps ${s.apps}${s.users ? `, users ${s.users}` : ''})`,
    ...(triggers ? [`triggers     ${triggers}`] : []),
    `span         ${num(s.spanS)} s (${num(s.spanS / 60)} min)`,
    `invocations  ${s.invocations}`,
    `per minute   ${dist(s.perMinute)}`,
    `duration ms  ${dist(s.durationMs)}  (per function)`,
    `memory MB    ${dist(s.memoryMb)}  (per function)`,
    ...(s.load ? [`per second   ${formatPlanLoad(s.load)}  (${spreadText(s.load.spread)})`] : []),
    ...s.warnings.map((w) => `warning      ${w}`),
  ].join('\n');
}

const spreadText = (s: InspectSpread) =>
  `planned with --iat ${s.iat}${s.iat === 'equidistant' ? (s.shift ? ' --shift' : ' --no-shift') : ''} --seed ${s.seed}`;
