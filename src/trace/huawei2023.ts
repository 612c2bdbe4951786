import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FaasloadError, rowError } from '../errors.js';
import { Uint32List } from '../util/uint32-list.js';
import {
  checkTimeUs,
  columnIndexes,
  countBoundError,
  countCell,
  DAY_US,
  expectCellCount,
  maxCountIn,
  numberCell,
} from './cells.js';
import { readCsvRows } from './csv.js';
import { formatDays } from './days.js';
import { sourceLookup } from './sources.js';
import type { ArrivalSource, ReadTraceOptions, Trace, TraceFunction } from './types.js';
import { WarningLog } from './warnings.js';

/**
 * Huawei Cloud 2023 public traces (Joosen et al., "How Does It Function?", SoCC 2023; released at
 * github.com/sir-lab/data-release). The request tables are wide CSV files, one per day
 * (`requests_minute/day_00.csv` ... for Huawei Public, `requests_second/day_000.csv` ... and
 * `requests_minute/...` for Huawei Private): a header `day,time,<function ids>`, then one row per
 * minute or per second. `day` counts days from 0; `time` is whole seconds since the start of the
 * whole trace (day 1 of the minute files starts at 86400, rows 60 apart); each function column
 * holds that function's requests in the row's minute or second. An empty cell means the function
 * has no data there (pandas reads it as NaN), not zero requests.
 */
export const HUAWEI2023_TIME_COLUMNS = ['day', 'time'] as const;

/** The name of one day's file in the released folders: day_00.csv, day_000.csv. */
export const HUAWEI2023_DAY_FILE = /^day_(\d+)\.csv$/i;

/** True when a header starts with day,time and has at least one function column. */
export function isHuawei2023Header(cells: readonly string[]): boolean {
  return cells.length > 2 && cells[0] === 'day' && cells[1] === 'time';
}

/** Where a row was read, for errors found after the fact. */
interface At {
  file: string;
  line: number;
}

/**
 * Reads a Huawei 2023 request table: one day file, or a folder of day_NN.csv files read in day
 * order as one trace (a function is one column name across files; files may list different
 * functions). Streams the rows and keeps, per function, only its non-empty, non-zero cells as
 * (second offset, count) pairs: 8 bytes each.
 *
 * `options.days` chooses day files of a folder by number (day_02.csv is day 2); they must be
 * consecutive, since the time column is absolute (a gap would replay as a silent day).
 *
 * Trace time 0 is the first row's time. The bin width comes from the time column: 1 s when some
 * rows are 1 s apart, 60 s when all rows are whole minutes apart (missing rows are allowed and
 * have no invocations); other spacings are an error. With a single row, the path decides (`second`
 * in it → 1 s, else 60 s) and a warning says so. Arrivals are sparse counts: `bins` lists the
 * non-empty bins. spanUs runs to the end of the last row's bin.
 *
 * Errors (the first one stops the read): a missing day or time column, an empty or repeated
 * function name → E_TRACE_FORMAT; a wrong cell count, a time that is not a whole number of seconds
 * or not after the previous row's, a count that is negative or not an integer → E_TRACE_ROW
 * `file:line: ...`. Past TRACE_LIMITS (cells.ts) too: a day or time past 366 days, and a count
 * past one per microsecond of the bin (checked once the bin width is known: the message names the
 * largest count's line). Empty cells are counted in the warnings.
 */
