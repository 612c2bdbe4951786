import { FaasloadError } from '../errors.js';
import type { ArrivalSource, Trace, TraceFunction } from '../trace/types.js';
import { bitsOf, hash32, keyAt, remix, streamKey, unitAt } from '../util/random.js';
import { BatchArrays, ChunkColumns } from './columns.js';
import { copiesTailUs, copyOffsetUs, copyWindowUs, SpilledCopies } from './copies.js';
import { PercentileTable, samplePercentiles } from './percentiles.js';
import { RadixSorter } from './radix.js';
import { type FunctionWeights, type SampleMethod, selectFunctions } from './select.js';
import { DEFAULT_IAT, type IatMode, Offsets, scaleCount, spreadBin } from './spread.js';
import type { Arrival, ArrivalBatch, BatchOptions, Schedule } from './types.js';

export interface PlanOptions {
  /** Seeds every random choice of the plan. */
  seed: number;
  /**
   * Window of trace time, microseconds from the trace's time 0: [fromUs, toUs) when toUs falls
   * inside the trace; closed, [fromUs, end], when it runs to the trace's end (toUs absent, or at or
   * past the end), so that the trace's last arrival is planned.
   */
  fromUs?: number;
  toUs?: number;
  /** Replay K times faster: a trace interval of T takes T / K. */
  speed?: number;
  /** Divide function durations by the speed too. */
  warpDurations?: boolean;
  /** Cap on every function duration, after warping. */
  maxDurationMs?: number;
  /**
   * Multiply the rate: bin counts (or each invocation) by S, the fraction by a seeded coin. An
   * invocation's extra copies are spread after it (copies.ts).
   */
  scale?: number;
  /** Keep N functions, chosen by `sample` (see select.ts). */
  functions?: number;
  sample?: SampleMethod;
  /** Keep only functions with these triggers. */
  triggers?: readonly string[];
  /** How a bin's invocations are placed inside it (default DEFAULT_IAT, exponential). */
  iat?: IatMode;
  /**
   * Equidistant spacing starts at a seeded phase of each function's own (the same in every bin)
   * instead of the bin's start. Only for iat equidistant: with another spreading it is an error.
   */
  shift?: boolean;
}

export interface ResolvedPlanOptions {
  seed: number;
  fromUs: number;
  /** The exclusive bound of the trace times planned (whole microseconds): see windowEndUs. */
  toUs: number;
  speed: number;
  warpDurations: boolean;
  maxDurationMs?: number;
  scale: number;
  functions?: number;
  sample: SampleMethod;
  triggers?: readonly string[];
  iat: IatMode;
  shift: boolean;
}

export interface Plan extends Schedule {
  readonly options: ResolvedPlanOptions;
  /** For each of `functions`, its index in the trace. */
  readonly traceIndex: readonly number[];
}

/** Trace time generated and sorted at once (one Azure 2019 minute); memory grows with it. */
const CHUNK_US = 60e6;
/** Chunks whose binned cells are indexed at once (two hours of minutes; see CellIndex). */
const WINDOW_CHUNKS = 30;

// Purposes of the counter-based draws, mixed into each function's stream (the memory draw is a
// remix of the duration draw at the same position).
const SPREAD = 0x51;
const SCALE = 0x5c;
const DURATION = 0xd0;
const SHIFT = 0x5f;
const COPIES = 0xc9;

/**
 * Plans the invocations of `trace`: select functions, window, scale, spread inside bins, warp.
 * Pure and lazy: batches() regenerates the same plan, bit for bit, on every call and machine.
 *
 * Every draw is a counter-based function of (seed, function id, bin or invocation, position):
 * a function's arrivals depend only on the seed, the options and that function, never on which
 * other functions are planned, so sampling and sharding never move an arrival. Trace times are
 * whole microseconds; ties are ordered by function, then by position in the bin.
 */
