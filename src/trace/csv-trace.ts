import { basename, extname } from 'node:path';
import { FaasloadError, rowError } from '../errors.js';
import { Float64List } from '../util/float64-list.js';
import { sortByTime } from '../util/sort-by-time.js';
import { percentilesOf } from './by-time.js';
import {
  checkDurationMs,
  checkMemoryMb,
  days,
  expectCellCount,
  idCell,
  numberCell,
  TRACE_LIMITS,
} from './cells.js';
import { readCsvRows } from './csv.js';
import { DATE_TIME_SHAPES, dateTimeMicros, decimalMicros } from './micros.js';
import { sourceLookup } from './sources.js';
import type { ArrivalSource, CsvTraceColumns, ReadTraceOptions, Trace, TraceFunction } from './types.js';
import { WarningLog } from './warnings.js';

/**
 * Plain CSV traces (`--format csv`): one row per invocation, in any order, with an arrival time
 * column and optional function, duration and memory columns chosen by ReadTraceOptions.csv.
 */
export const CSV_TIME_UNITS = ['s', 'ms', 'us', 'datetime'] as const;
export const CSV_DURATION_UNITS = ['s', 'ms'] as const;

/** Digits of a microsecond in one unit of each numeric time unit. */
const UNIT_DIGITS = { s: 6, ms: 3, us: 0 } as const;

/** The flag that sets each column, for messages. */
const FLAGS = {
  time: '--time-column',
  function: '--function-column',
  duration: '--duration-column',
  memory: '--memory-column',
} as const;

type Role = keyof typeof FLAGS;

interface Column {
  index: number;
  /** The header's name for it, or `column N` (1-based) when the header cell is empty. */
  name: string;
}

/**
 * Reads a plain CSV trace. The first line is the header. Times are read exactly to the microsecond
 * (see micros.ts): numbers in s, ms or us, or date-times such as `2023-01-02 03:04:05.1234567` and
 * ISO 8601 (read as UTC without an offset). Trace time 0 is the earliest time in the file; rows need
 * not be sorted (each function's arrivals are sorted, stably). Functions are the distinct values of
 * the function column in order of first appearance, or, without one, a single function named after
 * the file (its name without extension). Durations (converted to ms) and memory (MB) become
 * per-invocation columns, an empty cell meaning unknown (NaN), and their distributions become the
 * function's durationMs and memoryMb percentiles. spanUs is just past the latest arrival (+1 µs), or
 * the latest end (arrival + duration) when later.
 *
 * Keeps per invocation 8 bytes of time plus 8 per duration or memory column, never the rows.
 *
 * Errors: an unknown unit, or a column name or index the header does not have → E_USAGE naming the
 * file, the column and the flag; an empty file → E_TRACE_FORMAT; a malformed row (cell count, a time
 * that does not parse in the chosen unit, an empty function, a negative duration or memory) →
 * E_TRACE_ROW `file:line: ...`, the first one stopping the read. Values past TRACE_LIMITS (cells.ts)
 * are row errors too: times spread over more than 366 days (the message names the line of the
 * other end), a duration past 366 days, memory past 1 TiB.
 */