export async function readHuawei2023(path: string, options: ReadTraceOptions = {}): Promise<Trace> {
  const files = await huaweiFiles(path, options.days);
  const warnings = new WarningLog();
  const functions: TraceFunction[] = [];
  const byId = new Map<string, number>();
  /** Per function: offset seconds and count, interleaved; undefined until a non-zero cell. */
  const cells: (Uint32List | undefined)[] = [];
  const hasData: boolean[] = [];

  let firstTime: number | undefined;
  let previous: (At & { time: number }) | undefined;
  let minStep = Number.POSITIVE_INFINITY;
  let minStepAt: At | undefined;
  let offMinuteAt: (At & { step: number }) | undefined;
  let rows = 0;
  let emptyCells = 0;
  let functionCells = 0;
  /** The largest count read, checked against the bin width once the rows tell it. */
  let largest: (At & { label: string; count: number }) | undefined;

  for (const file of files) {
    let header: string[] | undefined;
    let dayCol = 0;
    let timeCol = 0;
    /** Column index, function index and label (for messages) of each function column of this file. */
    let fnColumns: FunctionColumn[] = [];

    for await (const row of readCsvRows(file)) {
      if (header === undefined) {
        header = row.cells;
        ({ day: dayCol, time: timeCol } = columnIndexes(file, header, HUAWEI2023_TIME_COLUMNS));
        fnColumns = functionColumns(file, header, dayCol, timeCol, functions, byId);
        while (cells.length < functions.length) {
          cells.push(undefined);
          hasData.push(false);
        }
        continue;
      }
      expectCellCount(file, row, header.length);
      const { line } = row;
      const day = numberCell(file, line, 'day', row.cells[dayCol]);
      if (!Number.isInteger(day) || day < 0)
        throw rowError(file, line, `day is not a whole number of days: '${row.cells[dayCol]}'`);
      checkTimeUs(file, line, 'day', day * DAY_US, row.cells[dayCol]!.trim());
      const time = numberCell(file, line, 'time', row.cells[timeCol]);
      if (!Number.isInteger(time))
        throw rowError(file, line, `time is not a whole number of seconds: '${row.cells[timeCol]}'`);
      // Seconds since the start of the whole release: within the span of a trace.
      checkTimeUs(file, line, 'time', time * 1e6, row.cells[timeCol]!.trim());

      if (previous === undefined || firstTime === undefined) {
        firstTime = time;
      } else {
        const step = time - previous.time;
        if (step <= 0) {
          const where =
            previous.file === file ? `line ${previous.line}` : `${previous.file}:${previous.line}`;
          throw rowError(file, line, `time ${time} is not after the time ${previous.time} of ${where}`);
        }
        if (step < minStep) {
          minStep = step;
          minStepAt = { file, line };
        }
        if (step % 60 !== 0 && offMinuteAt === undefined) offMinuteAt = { file, line, step };
      }
      const offset = time - firstTime;
      previous = { file, line, time };
      rows++;

      for (const { col, fn, label } of fnColumns) {
        const text = row.cells[col]!;
        functionCells++;
        if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) {
          emptyCells++;
          continue;
        }
        hasData[fn] = true;
        const count = countCell(file, line, label, text);
        if (count === 0) continue;
        if (largest === undefined || count > largest.count) largest = { file, line, label, count };
        let list = cells[fn];
        if (list === undefined) {
          list = new Uint32List(8);
          cells[fn] = list;
        }
        list.push(offset);
        list.push(count);
      }
    }
    if (header === undefined) {
      throw new FaasloadError(
        'E_TRACE_FORMAT',
        `${file}: empty file, expected a header ${HUAWEI2023_TIME_COLUMNS.join(',')},<function ids>`,
      );
    }
  }

  const binS = binSeconds(path, rows, minStep, minStepAt, offMinuteAt, warnings);
  if (largest !== undefined && largest.count > maxCountIn(binS * 1e6)) {
    throw countBoundError(largest.file, largest.line, largest.label, largest.count, binS * 1e6);
  }
  if (emptyCells > 0) {
    const share = ((100 * emptyCells) / functionCells).toPrecision(3);
    warnings.add(
      'empty cells',
      `${emptyCells} of ${functionCells} function cells (${share}%) were empty (no data): read as 0 invocations`,
    );
  }
  const noData = functions.filter((_, fn) => !hasData[fn]);
  if (noData.length > 0 && rows > 0) {
    const examples = noData.slice(0, 5).map((f) => f.id);
    warnings.add(
      'functions without data',
      `${noData.length} of ${functions.length} functions have no data in any row (e.g. ${examples.join(', ')}): they have no invocations`,
    );
  }

  const sources: ArrivalSource[] = cells.map((list) => {
    const n = list === undefined ? 0 : list.length / 2;
    const bins = new Uint32Array(n);
    const counts = new Uint32Array(n);
    if (list !== undefined) {
      for (let i = 0; i < n; i++) {
        bins[i] = list.at(2 * i) / binS;
        counts[i] = list.at(2 * i + 1);
      }
    }
    return { kind: 'counts', startUs: 0, binUs: binS * 1e6, counts, bins };
  });
  const spanUs =
    previous === undefined || firstTime === undefined ? 0 : (previous.time - firstTime + binS) * 1e6;
  return {
    format: 'huawei2023',
    files,
    functions,
    spanUs,
    warnings: warnings.list(),
    arrivals: sourceLookup(sources, path),
  };
}

