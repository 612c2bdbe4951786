import { FaasloadError } from '../errors.js';
import { parseDurationUs } from '../util/duration.js';
import { messageOf } from '../util/message.js';
import {
  formatDuration,
  type KeepAlivePolicy,
  type PolicyState,
  parseParams,
  type Windows,
} from './policy.js';

/**
 * The hybrid histogram policy of Shahrad et al., "Serverless in the Wild" (USENIX ATC 2020),
 * section 4.2. Per policy group (an application), a range-limited histogram of idle times (1-minute
 * bins up to 4 hours); at each invocation the idle time it ends is added, then:
 *
 * - representative histogram (at least minSamples idle times, coefficient of variation of the bin
 *   counts >= cvThreshold, fewer than oobThreshold of the idle times past the range): pre-warm
 *   window = the head (5th percentile bin's lower edge) minus the margin, keep-alive window = up
 *   to the tail (99th percentile bin's upper edge) plus the margin, i.e. the instance is loaded
 *   from e + head x (1 - margin) to e + tail x (1 + margin) after its last execution ends at e;
 * - otherwise: no pre-warm and a fixed keep-alive (`fallbackUs`, default the histogram's range,
 *   the paper's conservative choice).
 *
 * Limit: the paper forecasts the next idle time with ARIMA when most idle times are out of the
 * histogram's range; this implementation does not build ARIMA and takes the fixed fallback window
 * there too. `minSamples` (default 1: a group with no idle time yet falls back) is ours: the paper
 * leaves how many idle times make a histogram representative unstated, and the coefficient of
 * variation alone calls a histogram of one sample representative. Raising it trades memory for
 * fewer early mistakes (docs/simulate.md shows its effect on the sample trace).
 */
export interface HybridOptions {
  rangeUs: number;
  binUs: number;
  /** Percentiles in (0, 100). */
  headPercentile: number;
  tailPercentile: number;
  margin: number;
  cvThreshold: number;
  /** Share of idle times past the range from which the histogram is out of bounds. */
  oobThreshold: number;
  minSamples: number;
  fallbackUs: number;
}

export const HYBRID_DEFAULTS: HybridOptions = {
  rangeUs: 4 * 3600e6,
  binUs: 60e6,
  headPercentile: 5,
  tailPercentile: 99,
  margin: 0.1,
  cvThreshold: 2,
  oobThreshold: 0.5,
  minSamples: 1,
  fallbackUs: 4 * 3600e6,
};

/** How the windows of an invocation were chosen (counted in the policy's facts). */
const Pattern = { Histogram: 0, TooFew: 1, Flat: 2, OutOfBounds: 3 } as const;

/**
 * Range-limited idle-time histograms for many groups in flat typed arrays, with two percentiles
 * tracked incrementally (a pointer and the count up to it, moved as samples arrive), so adding a
 * sample and reading head and tail are O(1) amortized instead of a scan of the bins.
 * Percentile p of a group: the smallest bin i whose cumulative count >= p/100 x the in-range count.
 */
export class IdleHistograms {
  readonly bins: number;
  readonly counts: Uint32Array;
  readonly inRange: Uint32Array;
  readonly outOfRange: Uint32Array;
  /** Sum of the squared bin counts, for the coefficient of variation. */
  private readonly sumSq: Float64Array;
  private readonly idx: Int32Array[];
  private readonly cum: Float64Array[];

  constructor(
    readonly groups: number,
    readonly binUs: number,
    rangeUs: number,
    readonly percentiles: readonly number[],
  ) {
    this.bins = Math.max(1, Math.round(rangeUs / binUs));
    this.counts = new Uint32Array(groups * this.bins);
    this.inRange = new Uint32Array(groups);
    this.outOfRange = new Uint32Array(groups);
    this.sumSq = new Float64Array(groups);
    this.idx = percentiles.map(() => new Int32Array(groups));
    this.cum = percentiles.map(() => new Float64Array(groups));
  }

  add(g: number, idleUs: number): void {
    const b = Math.floor(idleUs / this.binUs);
    if (b >= this.bins) {
      this.outOfRange[g]!++;
      return;
    }
    const base = g * this.bins;
    const c = this.counts[base + b]!;
    this.counts[base + b] = c + 1;
    this.sumSq[g]! += 2 * c + 1;
    const total = ++this.inRange[g]!;
    for (let k = 0; k < this.percentiles.length; k++) {
      const idxs = this.idx[k]!;
      const cums = this.cum[k]!;
      let i = idxs[g]!;
      let cum = cums[g]! + (b <= i ? 1 : 0);
      const target = (this.percentiles[k]! / 100) * total;
      while (i > 0 && cum - this.counts[base + i]! >= target) cum -= this.counts[base + i--]!;
      while (cum < target) cum += this.counts[base + ++i]!;
      idxs[g] = i;
      cums[g] = cum;
    }
  }

  /** The bin of tracked percentile k (an index into `percentiles`); meaningful once inRange > 0. */
  percentileBin(g: number, k: number): number {
    return this.idx[k]![g]!;
  }

  /** Coefficient of variation of the group's bin counts (0 when empty). */
  cv(g: number): number {
    const n = this.inRange[g]!;
    if (n === 0) return 0;
    const mean = n / this.bins;
    const variance = Math.max(0, (this.sumSq[g]! - n * mean) / Math.max(1, this.bins - 1));
    return Math.sqrt(variance) / mean;
  }
}

