import type { LiveSnapshot } from '../dispatch/live.js';

/** Where progress goes: a terminal gets one line redrawn in place, anything else log lines. */
export interface ProgressTarget {
  write(text: string): void;
  tty: boolean;
}

export interface ProgressOptions {
  target: ProgressTarget;
  snapshot(): LiveSnapshot;
  /** Planned invocations and run time, for "x of y". */
  planned: number;
  spanS: number;
  /** Redraw (terminal) or log (otherwise) interval; defaults 250 ms and 10 s. */
  everyMs?: number;
  /** Appended to the line when it says something (what sets the pace: dispatch/pace.ts). */
  note?: () => string | undefined;
}

const count = (n: number) => n.toLocaleString('en-US');

/** One progress line: elapsed / planned time, sent, in flight, errors, dropped, lateness p99, rate. */
export function formatProgress(s: LiveSnapshot, planned: number, spanS: number, note?: string): string {
  const p99 = s.latenessP99Us === null ? '-' : `${(s.latenessP99Us / 1000).toFixed(2)} ms`;
  return [
    `${s.elapsedS.toFixed(1)}/${spanS.toFixed(1)} s`,
    `sent ${count(s.sent)}/${count(planned)}`,
    `in flight ${count(s.inFlight)}`,
    `errors ${count(s.errors)}`,
    `dropped ${count(s.dropped)}`,
    `lateness p99 ${p99}`,
    `${count(Math.round(s.achievedPerS))}/s of ${count(Math.round(s.requestedPerS))}/s`,
    ...(note ? [note] : []),
  ].join('  ');
}

/** Starts showing progress; stop() clears the terminal line (or stops logging). */
export function startProgress(o: ProgressOptions): { stop(): void } {
  const { target } = o;
  const draw = () => {
    const line = formatProgress(o.snapshot(), o.planned, o.spanS, o.note?.());
    target.write(target.tty ? `\r\x1b[K${line}` : `${line}\n`);
  };
  const timer = setInterval(draw, o.everyMs ?? (target.tty ? 250 : 10_000));
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (target.tty) target.write('\r\x1b[K');
    },
  };
}