export function plan(trace: Trace, options: PlanOptions): Plan {
  const o = resolve(trace, options);
  const weights = functionWeights(trace, o);
  const traceIndex = selectFunctions(trace.functions, weights, {
    seed: o.seed,
    sample: o.sample,
    ...(o.functions === undefined ? {} : { functions: o.functions }),
    ...(o.triggers === undefined ? {} : { triggers: o.triggers }),
  });
  const functions = traceIndex.map((i) => trace.functions[i]!);
  const sources = traceIndex.map((i) => trace.arrivals(i));
  const chunkUs = chunkWidth(sources);
  let counted: number | undefined;

  const batches = (options: BatchOptions = {}): Iterable<ArrivalBatch> =>
    generate(functions, sources, o, chunkUs, new BatchArrays(options.reuse ?? false));
  return {
    functions,
    traceIndex,
    options: o,
    spanUs:
      (Math.max(0, Math.min(o.toUs, trace.spanUs) - o.fromUs) + copiesTailUs(sources, o.scale)) / o.speed,
    count() {
      if (counted === undefined) {
        counted = 0;
        for (const b of batches({ reuse: true })) counted += b.length;
      }
      return counted;
    },
    batches,
    *arrivals(): Generator<Arrival> {
      for (const b of batches({ reuse: true })) {
        for (let i = 0; i < b.length; i++) {
          const fn = b.fn[i]!;
          const a: Arrival = { seq: b.seq + i, fn, atUs: b.atUs[i]! };
          if (!Number.isNaN(b.durationMs[i]!)) a.durationMs = b.durationMs[i]!;
          if (!Number.isNaN(b.memoryMb[i]!)) a.memoryMb = b.memoryMb[i]!;
          const at = b.source[i]!;
          const src = sources[fn]!;
          if (at >= 0 && src.kind === 'times') {
            const input = src.inputs?.[at];
            const params = src.params?.[at];
            if (input !== undefined) a.input = input;
            if (params !== undefined) a.params = params;
          }
          yield a;
        }
      }
    },
  };
}

function resolve(trace: Trace, options: PlanOptions): ResolvedPlanOptions {
  const o: ResolvedPlanOptions = {
    seed: options.seed,
    fromUs: options.fromUs ?? 0,
    toUs: windowEndUs(trace.spanUs, options.toUs),
    speed: options.speed ?? 1,
    warpDurations: options.warpDurations ?? false,
    scale: options.scale ?? 1,
    sample: options.sample ?? 'representative',
    iat: options.iat ?? DEFAULT_IAT,
    shift: options.shift ?? false,
  };
  if (options.maxDurationMs !== undefined) o.maxDurationMs = options.maxDurationMs;
  if (options.functions !== undefined) o.functions = options.functions;
  if (options.triggers !== undefined) o.triggers = options.triggers;
  if (!Number.isSafeInteger(o.seed))
    throw new FaasloadError('E_USAGE', `seed must be an integer, got ${o.seed}`);
  if (!(o.speed > 0) || !Number.isFinite(o.speed)) {
    throw new FaasloadError('E_USAGE', `speed must be a positive number, got ${o.speed}`);
  }
  if (!(o.scale >= 0) || !Number.isFinite(o.scale)) {
    throw new FaasloadError('E_USAGE', `scale must be a number >= 0, got ${o.scale}`);
  }
  if (o.shift && o.iat !== 'equidistant') {
    throw new FaasloadError('E_USAGE', shiftMisuse(o.iat));
  }
  if (!(o.fromUs >= 0) || o.fromUs >= o.toUs) {
    throw new FaasloadError(
      'E_USAGE',
      `the window [${o.fromUs / 1e6} s, ${o.toUs / 1e6} s) is empty (the trace spans ${trace.spanUs / 1e6} s)`,
    );
  }
  return o;
}