/** The files to read: the path itself, or the folder's day_NN.csv files in day order (or `days`). */
async function huaweiFiles(path: string, days?: readonly number[]): Promise<string[]> {
  const info = await stat(path).catch((err: unknown) => {
    throw new FaasloadError('E_TRACE_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
  });
  if (!info.isDirectory()) {
    if (days === undefined) return [path];
    throw new FaasloadError(
      'E_USAGE',
      `${path}: --day chooses day files in a folder; name the folder (e.g. ${dirname(path)}) or drop --day`,
    );
  }
  const files = (await readdir(path, { withFileTypes: true }))
    .filter((entry) => !entry.isDirectory())
    .flatMap((entry) => {
      const match = HUAWEI2023_DAY_FILE.exec(entry.name);
      return match === null ? [] : [{ name: entry.name, day: Number(match[1]) }];
    })
    .sort((a, b) => a.day - b.day || a.name.localeCompare(b.name));
  if (files.length === 0) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${path}: no day_NN.csv files in this folder (the Huawei 2023 layout, e.g. requests_minute/day_00.csv)`,
    );
  }
  if (days === undefined) return files.map((f) => join(path, f.name));
  const gap = days.findIndex((d, i) => i > 0 && d !== days[i - 1]! + 1);
  if (gap > 0) {
    throw new FaasloadError(
      'E_USAGE',
      `Huawei 2023 days must be consecutive (the time column is absolute): day ${days[gap - 1]} is followed by day ${days[gap]}`,
    );
  }
  const missing = days.filter((d) => !files.some((f) => f.day === d));
  if (missing.length > 0) {
    throw new FaasloadError(
      'E_TRACE_NOT_FOUND',
      `${path}: no file for day ${formatDays(missing)} (this folder has days ${formatDays([...new Set(files.map((f) => f.day))])})`,
    );
  }
  return files.filter((f) => days.includes(f.day)).map((f) => join(path, f.name));
}

interface FunctionColumn {
  col: number;
  fn: number;
  /** `function <id>`, how row errors name the column. */
  label: string;
}

/**
 * The function columns of a header, adding functions not seen in earlier files. An empty or repeated function name is an E_TRACE_FORMAT naming the columns
 * (1-based, as a spreadsheet shows them).
 */
function functionColumns(
  file: string,
  header: readonly string[],
  dayCol: number,
  timeCol: number,
  functions: TraceFunction[],
  byId: Map<string, number>,
): FunctionColumn[] {
  const seen = new Map<string, number>();
  const out: FunctionColumn[] = [];
  header.forEach((label, col) => {
    if (col === dayCol || col === timeCol) return;
    const id = label.trim();
    if (id === '')
      throw new FaasloadError('E_TRACE_FORMAT', `${file}: column ${col + 1} has no function name`);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new FaasloadError(
        'E_TRACE_FORMAT',
        `${file}: columns ${first + 1} and ${col + 1} both name function '${id}'`,
      );
    }
    seen.set(id, col);
    let fn = byId.get(id);
    if (fn === undefined) {
      fn = functions.length;
      byId.set(id, fn);
      functions.push({ id });
    }
    out.push({ col, fn, label: `function ${id}` });
  });
  return out;
}

/** The bin width in seconds, from the smallest step between rows (see readHuawei2023). */
function binSeconds(
  path: string,
  rows: number,
  minStep: number,
  minStepAt: At | undefined,
  offMinuteAt: (At & { step: number }) | undefined,
  warnings: WarningLog,
): number {
  if (rows <= 1 || minStepAt === undefined) {
    const perSecond = /second/i.test(path);
    warnings.add(
      'bin width from the file name',
      `${path}: ${rows === 0 ? 'no rows' : 'one row'}, so the time column cannot tell the bin width: assumed ${perSecond ? '1 s (the path says second)' : '60 s (per minute)'}`,
    );
    return perSecond ? 1 : 60;
  }
  if (minStep === 1) return 1;
  if (minStep % 60 === 0) {
    if (offMinuteAt !== undefined) {
      throw rowError(
        offMinuteAt.file,
        offMinuteAt.line,
        `this row is ${offMinuteAt.step} s after the previous one, but rows elsewhere are whole minutes apart (per-minute rows)`,
      );
    }
    return 60;
  }
  throw rowError(
    minStepAt.file,
    minStepAt.line,
    `this row is ${minStep} s after the previous one: expected rows 1 s apart (per second) or whole minutes apart (per minute)`,
  );
}
