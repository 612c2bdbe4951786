/**
 * Parsing `perf stat -x<SEP> -I <ms>` output, one line per event per interval:
 *
 *   <interval s>SEP<value>SEP<unit>SEP<event>[SEP<cgroup>]SEP<running ns>SEP<enabled %>SEP<metric>SEP<metric unit>
 *
 * (the cgroup field only with -G). The value perf prints is already scaled for multiplexing
 * (raw x enabled / running); the running time is the time the counter was on a PMU, and the
 * percentage is running / enabled x 100. Special values: `<not supported>` (the machine has no
 * such event, e.g. hardware events in most virtual machines) and `<not counted>` (the counter
 * never ran in the interval: with enabled % 100 nothing of the target ran, i.e. a true 0; with a
 * lower % it was multiplexed out and the value is unknown).
 *
 * Limits: perf prints task-clock in msec with 2 decimals (10 µs resolution); counts are exact
 * integers up to 2^53. Event names must not contain SEP (see PERF_SEPARATOR).
 */

/** The field separator asked of perf: event specs such as `cpu/event=0x3c,umask=0/` contain commas. */
export const PERF_SEPARATOR = ';';

export type PerfLineStatus = 'counted' | 'not-counted' | 'not-supported';

export interface PerfLine {
  /** The interval's end, seconds since perf enabled its counters. */
  relS: number;
  event: string;
  /** As perf prints it: msec for task-clock and cpu-clock, '' for counts. */
  unit: string;
  /** Scaled for multiplexing; 0 when nothing ran; null when not counted (multiplexed out) or not supported. */
  value: number | null;
  status: PerfLineStatus;
  /** Time the counter was running in the interval, ns. */
  runningNs: number;
  /** Time the counter was enabled in the interval, ns (running / share). */
  enabledNs: number;
  /** running / enabled in [0, 1]; below 1 the value was extrapolated (multiplexing). */
  share: number;
  cgroup: string | null;
}

/**
 * One line of interval output, or null for a line that is not one (blank, comments, perf's
 * own messages). `withCgroup`: perf was given -G (its lines carry the cgroup field).
 */
export function parsePerfLine(line: string, withCgroup: boolean): PerfLine | null {
  const f = line.trim().split(PERF_SEPARATOR);
  const base = withCgroup ? 6 : 5;
  if (f.length < base + 1) return null;
  const relS = Number(f[0]);
  if (!Number.isFinite(relS)) return null;
  const raw = f[1]!.trim();
  const unit = f[2]!.trim();
  const event = f[3]!.trim();
  if (event === '') return null;
  const cgroup = withCgroup ? f[4]!.trim() : null;
  const runningNs = Number(f[base - 1]);
  const pct = Number(f[base]);
  const share = Number.isFinite(pct) ? Math.max(0, Math.min(1, pct / 100)) : 1;
  const enabledNs = Number.isFinite(runningNs) && share > 0 ? Math.round(runningNs / share) : 0;
  const common = {
    relS,
    event,
    unit,
    runningNs: Number.isFinite(runningNs) ? runningNs : 0,
    enabledNs,
    share,
    cgroup,
  };
  if (raw === '<not supported>') return { ...common, value: null, status: 'not-supported' };
  if (raw === '<not counted>') {
    // perf prints 100 % when enabled = running = 0: the target did not run at all.
    return { ...common, value: share >= 1 ? 0 : null, status: 'not-counted' };
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) return null;
  return { ...common, value, status: 'counted' };
}

/**
 * perf's message when an event name is not known to it (`event syntax error: 'foo'`), else
 * undefined: the events perf rejects, so that the error can name them.
 */
export function rejectedEvent(stderr: string): string | undefined {
  const m = /event syntax error: '([^']*)'/.exec(stderr);
  if (m) return m[1]!.replace(/\\_+.*$/, '').trim();
  const unknown = /Cannot find PMU `([^']*)'|unknown tracepoint|Unknown event/i.exec(stderr);
  return unknown ? (unknown[1] ?? unknown[0]) : undefined;
}

/** Splits a `cycles,instructions,...` list (whitespace allowed), keeping perf's own syntax inside `/.../`. */
export function splitEventList(list: string | readonly string[]): string[] {
  const parts = typeof list === 'string' ? [list] : [...list];
  const out: string[] = [];
  for (const part of parts) {
    let depth = 0;
    let current = '';
    for (const ch of part) {
      if (ch === '/') depth = depth === 0 ? 1 : 0;
      if (ch === ',' && depth === 0) {
        if (current.trim() !== '') out.push(current.trim());
        current = '';
      } else current += ch;
    }
    if (current.trim() !== '') out.push(current.trim());
  }
  return [...new Set(out)];
}