/** Why shift cannot go with `iat`: it phases equidistant spacing, which `iat` does not use. */
export function shiftMisuse(iat: IatMode): string {
  return `shift phases equidistant spacing, and iat is ${iat}: name iat equidistant with shift (--iat equidistant --shift)`;
}

/**
 * The one place the window's end is decided: the exclusive bound of the trace times planned.
 * A --to inside the trace is that bound. A window that runs to the trace's end (no --to, or one
 * at or past the end) is closed instead, one past the trace's last whole microsecond: a trace's
 * last arrival may lie at its very end (an Azure 2021 row of duration 0 ends the trace).
 */
function windowEndUs(traceSpanUs: number, toUs: number | undefined): number {
  return toUs !== undefined && toUs < traceSpanUs ? toUs : Math.floor(traceSpanUs) + 1;
}

/** Invocations in the window at scale 1, and a typical duration, per trace function. */
function functionWeights(trace: Trace, o: ResolvedPlanOptions): FunctionWeights {
  const n = trace.functions.length;
  const w: FunctionWeights = { invocations: new Float64Array(n), durationMs: new Float64Array(n) };
  for (let fn = 0; fn < n; fn++) {
    const src = trace.arrivals(fn);
    const f = trace.functions[fn]!;
    w.durationMs[fn] = f.durationMs
      ? (f.durationMs.average ?? samplePercentiles(f.durationMs, 0.5))
      : Number.NaN;
    if (src.kind === 'times') {
      const first = lowerBound(src.atUs, o.fromUs);
      const end = lowerBound(src.atUs, o.toUs);
      w.invocations[fn] = end - first;
      if (src.durationMs && end > first) {
        let sum = 0;
        for (let i = first; i < end; i++) sum += src.durationMs[i]!;
        w.durationMs[fn] = sum / (end - first);
      }
    } else {
      let total = 0;
      forEachBin(src, o.fromUs, o.toUs, (_b, _s, c) => {
        total += c;
      });
      w.invocations[fn] = total;
    }
  }
  return w;
}

/** The index (into counts) of the first bin of a binned source that ends after fromUs. */
function firstBinIndex(src: Extract<ArrivalSource, { kind: 'counts' }>, fromUs: number): number {
  const firstBin = Math.max(0, Math.floor((fromUs - src.startUs) / src.binUs));
  return src.bins ? lowerBound(src.bins, firstBin) : firstBin;
}

/** Calls `f(bin, startUs, count)` for each non-empty bin overlapping [fromUs, toUs), in order. */
function forEachBin(
  src: Extract<ArrivalSource, { kind: 'counts' }>,
  fromUs: number,
  toUs: number,
  f: (bin: number, startUs: number, count: number) => void,
): void {
  const { bins, counts } = src;
  for (let i = firstBinIndex(src, fromUs); i < counts.length; i++) {
    const b = bins ? bins[i]! : i;
    const s = src.startUs + b * src.binUs;
    if (s >= toUs) return;
    if (counts[i]! > 0) f(b, s, counts[i]!);
  }
}

/** Generation chunks must hold whole bins, so that no arrival crosses into the next chunk. */
function chunkWidth(sources: readonly ArrivalSource[]): number {
  let binUs = 0;
  for (const s of sources) {
    if (s.kind !== 'counts') continue;
    if (binUs === 0) binUs = s.binUs;
    else if (s.binUs !== binUs) {
      throw new FaasloadError(
        'E_TRACE_FORMAT',
        `functions with different bin widths (${binUs} and ${s.binUs} us)`,
      );
    }
  }
  return binUs === 0 ? CHUNK_US : binUs * Math.max(1, Math.round(CHUNK_US / binUs));
}

function* generate(
  functions: readonly TraceFunction[],
  sources: readonly ArrivalSource[],
  o: ResolvedPlanOptions,
  chunkUs: number,
  arrays: BatchArrays,
): Generator<ArrivalBatch> {
  // The work is in a class: V8 optimizes hot loops in plain methods better than in generators.
  const g = new ChunkGenerator(functions, sources, o, chunkUs, arrays);
  for (let batch = g.next(); batch; batch = g.next()) yield batch;
}

