/**
 * Per-activation counter deltas: each activation's execution window [start, end] on its instance
 * gets, for each event, the counts of the perf intervals (a, b] of that instance that overlap
 * it. An interval inside the window counts fully. An interval the window cuts goes to the
 * windows that overlap it, split by their time in it: an instance does nothing between its
 * activations but its runtime's housekeeping, so the count of an interval cut by one window is
 * that activation's, whether it ran in 2 or 18 ms of a 20 ms interval (a linear share of the
 * interval's time would halve a 20 ms function's counts). The error is the housekeeping in the
 * cut intervals (a GC, the runtime's HTTP handling around /run), at most two intervals' worth.
 *
 * Streaming: counter rows arrive in time order per (instance, event) (one perf process per
 * instance writes them in order), any interleaving across instances; memory is the windows plus
 * a small active set per (instance, event). A window is emitted once an interval past its end has
 * arrived; windows not covered by perf's intervals (an instance counted late, or killed before
 * the last interval) are counted as uncovered, never written as partial values.
 */

export interface ActivationWindow {
  activationId: string;
  instanceId: string;
  functionName: string | null;
  startUs: number;
  endUs: number;
  source: 'exec' | 'client';
}

/** One counters row, the fields the join reads. */
export interface CounterInterval {
  timeUs: number;
  intervalUs: number;
  instanceId: string;
  event: string;
  unit: string;
  value: number | null;
  scaled: boolean;
}

export interface InvocationCounterRow {
  activation_id: string;
  instance_id: string;
  function: string | null;
  event: string;
  unit: string;
  value: number;
  scaled: boolean;
  concurrent: boolean;
  window_start: number;
  window_end: number;
  window_source: string;
  intervals: number;
}

export interface JoinCounts {
  /** Activations with a window on an instance that has counters. */
  windows: number;
  /** (activation, event) rows written. */
  rows: number;
  /** (activation, event) pairs left out: the window was not wholly inside perf's intervals. */
  uncovered: number;
  /** (activation, event) pairs left out: an interval inside the window had no value (multiplexed out). */
  unknown: number;
  /** Activations that overlapped another one on the same instance. */
  concurrent: number;
}

interface Acc {
  value: number;
  coveredUs: number;
  intervals: number;
  scaled: boolean;
  unknown: boolean;
}

interface Stream {
  windows: readonly ActivationWindow[];
  concurrent: Uint8Array;
  next: number;
  active: { w: number; acc: Acc }[];
  unit: string;
}

/** Marks the windows (sorted by start) that overlap another window. */
function overlaps(windows: readonly ActivationWindow[]): Uint8Array {
  const flags = new Uint8Array(windows.length);
  for (let i = 0; i < windows.length; i++) {
    for (let j = i + 1; j < windows.length && windows[j]!.startUs < windows[i]!.endUs; j++) {
      flags[i] = 1;
      flags[j] = 1;
    }
  }
  return flags;
}

/**
 * The join, fed counter rows one by one (add) and finished once (finish). Rows are written
 * through `emit` as windows complete.
 */
export class CounterJoin {
  private readonly byInstance = new Map<string, { windows: ActivationWindow[]; concurrent: Uint8Array }>();
  private readonly streams = new Map<string, Stream>();
  readonly counts: JoinCounts = { windows: 0, rows: 0, uncovered: 0, unknown: 0, concurrent: 0 };
  private readonly seenInstances = new Set<string>();

  constructor(
    windows: Iterable<ActivationWindow>,
    private readonly emit: (row: InvocationCounterRow) => void,
  ) {
    const grouped = new Map<string, ActivationWindow[]>();
    for (const w of windows) {
      if (!(w.endUs > w.startUs)) continue;
      const list = grouped.get(w.instanceId);
      if (list) list.push(w);
      else grouped.set(w.instanceId, [w]);
    }
    for (const [id, list] of grouped) {
      list.sort((a, b) => a.startUs - b.startUs);
      this.byInstance.set(id, { windows: list, concurrent: overlaps(list) });
    }
  }

