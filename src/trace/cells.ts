import { FaasloadError, rowError } from '../errors.js';
import type { CsvRow } from './csv.js';

/** Header checks and cell conversions shared by the readers; every failure names file and line. */

/**
 * The index of each named column in `header`. A missing one → E_TRACE_FORMAT naming the file
 * and the column. Extra columns are allowed; order does not matter.
 */
export function columnIndexes<const N extends string>(
  file: string,
  header: readonly string[],
  names: readonly N[],
): Record<N, number> {
  const at = new Map<string, number>();
  header.forEach((name, i) => {
    const key = name.trim();
    if (!at.has(key)) at.set(key, i);
  });
  const out = {} as Record<N, number>;
  for (const name of names) {
    const i = at.get(name);
    if (i === undefined) {
      throw new FaasloadError('E_TRACE_FORMAT', `${file}: the header has no column '${name}'`);
    }
    out[name] = i;
  }
  return out;
}

/** Throws a row error unless the row has exactly `expected` cells (the header's count). */
export function expectCellCount(file: string, row: CsvRow, expected: number): void {
  if (row.cells.length !== expected) {
    throw rowError(file, row.line, `expected ${expected} cells as in the header, found ${row.cells.length}`);
  }
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A finite decimal number (no hex, no NaN, no empty cell, nothing that overflows a double such as
 * `1e400`), else a row error naming the column.
 */
export function numberCell(file: string, line: number, column: string, text: string | undefined): number {
  const t = (text ?? '').trim();
  if (!DECIMAL.test(t)) throw rowError(file, line, `${column} is not a number: '${text ?? ''}'`);
  const v = Number(t);
  if (!Number.isFinite(v)) throw rowError(file, line, `${column} is not a finite number: '${t}'`);
  return v;
}

const U32_MAX = 0xffff_ffff;

/**
 * An invocation count: an integer in [0, 2^32 - 1] (`3.0` is accepted, `2.5` and `-1` are not).
 * Hot: called once per minute cell (66 million times for a raw Azure 2019 day), so plain digit
 * strings take a fast path that skips the regex.
 */
export function countCell(file: string, line: number, column: string, text: string | undefined): number {
  const fast = text === undefined ? undefined : wholeCount(text);
  if (fast !== undefined) return fast;
  const v = numberCell(file, line, column, text);
  if (v < 0) throw rowError(file, line, `count in column ${column} is negative: ${text}`);
  if (!Number.isInteger(v))
    throw rowError(file, line, `count in column ${column} is not an integer: ${text}`);
  if (v > U32_MAX) throw rowError(file, line, `count in column ${column} is too large: ${text}`);
  return v;
}

/** A non-empty id cell, else a row error. */
export function idCell(file: string, line: number, column: string, text: string | undefined): string {
  const t = (text ?? '').trim();
  if (t === '') throw rowError(file, line, `${column} is empty`);
  return t;
}

/**
 * The fast path for a count cell: up to 9 digits, optionally followed by `.` and zeros (pandas
 * writes the counts of a column with NaNs as floats, `816.0`). Anything else → undefined, for
 * countCell to read or reject. Hot: once per non-empty cell (66 million cells in a raw Azure
 * 2019 day, 17 million in a day of Huawei Private per-second requests).
 */
export function wholeCount(text: string): number | undefined {
  let v = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    v = v * 10 + digit;
  }
  if (i === 0 || i > 9) return undefined;
  if (i < text.length) {
    if (text.charCodeAt(i) !== 46 /* . */) return undefined;
    for (i++; i < text.length; i++) if (text.charCodeAt(i) !== 48 /* 0 */) return undefined;
  }
  return v;
}

/** Microseconds in a day. */
export const DAY_US = 86_400e6;