/** Generates the plan one chunk of trace time at a time; next() returns undefined at the end. */
class ChunkGenerator {
  private readonly streams: Int32Array;
  private readonly phases: Float64Array;
  private readonly durationKeys: Int32Array;
  private readonly attributes: Attributes;
  /**
   * Per-invocation sources (times): a calendar where each function waits in the bucket of the
   * chunk holding its next arrival, so a chunk visits only the functions with something in it.
   */
  private readonly buckets: (number[] | undefined)[];
  /** Binned sources (counts): their non-empty bins in the window, time-major (see CellIndex). */
  private readonly cells: CellIndex;
  /** Per function: the next bin (index into counts) or invocation (index into atUs) to plan. */
  private readonly cursors: Int32Array;
  private readonly baseUs: number;
  private readonly cols = new ChunkColumns();
  private readonly offsets = new Offsets();
  private readonly sorter = new RadixSorter();
  private readonly spilled = new SpilledCopies();
  private chunk = 0;
  private seq = 0;

  constructor(
    functions: readonly TraceFunction[],
    private readonly sources: readonly ArrivalSource[],
    private readonly o: ResolvedPlanOptions,
    private readonly chunkUs: number,
    private readonly arrays: BatchArrays,
  ) {
    const { seed } = o;
    this.streams = Int32Array.from(functions, (f) => hash32(f.id));
    this.phases = Float64Array.from(this.streams, (h) => (o.shift ? unitAt(seed, h ^ SHIFT, 0, 0) : 0));
    this.durationKeys = Int32Array.from(this.streams, (h) => streamKey(seed, h ^ DURATION));
    this.attributes = {
      sources,
      durations: new PercentileTable(functions.map((f) => f.durationMs)),
      memories: new PercentileTable(functions.map((f) => f.memoryMb)),
      durationScale: o.warpDurations ? 1 / o.speed : 1,
      maxDurationMs: o.maxDurationMs ?? Number.POSITIVE_INFINITY,
    };
    this.baseUs = Math.floor(o.fromUs / chunkUs) * chunkUs;
    this.buckets = new Array(Math.ceil((o.toUs - this.baseUs) / chunkUs));
    this.cursors = new Int32Array(sources.length);
    sources.forEach((src, fn) => {
      if (src.kind !== 'times') return;
      this.cursors[fn] = lowerBound(src.atUs, o.fromUs);
      this.file(fn);
    });
    this.cells = new CellIndex(sources, this.baseUs, o.fromUs, o.toUs, chunkUs);
  }

  /** Files a times source under the chunk of its next arrival, if it has one in the window. */
  private file(fn: number): void {
    const src = this.sources[fn]!;
    const cur = this.cursors[fn]!;
    if (src.kind !== 'times' || cur >= src.atUs.length) return;
    const t = Math.floor(src.atUs[cur]!);
    if (t >= this.o.toUs) return;
    const c = Math.max(0, Math.floor((t - this.baseUs) / this.chunkUs));
    const bucket = this.buckets[c];
    if (bucket) bucket.push(fn);
    else this.buckets[c] = [fn];
  }

  next(): ArrivalBatch | undefined {
    // Past the window's last chunk, copies of its last arrivals may still be waiting (copies.ts).
    while (this.chunk < this.buckets.length || this.spilled.length > 0) {
      const c = this.chunk++;
      const bucket = this.buckets[c];
      const chunkStart = this.baseUs + c * this.chunkUs;
      this.cols.length = 0;
      const spilled = this.spilled.take(chunkStart + this.chunkUs);
      let s = 0;
      if (bucket) {
        this.buckets[c] = undefined;
        // Functions in ascending order, so that equal times are ordered by function.
        for (const fn of Uint32Array.from(bucket).sort()) {
          s = this.addSpilled(spilled, s, fn, chunkStart);
          this.fillTimes(fn, this.sources[fn] as TimesSource, chunkStart);
          this.file(fn);
        }
      }
      this.addSpilled(spilled, s, Number.POSITIVE_INFINITY, chunkStart);
      if (c < this.buckets.length) {
        this.cells.select(c);
        this.fillCells(chunkStart);
      }
      if (this.cols.length > 0) return this.batch(chunkStart);
    }
    return undefined;
  }

