import { rowError } from '../errors.js';
import type { Azure2019Function } from './azure2019.js';
import type { FunctionTable } from './azure2019-invocations.js';
import {
  checkDurationMs,
  checkMemoryMb,
  columnIndexes,
  expectCellCount,
  idCell,
  numberCell,
} from './cells.js';
import { forEachCsvRow } from './lines.js';
import type { DuplicatePolicy, Percentiles } from './types.js';
import type { WarningLog } from './warnings.js';

/** Percentile columns of function_durations_percentiles (milliseconds). */
export const DURATION_PERCENTILES = [0, 1, 25, 50, 75, 99, 100] as const;
/** Percentile columns of app_memory_percentiles and In-Vitro's memory.csv (megabytes). */
export const MEMORY_PERCENTILES = [1, 5, 25, 50, 75, 95, 99, 100] as const;

const durationColumn = (p: number) => `percentile_Average_${p}`;
const memoryColumn = (p: number) => `AverageAllocatedMb_pct${p}`;

/**
 * Remembers the first line of each key, to report repeats: keys of the trace's functions by their
 * index (an Int32Array, no strings kept), any other key in a Map.
 */
class FirstLines {
  private readonly known: Int32Array;
  private readonly other = new Map<string, number>();

  constructor(size: number) {
    this.known = new Int32Array(size);
  }

  /** The line `key` (function `fn`, or -1 if not a function of the trace) was first seen on, else records `line`. */
  seen(key: string, fn: number, line: number): number | undefined {
    if (fn >= 0) {
      const first = this.known[fn]!;
      if (first !== 0) return first;
      this.known[fn] = line;
      return undefined;
    }
    const first = this.other.get(key);
    if (first === undefined) this.other.set(key, line);
    return first;
  }
}

/**
 * Streams a durations file and sets `durationMs` on the functions of `table` whose (owner, app,
 * function) triple it has, unless already set (several days: the first day that has a row wins).
 * Every row is validated (cell count, numbers within TRACE_LIMITS) whether it joins or not; rows
 * of functions not in the invocations are ignored. A repeated triple follows `onDuplicate`:
 * refuse → a row error naming both lines; sum and first → the first row is kept (percentiles do
 * not add) and a warning names both lines.
 */
export async function joinDurations(
  file: string,
  table: FunctionTable,
  warnings: WarningLog,
  onDuplicate: DuplicatePolicy = 'refuse',
): Promise<void> {
  const { functions, index } = table;
  const firstLines = new FirstLines(functions.length);
  const pointColumns = DURATION_PERCENTILES.map(durationColumn);
  let header: string[] | undefined;
  let idCol = { HashOwner: 0, HashApp: 0, HashFunction: 0 };
  let col: Record<string, number> = {};

  await forEachCsvRow(file, (row) => {
    if (header === undefined) {
      header = row.cells;
      idCol = columnIndexes(file, header, ['HashOwner', 'HashApp', 'HashFunction']);
      col = columnIndexes(file, header, ['Average', ...pointColumns]);
      return;
    }
    expectCellCount(file, row, header.length);
    const { line, cells } = row;
    const id = [
      idCell(file, line, 'HashOwner', cells[idCol.HashOwner]),
      idCell(file, line, 'HashApp', cells[idCol.HashApp]),
      idCell(file, line, 'HashFunction', cells[idCol.HashFunction]),
    ].join('/');
    const fn = index.get(id) ?? -1;
    const f = functions[fn];
    // Validate every row; build the percentiles only for a function that takes them.
    const take = f !== undefined && f.durationMs === undefined;
    const durationMs = percentiles(
      file,
      line,
      cells,
      col,
      'Average',
      DURATION_PERCENTILES,
      pointColumns,
      1,
      take,
      checkDurationMs,
    );
    const first = firstLines.seen(id, fn, line);
    if (first !== undefined) {
      warnings.add(
        'duplicate functions in the durations',
        duplicate(file, line, first, `function ${id}`, onDuplicate),
      );
      return;
    }
    if (take) f.durationMs = durationMs;
  });
}

/**
 * Streams a memory file and sets `memoryMb` on functions of `table` (those for which `present`
 * holds, by default all). Its header decides the granularity:
 * - with HashFunction (In-Vitro memory.csv): per function, joined on the triple, taken as is;
 * - without (raw app_memory_percentiles): per app, joined on (owner, app), and every value is
 *   divided by the number of that app's present functions, as the In-Vitro sampler does.
 * A function's memory already set (by an earlier day) is kept. Validation and duplicates (of the
 * triple, or of the app in the raw layout) as in joinDurations.
 */