  add(row: CounterInterval): void {
    const key = `${row.instanceId}\u0000${row.event}`;
    let s = this.streams.get(key);
    if (!s) {
      const inst = this.byInstance.get(row.instanceId);
      if (!inst) return;
      if (!this.seenInstances.has(row.instanceId)) {
        this.seenInstances.add(row.instanceId);
        this.counts.windows += inst.windows.length;
        for (const c of inst.concurrent) this.counts.concurrent += c;
      }
      s = { windows: inst.windows, concurrent: inst.concurrent, next: 0, active: [], unit: row.unit };
      this.streams.set(key, s);
    }
    const b = row.timeUs;
    const a = b - row.intervalUs;
    if (!(row.intervalUs > 0)) return;
    while (s.next < s.windows.length && s.windows[s.next]!.startUs < b) {
      s.active.push({
        w: s.next++,
        acc: { value: 0, coveredUs: 0, intervals: 0, scaled: false, unknown: false },
      });
    }
    // The interval's count goes to the windows that overlap it, by their time in it (see top).
    let sharedUs = 0;
    for (const item of s.active) {
      const w = s.windows[item.w]!;
      sharedUs += Math.max(0, Math.min(b, w.endUs) - Math.max(a, w.startUs));
    }
    let keep = 0;
    for (const item of s.active) {
      const w = s.windows[item.w]!;
      const overlapUs = Math.min(b, w.endUs) - Math.max(a, w.startUs);
      if (overlapUs > 0) {
        const acc = item.acc;
        acc.intervals++;
        acc.coveredUs += overlapUs;
        if (row.value === null) acc.unknown = true;
        else acc.value += (row.value * overlapUs) / sharedUs;
        if (row.scaled) acc.scaled = true;
      }
      if (w.endUs <= b) this.finish1(s, item.w, item.acc, row.event);
      else s.active[keep++] = item;
    }
    s.active.length = keep;
  }

  private finish1(s: Stream, index: number, acc: Acc, event: string): void {
    const w = s.windows[index]!;
    const spanUs = w.endUs - w.startUs;
    // Row times are estimates (see perf.ts): a few µs of slack between consecutive intervals.
    if (acc.coveredUs < spanUs - Math.max(50, spanUs * 0.01)) {
      this.counts.uncovered++;
      return;
    }
    if (acc.unknown) {
      this.counts.unknown++;
      return;
    }
    this.counts.rows++;
    this.emit({
      activation_id: w.activationId,
      instance_id: w.instanceId,
      function: w.functionName,
      event,
      unit: s.unit,
      value: acc.value,
      scaled: acc.scaled,
      concurrent: s.concurrent[index] === 1,
      window_start: w.startUs,
      window_end: w.endUs,
      window_source: w.source,
      intervals: acc.intervals,
    });
  }

  /** Windows still open (past the last interval of their instance) are uncovered. */
  finish(): JoinCounts {
    for (const s of this.streams.values()) {
      this.counts.uncovered += s.active.length + (s.windows.length - s.next);
      s.active.length = 0;
      s.next = s.windows.length;
    }
    return this.counts;
  }
}

/** An invocation row's fields the window is made from (times epoch µs, exec in ms). */
export interface InvocationTimes {
  activationId: string | null;
  instanceId: string | null;
  target: string | null;
  sentUs: number | null;
  endedUs: number | null;
  execMs: number | null;
}

/**
 * The execution window of an invocation: [ended - exec, ended] when the platform reports its
 * execution time (the local platform times /run; OpenWhisk its activation), else [sent, ended]
 * as the client saw it (queueing and a cold start included). null without an activation id,
 * an instance id or an end.
 */
export function activationWindow(t: InvocationTimes): ActivationWindow | null {
  if (t.activationId === null || t.instanceId === null || t.endedUs === null) return null;
  const fromExec = t.execMs !== null && Number.isFinite(t.execMs) && t.execMs >= 0;
  const startUs = fromExec ? t.endedUs - Math.round(t.execMs! * 1000) : t.sentUs;
  if (startUs === null) return null;
  return {
    activationId: t.activationId,
    instanceId: t.instanceId,
    functionName: t.target,
    startUs,
    endUs: t.endedUs,
    source: fromExec ? 'exec' : 'client',
  };
}
