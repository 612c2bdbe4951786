import { FAILURE_KINDS } from '../platforms/failure.js';
import type { LatencyShares } from './latency-breakdown.js';
import type { RunAggregate } from './run-aggregate.js';
import type { ValueSketch } from './sketch.js';

/** The summary table of a report: one run's counts and quantiles, aggregated batch by batch. */
export interface RunReportSummary {
  label: string;
  planned: number;
  sent: number;
  outcomes: Record<string, number>;
  /** Failed invocations per failure kind; empty for a dataset without the `failure` column. */
  failureKinds: Record<string, number>;
  coldStarts: number;
  /** Cold starts over sent invocations whose cold_start is known; null when none is. */
  coldShare: number | null;
  /** Seconds from the first planned invocation to the last answer. */
  durationS: number;
  sentPerS: number;
  /**
   * Nearest-rank quantiles over sent invocations of the measured phase, µs; null when none. Exact
   * up to 65,536 values, then at most 1/1024 above the exact one (ValueSketch); max always exact.
   */
  latenessUs: SummaryQuantiles | null;
  latencyUs: SummaryQuantiles | null;
  latencyFromScheduleUs: SummaryQuantiles | null;
  /** Shares of latency waiting, in init, in execution and elsewhere; null without exec_ms. */
  latencyBreakdown: LatencyShares | null;
}

export interface SummaryQuantiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** The summary's quantiles from a sketch (nearest rank; see ValueSketch for its error); null when empty. */
export function quantiles(sketch: ValueSketch): SummaryQuantiles | null {
  const q = sketch.quantiles([0.5, 0.9, 0.99, 0.999]);
  if (!q) return null;
  return { p50: q[0]!, p90: q[1]!, p99: q[2]!, p999: q[3]!, max: sketch.max };
}

/** The summary of one run, from what its report aggregated (run-aggregate.ts). */
export function summarizeRun(agg: RunAggregate): RunReportSummary {
  const durationS = agg.scan.spanS;
  return {
    label: agg.scan.run.label,
    planned: agg.planned,
    sent: agg.sent,
    outcomes: { ...agg.outcomes },
    failureKinds: { ...agg.failureKinds },
    coldStarts: agg.coldStarts,
    coldShare: agg.coldKnown > 0 ? agg.coldStarts / agg.coldKnown : null,
    durationS,
    sentPerS: durationS > 0 ? agg.sent / durationS : 0,
    latenessUs: quantiles(agg.lateness),
    latencyUs: quantiles(agg.latency),
    latencyFromScheduleUs: agg.latencyFromSchedule ? quantiles(agg.latencyFromSchedule) : null,
    latencyBreakdown: agg.breakdown?.all.shares() ?? null,
  };
}

const ms = (us: number) => (us / 1000).toFixed(us < 10_000 ? 2 : 1);

/** The rows of the summary table: [label, value per run...], shared by the terminal and HTML. */
export function summaryTable(summaries: readonly RunReportSummary[]): string[][] {
  const row = (label: string, f: (s: RunReportSummary) => string) => [label, ...summaries.map(f)];
  const q = (label: string, pick: (s: RunReportSummary) => SummaryQuantiles | null) =>
    row(label, (s) => {
      const x = pick(s);
      return x ? `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.p999)} / ${ms(x.max)}` : 'n/a';
    });
  const outcomes = [...new Set(summaries.flatMap((s) => Object.keys(s.outcomes)))];
  const kinds = FAILURE_KINDS.filter((k) => summaries.some((s) => (s.failureKinds[k] ?? 0) > 0));
  return [
    row('run', (s) => s.label),
    row('planned', (s) => String(s.planned)),
    row('sent', (s) => String(s.sent)),
    ...outcomes.map((o) => row(o, (s) => String(s.outcomes[o] ?? 0))),
    ...kinds.map((k) => row(`failure: ${k}`, (s) => String(s.failureKinds[k] ?? 0))),
    row('cold starts', (s) =>
      s.coldShare === null ? 'n/a' : `${s.coldStarts} (${(100 * s.coldShare).toFixed(1)}% of sent)`,
    ),
    row('duration (s)', (s) => s.durationS.toFixed(1)),
    row('sent per second', (s) => s.sentPerS.toFixed(1)),
    q('lateness ms p50 / p99 / p99.9 / max', (s) => s.latenessUs),
    q('latency ms p50 / p99 / p99.9 / max', (s) => s.latencyUs),
    q('latency from plan ms, same', (s) => s.latencyFromScheduleUs),
    row('latency share wait / init / exec / other', (s) => {
      const b = s.latencyBreakdown;
      if (!b) return 'n/a';
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      return `${pct(b.shares.wait)} / ${pct(b.shares.init)} / ${pct(b.shares.exec)} / ${pct(b.shares.other)}`;
    }),
  ];
}

/** The summary table as aligned text for the terminal. */
export function formatSummaryTable(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