  /** Adds spilled[from..] up to function `lastFn` (they are in function order); returns where it stopped. */
  private addSpilled(
    spilled: readonly [fn: number, atUs: number, source: number][],
    from: number,
    lastFn: number,
    chunkStart: number,
  ): number {
    const cols = this.cols;
    let i = from;
    for (; i < spilled.length && spilled[i]![0] <= lastFn; i++) {
      const [fn, t, source] = spilled[i]!;
      cols.reserve(1);
      const j = cols.length++;
      cols.keyUs[j] = t - chunkStart;
      cols.fn[j] = fn;
      cols.source[j] = source;
    }
    return i;
  }

  /**
   * Plans a times source's arrivals in the chunk: each trace arrival, and its copies when the
   * scale makes more than one (spread after it, see copies.ts; those past the chunk wait).
   */
  private fillTimes(fn: number, src: TimesSource, chunkStart: number): void {
    const { seed, fromUs, toUs, scale } = this.o;
    const { atUs } = src;
    const cols = this.cols;
    const scaleStream = this.streams[fn]! ^ SCALE;
    const copyStream = this.streams[fn]! ^ COPIES;
    const chunkEnd = chunkStart + this.chunkUs;
    let cur = this.cursors[fn]!;
    let next = cur;
    for (; cur < atUs.length; cur++) {
      const t = Math.floor(atUs[cur]!);
      if (t >= chunkEnd) break;
      if (t < fromUs || t >= toUs) continue;
      const copies = scaleCount(1, scale, seed, scaleStream, cur);
      if (copies > 1) while (next < atUs.length && Math.floor(atUs[next]!) <= t) next++;
      const windowUs = copies > 1 ? copyWindowUs(atUs, cur, next, copies) : 0;
      cols.reserve(copies);
      for (let k = 0; k < copies; k++) {
        const at = t + copyOffsetUs(k, copies, windowUs, seed, copyStream, cur);
        if (at >= chunkEnd) {
          this.spilled.add(fn, at, cur);
          continue;
        }
        const j = cols.length++;
        cols.keyUs[j] = at - chunkStart;
        cols.fn[j] = fn;
        cols.source[j] = cur;
      }
    }
    this.cursors[fn] = cur;
  }

  /**
   * Plans the chunk's non-empty bins (cells start..end of the index, in function order): scale,
   * spread, and the random bits of each arrival's duration and memory, keyed by (function, bin,
   * position).
   */
  private fillCells(chunkStart: number): void {
    const { seed, fromUs, toUs, scale, iat } = this.o;
    const { cells, cols, offsets, streams, phases, durationKeys } = this;
    const { binUs, startUs } = cells;
    for (let i = cells.start; i < cells.end; i++) {
      const fn = cells.fn[i]!;
      const b = cells.bin[i]!;
      const h = streams[fn]!;
      const count = scaleCount(cells.count[i]!, scale, seed, h ^ SCALE, b);
      const n = spreadBin(iat, count, binUs, seed, h ^ SPREAD, b, phases[fn]!, offsets);
      const v = offsets.values;
      const binStart = startUs[fn]! + b * binUs;
      const keyBase = binStart - chunkStart;
      const key = keyAt(durationKeys[fn]!, b);
      cols.reserve(n);
      const { keyUs, draws, source } = cols;
      const fnOf = cols.fn;
      let j = cols.length;
      for (let k = 0; k < n; k++) {
        const t = binStart + v[k]!;
        if (t < fromUs || t >= toUs) continue;
        keyUs[j] = keyBase + v[k]!;
        fnOf[j] = fn;
        source[j] = -1;
        draws[j++] = bitsOf(key, k);
      }
      cols.length = j;
    }
  }