export async function readCsvTrace(file: string, options: ReadTraceOptions = {}): Promise<Trace> {
  const columns: CsvTraceColumns = options.csv ?? {};
  const timeUnit = columns.timeUnit ?? 's';
  if (!(CSV_TIME_UNITS as readonly string[]).includes(timeUnit)) {
    throw new FaasloadError(
      'E_USAGE',
      `unknown time unit '${timeUnit}' for ${file}: expected one of ${CSV_TIME_UNITS.join(', ')}`,
    );
  }
  const durationUnit = columns.durationUnit ?? 'ms';
  if (!(CSV_DURATION_UNITS as readonly string[]).includes(durationUnit)) {
    throw new FaasloadError(
      'E_USAGE',
      `unknown duration unit '${durationUnit}' for ${file}: expected one of ${CSV_DURATION_UNITS.join(', ')}`,
    );
  }
  const durationScale = durationUnit === 's' ? 1000 : 1;

  const warnings = new WarningLog();
  /** Each function's rows as read, in order of first appearance. */
  const byId = new Map<
    string,
    { f: TraceFunction; atUs: Float64List; durationMs: Float64List; memoryMb: Float64List }
  >();
  let header: string[] | undefined;
  let time: Column = { index: 0, name: 'time' };
  let fnCol: Column | undefined;
  let durationCol: Column | undefined;
  let memoryCol: Column | undefined;
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = Number.NEGATIVE_INFINITY;
  /** Where the earliest and latest times were read, for the span check. */
  let minAt = { line: 0, text: '' };
  let maxAt = { line: 0, text: '' };
  let unknownDurations = 0;
  let unknownMemory = 0;

  for await (const row of readCsvRows(file)) {
    if (header === undefined) {
      header = row.cells;
      time = resolveColumn(file, header, 'time', columns.timeColumn ?? 'time');
      fnCol = optionalColumn(file, header, 'function', columns.functionColumn);
      durationCol = optionalColumn(file, header, 'duration', columns.durationColumn);
      memoryCol = optionalColumn(file, header, 'memory', columns.memoryColumn);
      if (
        time.name !== (columns.timeColumn ?? 'time') &&
        typeof parseTime(header[time.index]!.trim(), timeUnit) === 'number'
      ) {
        warnings.add(
          'header looks like data',
          `${file}:1: the header cell of the time column, '${header[time.index]}', reads as a time: line 1 is read as the header, not as an invocation`,
        );
      }
      continue;
    }
    expectCellCount(file, row, header.length);
    const { line, cells } = row;
    const text = cells[time.index]!.trim();
    const us = parseTime(text, timeUnit);
    if (typeof us !== 'number') throw timeError(file, line, time.name, text, timeUnit, us);
    if (us < minUs) {
      minUs = us;
      minAt = { line, text };
    }
    if (us > maxUs) {
      maxUs = us;
      maxAt = { line, text };
    }
    if (maxUs - minUs > TRACE_LIMITS.maxTimeUs) {
      const other = us === minUs ? maxAt : minAt;
      throw rowError(
        file,
        line,
        `${time.name} ${text} is ${days(maxUs - minUs)} from the ${time.name} ${other.text} of line ${other.line}, past the ${days(TRACE_LIMITS.maxTimeUs)} a trace may span`,
      );
    }

    const id = fnCol === undefined ? '' : idCell(file, line, fnCol.name, cells[fnCol.index]);
    let fn = byId.get(id);
    if (fn === undefined) {
      fn = {
        f: { id: fnCol === undefined ? fileFunctionName(file) : id },
        atUs: new Float64List(),
        durationMs: new Float64List(),
        memoryMb: new Float64List(),
      };
      byId.set(id, fn);
    }
    fn.atUs.push(us);
    if (durationCol !== undefined) {
      const text = cells[durationCol.index]!;
      const v = amountCell(file, line, durationCol.name, text) * durationScale;
      if (Number.isNaN(v)) unknownDurations++;
      else checkDurationMs(file, line, durationCol.name, v, text.trim());
      fn.durationMs.push(v);
    }
    if (memoryCol !== undefined) {
      const text = cells[memoryCol.index]!;
      const v = amountCell(file, line, memoryCol.name, text);
      if (Number.isNaN(v)) unknownMemory++;
      else checkMemoryMb(file, line, memoryCol.name, v, text.trim());
      fn.memoryMb.push(v);
    }
  }
  if (header === undefined) {
    throw new FaasloadError('E_TRACE_FORMAT', `${file}: empty file, expected a header line`);
  }
  if (unknownDurations > 0) {
    warnings.add(
      'unknown durations',
      `${file}: ${unknownDurations} rows have an empty ${durationCol?.name} cell: their duration is unknown`,
    );
  }
  if (unknownMemory > 0) {
    warnings.add(
      'unknown memory',
      `${file}: ${unknownMemory} rows have an empty ${memoryCol?.name} cell: their memory is unknown`,
    );
  }

  let spanUs = 0;
  const read = [...byId.values()];
  const functions = read.map((r) => r.f);
  const sources: ArrivalSource[] = read.map(({ f, atUs, durationMs, memoryMb }) => {
    const at = atUs.toArray();
    for (let i = 0; i < at.length; i++) at[i] = at[i]! - minUs;
    const dur = durationCol === undefined ? undefined : durationMs.toArray();
    const mem = memoryCol === undefined ? undefined : memoryMb.toArray();
    sortByTime(at, dur, mem);
    spanUs = Math.max(spanUs, at[at.length - 1]! + 1);
    if (dur !== undefined) {
      for (let i = 0; i < at.length; i++) {
        if (!Number.isNaN(dur[i]!)) spanUs = Math.max(spanUs, Math.ceil(at[i]! + dur[i]! * 1000));
      }
      const p = percentilesOf(dur);
      if (p !== undefined) f.durationMs = p;
    }
    if (mem !== undefined) {
      const p = percentilesOf(mem);
      if (p !== undefined) f.memoryMb = p;
    }
    return {
      kind: 'times',
      atUs: at,
      ...(dur === undefined ? {} : { durationMs: dur }),
      ...(mem === undefined ? {} : { memoryMb: mem }),
    };
  });

  return {
    format: 'csv',
    files: [file],
    functions,
    spanUs,
    warnings: warnings.list(),
    arrivals: sourceLookup(sources, file),
  };
}

