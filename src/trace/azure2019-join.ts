import type { Azure2019Function } from './azure2019.js';
import { columnIndexes, expectCellCount, idCell, nonNegativeCell } from './cells.js';
import { readCsvRows } from './csv.js';
import type { Percentiles } from './types.js';
import type { WarningLog } from './warnings.js';

/** Percentile columns of function_durations_percentiles (milliseconds). */
export const DURATION_PERCENTILES = [0, 1, 25, 50, 75, 99, 100] as const;
/** Percentile columns of app_memory_percentiles and In-Vitro's memory.csv (megabytes). */
export const MEMORY_PERCENTILES = [1, 5, 25, 50, 75, 95, 99, 100] as const;

const durationColumn = (p: number) => `percentile_Average_${p}`;
const memoryColumn = (p: number) => `AverageAllocatedMb_pct${p}`;

/**
 * Streams a durations file and sets `durationMs` on the functions whose (owner, app, function)
 * triple it has. Every row is validated (cell count, non-negative numbers) whether it joins or
 * not; rows of functions not in the invocations are ignored; a repeated triple keeps its first row
 * and adds a warning naming both lines.
 */
export async function joinDurations(
  file: string,
  functions: readonly Azure2019Function[],
  warnings: WarningLog,
): Promise<void> {
  const byId = new Map(functions.map((f) => [f.id, f]));
  const firstLine = new Map<string, number>();
  const pointColumns = DURATION_PERCENTILES.map(durationColumn);
  let header: string[] | undefined;
  let col: Record<string, number> = {};

  for await (const row of readCsvRows(file)) {
    if (header === undefined) {
      header = row.cells;
      col = columnIndexes(file, header, ['HashOwner', 'HashApp', 'HashFunction', 'Average', ...pointColumns]);
      continue;
    }
    expectCellCount(file, row, header.length);
    const { line, cells } = row;
    const id = [
      idCell(file, line, 'HashOwner', cells[col.HashOwner!]),
      idCell(file, line, 'HashApp', cells[col.HashApp!]),
      idCell(file, line, 'HashFunction', cells[col.HashFunction!]),
    ].join('/');
    const durationMs = percentiles(file, line, cells, col, 'Average', DURATION_PERCENTILES, pointColumns, 1);
    const first = firstLine.get(id);
    if (first !== undefined) {
      warnings.add(
        'duplicate functions in the durations',
        duplicateMessage(file, line, first, `function ${id}`),
      );
      continue;
    }
    firstLine.set(id, line);
    const f = byId.get(id);
    if (f !== undefined) f.durationMs = durationMs;
  }
}

/**
 * Streams a memory file and sets `memoryMb`. Its header decides the granularity:
 * - with HashFunction (In-Vitro memory.csv): per function, joined on the triple, taken as is;
 * - without (raw app_memory_percentiles): per app, joined on (owner, app), and every value is
 *   divided by the number of that app's functions in the invocations, as the In-Vitro sampler does.
 * Validation and duplicates as in joinDurations.
 */
export async function joinMemory(
  file: string,
  functions: readonly Azure2019Function[],
  warnings: WarningLog,
): Promise<void> {
  const byApp = new Map<string, Azure2019Function[]>();
  for (const f of functions) {
    const key = `${f.owner}/${f.app}`;
    const list = byApp.get(key);
    if (list === undefined) byApp.set(key, [f]);
    else list.push(f);
  }
  const byId = new Map(functions.map((f) => [f.id, f]));
  const firstLine = new Map<string, number>();
  const pointColumns = MEMORY_PERCENTILES.map(memoryColumn);
  let header: string[] | undefined;
  let perFunction = false;
  let col: Record<string, number> = {};

  for await (const row of readCsvRows(file)) {
    if (header === undefined) {
      header = row.cells;
      perFunction = header.some((name) => name.trim() === 'HashFunction');
      const ids = perFunction ? ['HashOwner', 'HashApp', 'HashFunction'] : ['HashOwner', 'HashApp'];
      col = columnIndexes(file, header, [...ids, 'AverageAllocatedMb', ...pointColumns]);
      continue;
    }
    expectCellCount(file, row, header.length);
    const { line, cells } = row;
    const owner = idCell(file, line, 'HashOwner', cells[col.HashOwner!]);
    const app = idCell(file, line, 'HashApp', cells[col.HashApp!]);
    const key = perFunction
      ? `${owner}/${app}/${idCell(file, line, 'HashFunction', cells[col.HashFunction!])}`
      : `${owner}/${app}`;
    const targets = perFunction ? [byId.get(key)].filter((f) => f !== undefined) : (byApp.get(key) ?? []);
    const divisor = perFunction ? 1 : Math.max(1, targets.length);
    const memoryMb = percentiles(
      file,
      line,
      cells,
      col,
      'AverageAllocatedMb',
      MEMORY_PERCENTILES,
      pointColumns,
      divisor,
    );
    const first = firstLine.get(key);
    if (first !== undefined) {
      const what = perFunction ? `function ${key}` : `app ${key}`;
      warnings.add('duplicate rows in the memory', duplicateMessage(file, line, first, what));
      continue;
    }
    firstLine.set(key, line);
    for (const f of targets) f.memoryMb = memoryMb;
  }
}

function percentiles(
  file: string,
  line: number,
  cells: readonly string[],
  col: Record<string, number>,
  averageColumn: string,
  levels: readonly number[],
  pointColumns: readonly string[],
  divisor: number,
): Percentiles {
  const value = (name: string) => nonNegativeCell(file, line, name, cells[col[name]!]) / divisor;
  return {
    average: value(averageColumn),
    points: levels.map((p, i) => [p, value(pointColumns[i]!)] as const),
  };
}

function duplicateMessage(file: string, line: number, first: number, what: string): string {
  return `${file}:${line}: ${what} repeats line ${first}; kept line ${first}, skipped line ${line}`;
}
