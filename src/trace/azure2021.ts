import { FaasloadError, rowError } from '../errors.js';
import { Float64List } from '../util/float64-list.js';
import { sortByTime } from '../util/sort-by-time.js';
import { checkDurationMs, checkTimeUs, columnIndexes, expectCellCount, idCell, numberCell } from './cells.js';
import { readCsvRows } from './csv.js';
import { sourceLookup } from './sources.js';
import type { ArrivalSource, Trace, TraceFunction } from './types.js';

/**
 * Azure Functions Invocation Trace 2021 (Zhang et al., SOSP 2021): one row per invocation,
 * `app,func,end_timestamp,duration`, both in seconds from the trace start. end_timestamp is an END
 * time, so arrival = end_timestamp - duration; the file is ordered by arrival, not by end.
 */
export const AZURE2021_COLUMNS = ['app', 'func', 'end_timestamp', 'duration'] as const;

/**
 * Durations are rounded to the millisecond while end times are not, so end - duration can come
 * out slightly below 0 for the first invocations. Down to this much it is clamped to 0; below, it is
 * a row error.
 */
export const NEGATIVE_START_TOLERANCE_S = 0.001;

/**
 * Reads an Azure 2021 CSV, streaming: per function it keeps two Float64Arrays (16 bytes per
 * invocation), never the rows. Function ids are `app/func` (func ids are unique only within their
 * app), in order of first appearance. Each function's arrivals are sorted ascending (stable);
 * atUs is rounded to whole microseconds, durationMs keeps microsecond precision. spanUs is the
 * latest end_timestamp. An end_timestamp or duration that is not finite, negative, or past the
 * 366 days of TRACE_LIMITS (cells.ts) is an E_TRACE_ROW `file:line: ...`.
 */
export async function readAzure2021(file: string): Promise<Trace> {
  /** Each function's invocations as read, in order of first appearance. */
  const byId = new Map<string, { f: TraceFunction; atUs: Float64List; durationMs: Float64List }>();
  let header: string[] | undefined;
  let col: Record<(typeof AZURE2021_COLUMNS)[number], number> | undefined;
  let maxEndUs = 0;

  for await (const row of readCsvRows(file)) {
    if (header === undefined || col === undefined) {
      header = row.cells;
      col = columnIndexes(file, header, AZURE2021_COLUMNS);
      continue;
    }
    expectCellCount(file, row, header.length);
    const { line, cells } = row;
    const app = idCell(file, line, 'app', cells[col.app]);
    const func = idCell(file, line, 'func', cells[col.func]);
    const endText = cells[col.end_timestamp]!;
    const endS = numberCell(file, line, 'end_timestamp', endText);
    checkTimeUs(file, line, 'end_timestamp', endS * 1e6, endText.trim());
    const durationText = cells[col.duration]!;
    const durationS = numberCell(file, line, 'duration', durationText);
    checkDurationMs(file, line, 'duration', durationS * 1e3, durationText.trim());
    let startS = endS - durationS;
    if (startS < 0) {
      if (startS < -NEGATIVE_START_TOLERANCE_S) {
        throw rowError(
          file,
          line,
          `the invocation starts before the trace: end_timestamp - duration = ${startS} s`,
        );
      }
      startS = 0;
    }

    const id = `${app}/${func}`;
    let fn = byId.get(id);
    if (fn === undefined) {
      fn = { f: { id, app }, atUs: new Float64List(), durationMs: new Float64List() };
      byId.set(id, fn);
    }
    fn.atUs.push(Math.round(startS * 1e6));
    fn.durationMs.push(Math.round(durationS * 1e6) / 1e3);
    maxEndUs = Math.max(maxEndUs, Math.round(endS * 1e6));
  }
  if (header === undefined) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${file}: empty file, expected the header ${AZURE2021_COLUMNS.join(',')}`,
    );
  }

  const read = [...byId.values()];
  const functions = read.map((r) => r.f);
  const sources: ArrivalSource[] = read.map(({ atUs, durationMs }) => {
    const at = atUs.toArray();
    const dur = durationMs.toArray();
    sortByTime(at, dur);
    return { kind: 'times', atUs: at, durationMs: dur };
  });
  return {
    format: 'azure2021',
    files: [file],
    functions,
    spanUs: maxEndUs,
    warnings: [],
    arrivals: sourceLookup(sources, file),
  };
}