  /** Sorts the chunk's arrivals by time (stable: ties stay in function order) into a batch. */
  private batch(chunkStart: number): ArrivalBatch {
    const { fromUs, speed } = this.o;
    const cols = this.cols;
    const n = cols.length;
    const order = this.sorter.sort(cols.keyUs, n);
    const { arrays } = this;
    const fn = arrays.u32('fn', n);
    const atUs = arrays.f64('atUs', n);
    const source = arrays.i32('source', n);
    const draws = arrays.i32('draws', n);
    const base = chunkStart - fromUs;
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      fn[i] = cols.fn[j]!;
      atUs[i] = (base + cols.keyUs[j]!) / speed;
      source[i] = cols.source[j]!;
      draws[i] = cols.draws[j]!;
    }
    const batch = new PlanBatch(this.seq, fn, atUs, source, draws, this.attributes, arrays);
    this.seq += n;
    return batch;
  }
}

/** What a batch needs to find its arrivals' durations and memory when they are read. */
interface Attributes {
  readonly sources: readonly ArrivalSource[];
  readonly durations: PercentileTable;
  readonly memories: PercentileTable;
  /** Applied to every duration: the time-warp (1 / speed, or 1), then the cap. */
  readonly durationScale: number;
  readonly maxDurationMs: number;
}

/**
 * A batch of the plan. Durations and memory are drawn when first read, not while planning: the
 * dispatcher reads them at its own pace, and callers that only need times and functions (count,
 * sharding, simulation) don't pay for draws they never use. Binned arrivals draw from their
 * function's percentiles with their own random bits; times arrivals read their trace row.
 */
class PlanBatch implements ArrivalBatch {
  readonly length: number;
  private durations: Float64Array | undefined;
  private memories: Float64Array | undefined;

  constructor(
    readonly seq: number,
    readonly fn: Uint32Array,
    readonly atUs: Float64Array,
    readonly source: Int32Array,
    private readonly draws: Int32Array,
    private readonly attributes: Attributes,
    private readonly arrays: BatchArrays,
  ) {
    this.length = fn.length;
  }

  get durationMs(): Float64Array {
    if (!this.durations) {
      const { sources, durations, durationScale, maxDurationMs } = this.attributes;
      const { fn, source, draws } = this;
      const out = this.arrays.f64('durationMs', this.length);
      for (let i = 0; i < out.length; i++) {
        const at = source[i]!;
        const d =
          at < 0
            ? durations.sample(fn[i]!, draws[i]! >>> 1)
            : ((sources[fn[i]!] as TimesSource).durationMs?.[at] ?? Number.NaN);
        // NaN (no duration) stays NaN through both.
        out[i] = Math.min(d * durationScale, maxDurationMs);
      }
      this.durations = out;
    }
    return this.durations;
  }

  get memoryMb(): Float64Array {
    if (!this.memories) {
      const { sources, memories } = this.attributes;
      const { fn, source, draws } = this;
      const out = this.arrays.f64('memoryMb', this.length);
      for (let i = 0; i < out.length; i++) {
        const at = source[i]!;
        out[i] =
          at < 0
            ? memories.sample(fn[i]!, remix(draws[i]!) >>> 1)
            : ((sources[fn[i]!] as TimesSource).memoryMb?.[at] ?? Number.NaN);
      }
      this.memories = out;
    }
    return this.memories;
  }
}

type TimesSource = Extract<ArrivalSource, { kind: 'times' }>;

