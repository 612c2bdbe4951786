import type { InvocationRecord } from '../dispatch/dispatcher.js';
import { emptyFailureCounts, FAILURE_KINDS, type FailureCounts } from '../platforms/failure.js';
import type { Outcome } from '../platforms/types.js';
import { microsHistogram, type Quantiles, quantilesOf } from '../util/histogram.js';
import { BreakdownSum, formatShares, type LatencyShares } from './latency-breakdown.js';

export interface RunSummary {
  planned: number;
  sent: number;
  outcomes: Record<Outcome, number>;
  /** Invocations that were not ok, by failure kind (platforms/failure.ts); every kind present. */
  failures: FailureCounts;
  coldStarts: number;
  /** Invocations of the warm-up phase: counted above, left out of the quantiles below. */
  warmup: number;
  /** Microseconds, over sent invocations; null when none was sent. HdrHistogram, 3 digits. */
  latenessUs: Quantiles | null;
  /** From the send to the answer, and from the scheduled time to the answer (lateness included, so queueing in the generator cannot hide). */
  latencyUs: Quantiles | null;
  latencyFromScheduleUs: Quantiles | null;
  /**
   * Shares of latency spent waiting, in init, in execution and elsewhere, over the measured
   * invocations whose platform reported their execution time (latency-breakdown.ts); null if none.
   */
  latencyBreakdown: LatencyShares | null;
  /** Wall-clock seconds from the run's start to the last answer. */
  durationS: number;
}

/** Collects the numbers of the printed summary in bounded memory (HdrHistogram). */
export class SummaryCollector {
  private planned = 0;
  private sent = 0;
  private coldStarts = 0;
  private warmup = 0;
  private readonly outcomes: Record<Outcome, number> = {
    ok: 0,
    error: 0,
    timeout: 0,
    dropped: 0,
    cancelled: 0,
  };
  private readonly failures = emptyFailureCounts();
  private readonly lateness = microsHistogram();
  private readonly latency = microsHistogram();
  private readonly latencyFromSchedule = microsHistogram();
  private readonly breakdown = new BreakdownSum();

  add(record: InvocationRecord): void {
    const { result } = record;
    this.planned++;
    this.outcomes[result.outcome]++;
    if (result.outcome !== 'ok' && result.failure !== undefined) this.failures[result.failure]++;
    if (record.phase === 'warmup') this.warmup++;
    if (result.outcome === 'dropped' || result.outcome === 'cancelled') return;
    this.sent++;
    if (result.coldStart) this.coldStarts++;
    if (record.phase === 'warmup') return;
    this.lateness.recordValue(Math.max(0, result.sentAtUs - record.scheduledAtUs));
    this.latency.recordValue(Math.max(0, result.endedAtUs - result.sentAtUs));
    this.breakdown.add(
      result.endedAtUs - result.sentAtUs,
      result.waitMs ?? Number.NaN,
      result.initMs ?? Number.NaN,
      result.execMs ?? Number.NaN,
    );
    this.latencyFromSchedule.recordValue(Math.max(0, result.endedAtUs - record.scheduledAtUs));
  }

  summary(durationS: number): RunSummary {
    return {
      planned: this.planned,
      sent: this.sent,
      outcomes: { ...this.outcomes },
      failures: { ...this.failures },
      coldStarts: this.coldStarts,
      warmup: this.warmup,
      latenessUs: quantilesOf(this.lateness),
      latencyUs: quantilesOf(this.latency),
      latencyFromScheduleUs: quantilesOf(this.latencyFromSchedule),
      latencyBreakdown: this.breakdown.shares(),
      durationS,
    };
  }
}

const ms = (us: number) => `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;

/** The few lines printed at the end of a replay. */
export function formatSummary(s: RunSummary): string {
  const o = s.outcomes;
  const lines = [
    `planned ${s.planned}  sent ${s.sent}  ok ${o.ok}  errors ${o.error}  timeouts ${o.timeout}  dropped ${o.dropped}  cancelled ${o.cancelled}`,
    `cold starts ${s.coldStarts} (${s.sent ? ((100 * s.coldStarts) / s.sent).toFixed(1) : '0.0'}% of sent)  duration ${s.durationS.toFixed(1)} s`,
  ];
  const q = (label: string, x: Quantiles | null) => {
    if (x) lines.push(`${label} p50 ${ms(x.p50)}  p99 ${ms(x.p99)}  p99.9 ${ms(x.p999)}  max ${ms(x.max)}`);
  };
  const failures = FAILURE_KINDS.filter((k) => s.failures[k] > 0).map((k) => `${k} ${s.failures[k]}`);
  if (failures.length > 0) lines.push(`failures by kind: ${failures.join('  ')}`);
  if (s.warmup > 0) lines.push(`warm-up: ${s.warmup} invocations, left out of the figures below`);
  q('lateness            ', s.latenessUs);
  q('latency (from send) ', s.latencyUs);
  q('latency (from plan) ', s.latencyFromScheduleUs);
  if (s.latencyBreakdown) lines.push(formatShares(s.latencyBreakdown));
  return lines.join('\n');
}