export function hybridPolicy(options: Partial<HybridOptions> = {}, name?: string): KeepAlivePolicy {
  const o = { ...HYBRID_DEFAULTS, ...options };
  validate(o);
  return {
    name: name ?? 'hybrid',
    start: (groups) => new HybridState(groups, o),
  };
}

class HybridState implements PolicyState {
  private readonly h: IdleHistograms;
  private readonly patterns = new Float64Array(4);

  constructor(
    groups: number,
    private readonly o: HybridOptions,
  ) {
    this.h = new IdleHistograms(groups, o.binUs, o.rangeUs, [o.headPercentile, o.tailPercentile]);
  }

  onInvocation(g: number, _atUs: number, idleUs: number, w: Windows): void {
    const { h, o } = this;
    if (idleUs >= 0) h.add(g, idleUs);
    const n = h.inRange[g]!;
    const oob = h.outOfRange[g]!;
    let pattern: number;
    if (n + oob < Math.max(1, o.minSamples)) pattern = Pattern.TooFew;
    else if (oob >= o.oobThreshold * (n + oob)) pattern = Pattern.OutOfBounds;
    else if (h.cv(g) < o.cvThreshold) pattern = Pattern.Flat;
    else pattern = Pattern.Histogram;
    this.patterns[pattern]!++;
    if (pattern !== Pattern.Histogram) {
      w.prewarmUs = 0;
      w.keepAliveUs = o.fallbackUs;
      return;
    }
    const head = h.percentileBin(g, 0) * o.binUs * (1 - o.margin);
    const tail = (h.percentileBin(g, 1) + 1) * o.binUs * (1 + o.margin);
    w.prewarmUs = head;
    w.keepAliveUs = tail - head;
  }

  facts(): Record<string, number> {
    const total = this.patterns.reduce((a, b) => a + b, 0) || 1;
    return {
      shareHistogram: this.patterns[Pattern.Histogram]! / total,
      shareTooFewSamples: this.patterns[Pattern.TooFew]! / total,
      shareFlatHistogram: this.patterns[Pattern.Flat]! / total,
      shareOutOfBounds: this.patterns[Pattern.OutOfBounds]! / total,
    };
  }
}

const KEYS = ['range', 'bin', 'head', 'tail', 'margin', 'cv', 'oob', 'min-samples', 'fallback'] as const;

/** `hybrid[:range=4h,bin=1m,head=5,tail=99,margin=0.1,cv=2,oob=0.5,min-samples=1,fallback=4h]`. */
export function parseHybrid(params: string | undefined): KeepAlivePolicy {
  const spec = `hybrid${params ? `:${params}` : ''}`;
  const p = parseParams(spec, params, KEYS);
  const o: Partial<HybridOptions> = {};
  const num = (key: string): number => {
    const v = Number(p.get(key));
    if (!Number.isFinite(v)) throw new FaasloadError('E_USAGE', `--policy ${spec}: ${key} must be a number`);
    return v;
  };
  if (p.has('range')) o.rangeUs = parseDurationUs(p.get('range')!, `--policy ${spec} range`);
  if (p.has('bin')) o.binUs = parseDurationUs(p.get('bin')!, `--policy ${spec} bin`);
  if (p.has('fallback')) o.fallbackUs = parseDurationUs(p.get('fallback')!, `--policy ${spec} fallback`);
  if (p.has('head')) o.headPercentile = num('head');
  if (p.has('tail')) o.tailPercentile = num('tail');
  if (p.has('margin')) o.margin = num('margin');
  if (p.has('cv')) o.cvThreshold = num('cv');
  if (p.has('oob')) o.oobThreshold = num('oob');
  if (p.has('min-samples')) o.minSamples = num('min-samples');
  const full = { ...HYBRID_DEFAULTS, ...o };
  if (!p.has('fallback') && p.has('range')) full.fallbackUs = full.rangeUs;
  try {
    validate(full);
  } catch (err) {
    throw new FaasloadError('E_USAGE', `--policy ${spec}: ${messageOf(err)}`);
  }
  return hybridPolicy(full, spec === 'hybrid' ? 'hybrid' : spec);
}

function validate(o: HybridOptions): void {
  const problems: string[] = [];
  if (!(o.binUs > 0)) problems.push('the bin must be > 0');
  if (!(o.rangeUs >= o.binUs))
    problems.push(`the range must be at least one bin (${formatDuration(o.binUs)})`);
  if (!(o.headPercentile > 0 && o.headPercentile < o.tailPercentile && o.tailPercentile <= 100)) {
    problems.push('percentiles must satisfy 0 < head < tail <= 100');
  }
  if (!(o.margin >= 0 && o.margin < 1)) problems.push('the margin must be in [0, 1)');
  if (!(o.cvThreshold >= 0)) problems.push('cv must be >= 0');
  if (!(o.oobThreshold > 0 && o.oobThreshold <= 1)) problems.push('oob must be in (0, 1]');
  if (!(Number.isInteger(o.minSamples) && o.minSamples >= 0))
    problems.push('min-samples must be an integer >= 0');
  if (!(o.fallbackUs >= 0)) problems.push('the fallback keep-alive must be >= 0');
  if (problems.length > 0) throw new FaasloadError('E_USAGE', problems.join('; '));
}
