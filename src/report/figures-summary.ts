import type { RunData } from './figures-load.js';

/** The summary table of a report: one run's counts and exact quantiles, from its rows. */
export interface RunReportSummary {
  label: string;
  planned: number;
  sent: number;
  outcomes: Record<string, number>;
  coldStarts: number;
  /** Cold starts over sent invocations whose cold_start is known; null when none is. */
  coldShare: number | null;
  /** Seconds from the first planned invocation to the last answer. */
  durationS: number;
  sentPerS: number;
  /** Nearest-rank quantiles over sent invocations of the measured phase, µs; null when none. */
  latenessUs: SummaryQuantiles | null;
  latencyUs: SummaryQuantiles | null;
  latencyFromScheduleUs: SummaryQuantiles | null;
}

export interface SummaryQuantiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Nearest-rank quantiles of the non-NaN values (a sorted copy; `values` is left as is). */
export function quantiles(values: Float64Array): SummaryQuantiles | null {
  const xs = values.filter((x) => !Number.isNaN(x)).sort();
  const n = xs.length;
  if (n === 0) return null;
  const at = (q: number) => xs[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: xs[n - 1]! };
}

export function summarizeRun(run: RunData): RunReportSummary {
  const inv = run.invocations;
  const outcome = inv.str('outcome');
  const sentAt = inv.num('sent_at');
  const scheduled = inv.num('scheduled_at');
  const ended = inv.num('ended_at');
  const phase = inv.has('phase') ? inv.str('phase') : null;
  const cold = inv.has('cold_start') ? inv.num('cold_start') : null;
  const outcomes: Record<string, number> = { ok: 0, error: 0, timeout: 0, dropped: 0, cancelled: 0 };
  let sent = 0;
  let coldStarts = 0;
  let coldKnown = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < inv.rows; i++) {
    const o = outcome[i] ?? 'unknown';
    outcomes[o] = (outcomes[o] ?? 0) + 1;
    first = Math.min(first, scheduled[i]!);
    for (const t of [scheduled[i]!, sentAt[i]!, ended[i]!]) if (t > last) last = t;
    if (Number.isNaN(sentAt[i]!)) continue;
    sent++;
    if (cold && !Number.isNaN(cold[i]!)) {
      coldKnown++;
      coldStarts += cold[i]!;
    }
  }
  const measured = (column: string) => {
    if (!inv.has(column)) return null;
    const xs = inv.num(column);
    return quantiles(xs.filter((_, i) => phase?.[i] !== 'warmup' && !Number.isNaN(sentAt[i]!)));
  };
  const durationS = inv.rows > 0 ? (last - first) / 1e6 : 0;
  return {
    label: run.label,
    planned: inv.rows,
    sent,
    outcomes,
    coldStarts,
    coldShare: coldKnown > 0 ? coldStarts / coldKnown : null,
    durationS,
    sentPerS: durationS > 0 ? sent / durationS : 0,
    latenessUs: measured('lateness_us'),
    latencyUs: measured('latency_us'),
    latencyFromScheduleUs: measured('latency_from_schedule_us'),
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
  return [
    row('run', (s) => s.label),
    row('planned', (s) => String(s.planned)),
    row('sent', (s) => String(s.sent)),
    ...outcomes.map((o) => row(o, (s) => String(s.outcomes[o] ?? 0))),
    row('cold starts', (s) =>
      s.coldShare === null ? 'n/a' : `${s.coldStarts} (${(100 * s.coldShare).toFixed(1)}% of sent)`,
    ),
    row('duration (s)', (s) => s.durationS.toFixed(1)),
    row('sent per second', (s) => s.sentPerS.toFixed(1)),
    q('lateness ms p50 / p99 / p99.9 / max', (s) => s.latenessUs),
    q('latency ms p50 / p99 / p99.9 / max', (s) => s.latencyUs),
    q('latency from plan ms, same', (s) => s.latencyFromScheduleUs),
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