export async function joinMemory(
  file: string,
  table: FunctionTable,
  warnings: WarningLog,
  present: (fn: number) => boolean = () => true,
  onDuplicate: DuplicatePolicy = 'refuse',
): Promise<void> {
  const { functions, index } = table;
  const firstLines = new FirstLines(functions.length);
  const pointColumns = MEMORY_PERCENTILES.map(memoryColumn);
  let header: string[] | undefined;
  let appCol = { HashOwner: 0, HashApp: 0 };
  let col: Record<string, number> = {};
  /**
   * Per function: the HashFunction column. Raw layout: the present functions of each app,
   * `${owner}/${app}` → indexes.
   */
  let layout: { fnCol: number; byApp?: undefined } | { fnCol?: undefined; byApp: Map<string, number[]> } = {
    fnCol: 0,
  };

  await forEachCsvRow(file, (row) => {
    if (header === undefined) {
      header = row.cells;
      const perFunction = header.some((name) => name.trim() === 'HashFunction');
      appCol = columnIndexes(file, header, ['HashOwner', 'HashApp']);
      const fnCol = perFunction ? columnIndexes(file, header, ['HashFunction']).HashFunction : undefined;
      col = columnIndexes(file, header, ['AverageAllocatedMb', ...pointColumns]);
      layout = fnCol !== undefined ? { fnCol } : { byApp: groupByApp(functions, present) };
      return;
    }
    expectCellCount(file, row, header.length);
    const { line, cells } = row;
    const owner = idCell(file, line, 'HashOwner', cells[appCol.HashOwner]);
    const app = idCell(file, line, 'HashApp', cells[appCol.HashApp]);
    let key: string;
    let targets: readonly number[];
    let fn = -1;
    const { fnCol, byApp } = layout;
    if (byApp === undefined) {
      key = `${owner}/${app}/${idCell(file, line, 'HashFunction', cells[fnCol])}`;
      fn = index.get(key) ?? -1;
      targets = fn >= 0 && present(fn) ? [fn] : [];
    } else {
      key = `${owner}/${app}`;
      targets = byApp.get(key) ?? [];
    }
    const divisor = Math.max(1, targets.length);
    const take = targets.some((t) => functions[t]!.memoryMb === undefined);
    const memoryMb = percentiles(
      file,
      line,
      cells,
      col,
      'AverageAllocatedMb',
      MEMORY_PERCENTILES,
      pointColumns,
      divisor,
      take,
      checkMemoryMb,
    );
    const first = firstLines.seen(key, fn, line);
    if (first !== undefined) {
      const what = byApp === undefined ? `function ${key}` : `app ${key}`;
      warnings.add('duplicate rows in the memory', duplicate(file, line, first, what, onDuplicate));
      return;
    }
    if (!take) return;
    for (const t of targets) functions[t]!.memoryMb ??= memoryMb;
  });
}

function groupByApp(
  functions: readonly Azure2019Function[],
  present: (fn: number) => boolean,
): Map<string, number[]> {
  const byApp = new Map<string, number[]>();
  functions.forEach((f, fn) => {
    if (!present(fn)) return;
    const key = `${f.owner}/${f.app}`;
    const list = byApp.get(key);
    if (list === undefined) byApp.set(key, [fn]);
    else list.push(fn);
  });
  return byApp;
}

const EMPTY: Percentiles = { points: [] };

/** Validates the row's percentile cells (numbers within the bounds `check` holds); builds the Percentiles only when `build` (else EMPTY). */
function percentiles(
  file: string,
  line: number,
  cells: readonly string[],
  col: Record<string, number>,
  averageColumn: string,
  levels: readonly number[],
  pointColumns: readonly string[],
  divisor: number,
  build: boolean,
  check: typeof checkDurationMs,
): Percentiles {
  const value = (name: string) => {
    const text = cells[col[name]!];
    return check(file, line, name, numberCell(file, line, name, text), text ?? '') / divisor;
  };
  const average = value(averageColumn);
  if (!build) {
    for (const name of pointColumns) value(name);
    return EMPTY;
  }
  return { average, points: levels.map((p, i) => [p, value(pointColumns[i]!)] as const) };
}

/**
 * A repeated key of a durations or memory file: throws the row error under refuse, else returns
 * the warning (the first row is kept under sum and first alike: percentiles do not add).
 */
function duplicate(file: string, line: number, first: number, what: string, policy: DuplicatePolicy): string {
  if (policy === 'refuse') {
    throw rowError(
      file,
      line,
      `${what} repeats the row at ${file}:${first}; --on-duplicate first (or sum) keeps line ${first}`,
    );
  }
  const why = policy === 'sum' ? ' (percentiles do not add)' : '';
  return `${file}:${line}: ${what} repeats line ${first}; kept line ${first}${why}, skipped line ${line}`;
}