type TimeUnit = (typeof CSV_TIME_UNITS)[number];

function parseTime(text: string, unit: string): number | 'malformed' | 'out of range' {
  if (unit === 'datetime') return dateTimeMicros(text);
  return decimalMicros(text, UNIT_DIGITS[unit as Exclude<TimeUnit, 'datetime'>]);
}

function timeError(
  file: string,
  line: number,
  column: string,
  text: string,
  unit: string,
  problem: 'malformed' | 'out of range',
): FaasloadError {
  if (problem === 'out of range') {
    return rowError(
      file,
      line,
      `${column} is out of range (more than 2^53 µs from 0 or from 1970): '${text}'`,
    );
  }
  if (unit === 'datetime') {
    return rowError(file, line, `${column} is not a date-time (${DATE_TIME_SHAPES}): '${text}'`);
  }
  const hint = dateTimeMicros(text) === 'malformed' ? '' : ' (it is a date-time: pass --time-unit datetime)';
  return rowError(file, line, `${column} is not a number of ${unit}: '${text}'${hint}`);
}

/** A duration or memory cell: empty → NaN (unknown), else a number that is not negative. */
function amountCell(file: string, line: number, column: string, text: string): number {
  if (text.trim() === '') return Number.NaN;
  const v = numberCell(file, line, column, text);
  if (v < 0) throw rowError(file, line, `${column} is negative: ${text}`);
  return v;
}

function optionalColumn(
  file: string,
  header: readonly string[],
  role: Role,
  wanted: string | undefined,
): Column | undefined {
  return wanted === undefined ? undefined : resolveColumn(file, header, role, wanted);
}

/**
 * The column a --*-column value names: the first header cell equal to it (both trimmed), else,
 * when it is all digits, the column at that 0-based index. Anything else is an E_USAGE listing the
 * header.
 */
export function resolveColumn(file: string, header: readonly string[], role: Role, wanted: string): Column {
  const key = wanted.trim();
  const byName = header.findIndex((cell) => cell.trim() === key);
  if (byName !== -1) return { index: byName, name: key };
  const listed = header
    .slice(0, 20)
    .map((c) => `'${c.trim()}'`)
    .join(', ');
  const all = `${listed}${header.length > 20 ? `, ... (${header.length} columns)` : ''}`;
  if (/^\d+$/.test(key)) {
    const index = Number(key);
    if (index < header.length) {
      const name = header[index]!.trim();
      return { index, name: name === '' ? `column ${index + 1}` : name };
    }
    throw new FaasloadError(
      'E_USAGE',
      `${file}: no column at index ${index} for the ${role} (${FLAGS[role]}): the header has ${header.length} columns (${all}); indexes count from 0`,
    );
  }
  throw new FaasloadError(
    'E_USAGE',
    `${file}: no column '${key}' for the ${role} (${FLAGS[role]}): the header has ${all}`,
  );
}

/** The single function of a file without a function column: its name without the extension. */
function fileFunctionName(file: string): string {
  const name = basename(file);
  const stem = name.slice(0, name.length - extname(name).length);
  return stem === '' ? name : stem;
}
