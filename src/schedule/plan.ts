import { FaasloadError } from '../errors.js';
import type { ArrivalSource, Trace, TraceFunction } from '../trace/types.js';
import { hash32, Random } from '../util/random.js';
import { mergeAscending } from './merge.js';
import { samplePercentiles } from './percentiles.js';
import type { Arrival, Schedule } from './types.js';

export interface PlanOptions {
  /** Seeds every random choice of the plan (durations and memory drawn from percentiles). */
  seed: number;
  /** Window of trace time, microseconds from the trace's time 0: [fromUs, toUs). */
  fromUs?: number;
  toUs?: number;
  /** Replay K times faster: a trace interval of T takes T / K. */
  speed?: number;
  /** Divide function durations by the speed too. */
  warpDurations?: boolean;
  /** Cap on every function duration, after warping. */
  maxDurationMs?: number;
}

export interface ResolvedPlanOptions extends Required<Omit<PlanOptions, 'maxDurationMs'>> {
  maxDurationMs?: number;
}

/** A trace-time arrival of one function, before warping. */
interface TraceArrival {
  traceUs: number;
  durationMs?: number;
  memoryMb?: number;
}

/**
 * Plans the invocations of `trace` in a window, time-warped. Pure and lazy: arrivals() walks the
 * trace's per-function sources again on every call and yields the same arrivals each time.
 *
 * Bins of counts (Azure 2019 minutes) are spread equidistantly: the k-th of c invocations of a bin
 * starting at s fires at s + k * bin / c. Only arrivals inside [fromUs, toUs) are planned.
 */
export function plan(trace: Trace, options: PlanOptions): Schedule & { options: ResolvedPlanOptions } {
  const resolved: ResolvedPlanOptions = {
    seed: options.seed,
    fromUs: options.fromUs ?? 0,
    toUs: Math.min(options.toUs ?? trace.spanUs, trace.spanUs),
    speed: options.speed ?? 1,
    warpDurations: options.warpDurations ?? false,
    ...(options.maxDurationMs === undefined ? {} : { maxDurationMs: options.maxDurationMs }),
  };
  const { fromUs, toUs, speed } = resolved;
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw new FaasloadError('E_USAGE', `speed must be a positive number, got ${speed}`);
  }
  if (!(fromUs >= 0) || fromUs >= toUs) {
    throw new FaasloadError(
      'E_USAGE',
      `the window [${fromUs / 1e6} s, ${toUs / 1e6} s) is empty (the trace spans ${trace.spanUs / 1e6} s)`,
    );
  }

  let count = 0;
  for (let fn = 0; fn < trace.functions.length; fn++)
    count += countInWindow(trace.arrivals(fn), fromUs, toUs);

  const durationOf = (ms: number | undefined): number | undefined => {
    if (ms === undefined) return undefined;
    const warped = resolved.warpDurations ? ms / speed : ms;
    return resolved.maxDurationMs === undefined ? warped : Math.min(warped, resolved.maxDurationMs);
  };

  return {
    functions: trace.functions,
    count,
    spanUs: (toUs - fromUs) / speed,
    options: resolved,
    *arrivals(): Generator<Arrival> {
      const streams = trace.functions.map((f, fn) =>
        functionArrivals(f, trace.arrivals(fn), fromUs, toUs, resolved.seed),
      );
      let seq = 0;
      for (const { a, fn } of mergeAscending(
        streams.map((s, fn) => tag(s, fn)),
        (x) => x.a.traceUs,
      )) {
        const arrival: Arrival = { seq: seq++, fn, atUs: (a.traceUs - fromUs) / speed };
        const durationMs = durationOf(a.durationMs);
        if (durationMs !== undefined) arrival.durationMs = durationMs;
        if (a.memoryMb !== undefined) arrival.memoryMb = a.memoryMb;
        yield arrival;
      }
    },
  };
}

function* tag(it: Iterator<TraceArrival>, fn: number): Generator<{ a: TraceArrival; fn: number }> {
  for (let r = it.next(); !r.done; r = it.next()) yield { a: r.value, fn };
}

/** The k range [first, last] of a bin's equidistant arrivals s + k*bin/c that fall in [from, to). */
function binRange(s: number, binUs: number, c: number, fromUs: number, toUs: number): [number, number] {
  if (s >= fromUs && s + binUs <= toUs) return [0, c - 1];
  let first = 0;
  while (first < c && s + (first * binUs) / c < fromUs) first++;
  let last = c - 1;
  while (last >= first && s + (last * binUs) / c >= toUs) last--;
  return [first, last];
}

function countInWindow(src: ArrivalSource, fromUs: number, toUs: number): number {
  if (src.kind === 'times') return lowerBound(src.atUs, toUs) - lowerBound(src.atUs, fromUs);
  let n = 0;
  const { startUs, binUs, counts } = src;
  const firstBin = Math.max(0, Math.floor((fromUs - startUs) / binUs));
  for (let i = firstBin; i < counts.length; i++) {
    const s = startUs + i * binUs;
    if (s >= toUs) break;
    const c = counts[i]!;
    if (c === 0) continue;
    const [first, last] = binRange(s, binUs, c, fromUs, toUs);
    if (last >= first) n += last - first + 1;
  }
  return n;
}

function* functionArrivals(
  f: TraceFunction,
  src: ArrivalSource,
  fromUs: number,
  toUs: number,
  seed: number,
): Generator<TraceArrival> {
  if (src.kind === 'times') {
    for (let i = lowerBound(src.atUs, fromUs); i < src.atUs.length && src.atUs[i]! < toUs; i++) {
      const a: TraceArrival = { traceUs: src.atUs[i]! };
      if (src.durationMs) a.durationMs = src.durationMs[i]!;
      yield a;
    }
    return;
  }
  // One random stream per function and quantity, so that a function's draws do not depend on
  // which other functions are in the plan.
  const stream = hash32(f.id);
  const durationRng = new Random(seed, stream);
  const memoryRng = new Random(seed, stream ^ 0x5bd1e995);
  const { startUs, binUs, counts } = src;
  const firstBin = Math.max(0, Math.floor((fromUs - startUs) / binUs));
  for (let i = firstBin; i < counts.length; i++) {
    const s = startUs + i * binUs;
    if (s >= toUs) return;
    const c = counts[i]!;
    if (c === 0) continue;
    const [first, last] = binRange(s, binUs, c, fromUs, toUs);
    for (let k = first; k <= last; k++) {
      const a: TraceArrival = { traceUs: s + (k * binUs) / c };
      if (f.durationMs) a.durationMs = samplePercentiles(f.durationMs, durationRng.next());
      if (f.memoryMb) a.memoryMb = samplePercentiles(f.memoryMb, memoryRng.next());
      yield a;
    }
  }
}

/** The first index whose value is >= x in an ascending array. */
function lowerBound(values: Float64Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
