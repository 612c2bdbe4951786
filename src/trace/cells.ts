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

/** A finite decimal number (no hex, no Infinity, no empty cell), else a row error naming the column. */
export function numberCell(file: string, line: number, column: string, text: string | undefined): number {
  const t = (text ?? '').trim();
  if (!DECIMAL.test(t)) throw rowError(file, line, `${column} is not a number: '${text ?? ''}'`);
  return Number(t);
}

/** A number that is not negative, else a row error. */
export function nonNegativeCell(
  file: string,
  line: number,
  column: string,
  text: string | undefined,
): number {
  const v = numberCell(file, line, column, text);
  if (v < 0) throw rowError(file, line, `${column} is negative: ${text}`);
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