/**
 * The bounds past which a trace value is absurd, checked by every reader with the functions below
 * (a row error `file:line: ...`, exit 3), so that no reader hands the planner a number it cannot
 * lay out (a span of 31,000 years from an end_timestamp of 1e12 s, an Infinity from 1e400).
 * They are far above any real FaaS trace (the public ones span days to months; platforms cap a
 * function at minutes to hours and at a few GB), so a value beyond them is a broken cell, not data.
 */
export const TRACE_LIMITS = {
  /** A time from the trace's time 0, and the spread of a file's times (plain CSV): 366 days. */
  maxTimeUs: 366 * DAY_US,
  /** An invocation's duration: no longer than a trace can span, 366 days. */
  maxDurationMs: (366 * DAY_US) / 1000,
  /** Memory: 1 TiB. */
  maxMemoryMb: 1024 * 1024,
  /**
   * Invocations counted in one bin: at most one per microsecond of it (60 million in a minute,
   * 1 million in a second), the plan's time resolution. Also within 2^32 - 1 (countCell).
   */
  maxCountPerUs: 1,
} as const;

/** The largest count a bin of `binUs` may hold (TRACE_LIMITS.maxCountPerUs). */
export function maxCountIn(binUs: number): number {
  return Math.min(U32_MAX, binUs * TRACE_LIMITS.maxCountPerUs);
}

/** A time in days, for messages: `12.5 days`. */
export function days(us: number): string {
  return `${Number((us / DAY_US).toPrecision(4))} days`;
}

/**
 * A time in microseconds from the trace's time 0 (`what` names it, `text` is the cell as written),
 * else a row error: negative, not finite, or past TRACE_LIMITS.maxTimeUs.
 */
export function checkTimeUs(file: string, line: number, what: string, us: number, text: string): number {
  if (!Number.isFinite(us)) throw rowError(file, line, `${what} is not a finite number: '${text}'`);
  if (us < 0) throw rowError(file, line, `${what} is negative: ${text}`);
  if (us > TRACE_LIMITS.maxTimeUs) {
    throw rowError(
      file,
      line,
      `${what} ${text} is ${days(us)} after the trace's time 0, past the ${days(TRACE_LIMITS.maxTimeUs)} a trace may span`,
    );
  }
  return us;
}

/** A duration in milliseconds, else a row error: negative, not finite, or past TRACE_LIMITS.maxDurationMs. */
export function checkDurationMs(file: string, line: number, what: string, ms: number, text: string): number {
  if (!Number.isFinite(ms)) throw rowError(file, line, `${what} is not a finite number: '${text}'`);
  if (ms < 0) throw rowError(file, line, `${what} is negative: ${text}`);
  if (ms > TRACE_LIMITS.maxDurationMs) {
    throw rowError(
      file,
      line,
      `${what} ${text} is a duration of ${days(ms * 1000)}, past the ${days(TRACE_LIMITS.maxDurationMs * 1000)} bound`,
    );
  }
  return ms;
}

/** Memory in megabytes, else a row error: negative, not finite, or past TRACE_LIMITS.maxMemoryMb. */
export function checkMemoryMb(file: string, line: number, what: string, mb: number, text: string): number {
  if (!Number.isFinite(mb)) throw rowError(file, line, `${what} is not a finite number: '${text}'`);
  if (mb < 0) throw rowError(file, line, `${what} is negative: ${text}`);
  if (mb > TRACE_LIMITS.maxMemoryMb) {
    throw rowError(file, line, `${what} ${text} MB is past the ${TRACE_LIMITS.maxMemoryMb} MB (1 TiB) bound`);
  }
  return mb;
}

/** The error for a count past maxCountIn(binUs). */
export function countBoundError(
  file: string,
  line: number,
  column: string,
  count: number,
  binUs: number,
): FaasloadError {
  return rowError(
    file,
    line,
    `count in column ${column} is ${count}, more than one invocation per microsecond of its ${binUs / 1e6} s bin (at most ${maxCountIn(binUs)})`,
  );
}
