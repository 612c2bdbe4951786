import type { InvocationRecord } from '../dispatch/dispatcher.js';
import type { Outcome } from '../platforms/types.js';
import { Float64List } from '../util/float64-list.js';
import { distribution } from './distribution.js';

export interface Quantiles {
  p50: number;
  p99: number;
  max: number;
}

export interface RunSummary {
  planned: number;
  sent: number;
  outcomes: Record<Outcome, number>;
  coldStarts: number;
  /** Microseconds, over sent invocations; null when none was sent. */
  latenessUs: Quantiles | null;
  latencyUs: Quantiles | null;
  /** Wall-clock seconds from the run's start to the last answer. */
  durationS: number;
}

/** p50, p99 and max of the samples (nearest rank), or null when there are none. */
function quantiles(samples: Float64List): Quantiles | null {
  const d = distribution(samples.toArray());
  return d && { p50: d.p50, p99: d.p99, max: d.max };
}

/** Collects the numbers of the printed summary, exactly (nearest-rank quantiles). */
export class SummaryCollector {
  private planned = 0;
  private sent = 0;
  private coldStarts = 0;
  private readonly outcomes: Record<Outcome, number> = {
    ok: 0,
    error: 0,
    timeout: 0,
    dropped: 0,
    cancelled: 0,
  };
  private readonly lateness = new Float64List(1024);
  private readonly latency = new Float64List(1024);

  add(record: InvocationRecord): void {
    const { result } = record;
    this.planned++;
    this.outcomes[result.outcome]++;
    if (result.outcome === 'dropped' || result.outcome === 'cancelled') return;
    this.sent++;
    if (result.coldStart) this.coldStarts++;
    this.lateness.push(result.sentAtUs - record.scheduledAtUs);
    this.latency.push(result.endedAtUs - result.sentAtUs);
  }

  summary(durationS: number): RunSummary {
    return {
      planned: this.planned,
      sent: this.sent,
      outcomes: { ...this.outcomes },
      coldStarts: this.coldStarts,
      latenessUs: quantiles(this.lateness),
      latencyUs: quantiles(this.latency),
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
  if (s.latenessUs)
    lines.push(
      `lateness p50 ${ms(s.latenessUs.p50)}  p99 ${ms(s.latenessUs.p99)}  max ${ms(s.latenessUs.max)}`,
    );
  if (s.latencyUs)
    lines.push(`latency  p50 ${ms(s.latencyUs.p50)}  p99 ${ms(s.latencyUs.p99)}  max ${ms(s.latencyUs.max)}`);
  return lines.join('\n');
}