/**
 * The non-empty bins of the binned sources, time-major, for a span of WINDOW_CHUNKS chunks at a
 * time: cells(c) lists chunk c's bins in function order. Generating a chunk then reads contiguous
 * memory instead of visiting every function's own arrays (a cache miss each), and each function
 * is visited once per span. Memory: 12 bytes per non-empty bin of the span, plus 16 bytes per
 * function, so it grows with the functions and the busiest span, not with the plan.
 */
class CellIndex {
  private readonly cursors: Int32Array;
  private readonly counted: Int32Array;
  /** Per function, its bins' origin (the planner checked that binned sources share binUs). */
  readonly startUs: Float64Array;
  binUs = 0;
  private readonly spanStart = new Uint32Array(WINDOW_CHUNKS + 2);
  private spanFirst = -1;
  fn = new Uint32Array(0);
  bin = new Uint32Array(0);
  count = new Uint32Array(0);
  start = 0;
  end = 0;

  constructor(
    private readonly sources: readonly ArrivalSource[],
    private readonly baseUs: number,
    fromUs: number,
    private readonly toUs: number,
    private readonly chunkUs: number,
  ) {
    this.cursors = new Int32Array(sources.length);
    this.startUs = new Float64Array(sources.length);
    sources.forEach((src, fn) => {
      if (src.kind !== 'counts') return;
      this.startUs[fn] = src.startUs;
      this.binUs = src.binUs;
      this.cursors[fn] = firstBinIndex(src, fromUs);
    });
    this.counted = new Int32Array(sources.length);
  }

  /** Sets start..end to the cells of chunk c (chunks are asked in ascending order). */
  select(c: number): void {
    if (this.spanFirst < 0 || c >= this.spanFirst + WINDOW_CHUNKS) this.load(c);
    this.start = this.spanStart[c - this.spanFirst]!;
    this.end = this.spanStart[c - this.spanFirst + 1]!;
  }

  /** Builds the cells of chunks [first, first + WINDOW_CHUNKS): count, then fill. */
  private load(first: number): void {
    this.spanFirst = first;
    const spanEndUs = Math.min(this.toUs, this.baseUs + (first + WINDOW_CHUNKS) * this.chunkUs);
    const slots = this.spanStart;
    slots.fill(0);
    this.counted.set(this.cursors);
    this.walk(this.counted, spanEndUs, first, false);
    for (let k = 2; k < slots.length; k++) slots[k]! += slots[k - 1]!;
    const total = slots[slots.length - 1]!;
    if (this.fn.length < total) {
      this.fn = new Uint32Array(total);
      this.bin = new Uint32Array(total);
      this.count = new Uint32Array(total);
    }
    this.walk(this.cursors, spanEndUs, first, true);
  }

  /**
   * Visits each non-empty bin before endUs from each source's cursor, advancing the cursors.
   * Counting (fill false): counts each chunk's cells into spanStart[chunk - first + 2].
   * Filling: spanStart[chunk - first + 1] is chunk's write position; once filled, its end.
   */
  private walk(cursors: Int32Array, endUs: number, first: number, fill: boolean): void {
    const slots = this.spanStart;
    const { baseUs, chunkUs } = this;
    for (let fn = 0; fn < this.sources.length; fn++) {
      const src = this.sources[fn]!;
      if (src.kind !== 'counts') continue;
      const { bins, counts, startUs, binUs } = src;
      let i = cursors[fn]!;
      for (; i < counts.length; i++) {
        const b = bins ? bins[i]! : i;
        const s = startUs + b * binUs;
        if (s >= endUs) break;
        const count = counts[i]!;
        if (count === 0) continue;
        const slot = Math.floor((s - baseUs) / chunkUs) - first;
        if (!fill) {
          slots[slot + 2]!++;
          continue;
        }
        const at = slots[slot + 1]!++;
        this.fn[at] = fn;
        this.bin[at] = b;
        this.count[at] = count;
      }
      cursors[fn] = i;
    }
  }
}

/** The first index whose value is >= x in an ascending array. */
function lowerBound(values: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
