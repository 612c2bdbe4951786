import { FaasloadError } from '../errors.js';
import { type Azure2019Files, resolveAzure2019Files } from './azure2019-files.js';
import { joinDurations, joinMemory } from './azure2019-join.js';
import { columnIndexes, countCell, expectCellCount, idCell } from './cells.js';
import { readCsvRows } from './csv.js';
import type { ArrivalSource, Trace, TraceFunction } from './types.js';
import { WarningLog } from './warnings.js';

/**
 * Azure Functions Trace 2019 (Shahrad et al., USENIX ATC 2020): per-minute invocation counts per
 * function, plus per-function duration percentiles and per-app (raw) or per-function (In-Vitro)
 * memory percentiles. See azure2019-files.ts for the two layouts.
 */
export const AZURE2019_ID_COLUMNS = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger'] as const;
export const MINUTE_US = 60e6;

/** One function's rows as read from the invocations file, for the joins. */
export interface Azure2019Function extends TraceFunction {
  owner: string;
  app: string;
  /** `${HashOwner}/${HashApp}/${HashFunction}`, the join key, equal to `id`. */
  id: string;
}

/**
 * Reads one day of an Azure 2019 trace. Keeps one Uint32Array of minute counts per function
 * (4 bytes × minutes: about 265 MB for a full raw day of ~46,000 functions × 1440 minutes),
 * never the rows. Trace time 0 is the start of the first minute column; spanUs = minutes × 60 s.
 * Functions keep the order of the invocations file; a repeated (owner, app, function) triple keeps
 * its first row and adds a warning naming both lines. Durations and memory are joined on the triple;
 * a function without a durations or memory row gets undefined there and a warning.
 */
export async function readAzure2019(path: string): Promise<Trace> {
  const files = await resolveAzure2019Files(path);
  const warnings = new WarningLog();
  const { functions, counts, minutes } = await readInvocations(files.invocations, warnings);

  const read = [files.invocations];
  if (files.durations === undefined) {
    warnings.add(
      'no durations file',
      `no durations file beside ${files.invocations} (looked for ${files.looked.durations.join(', ')}): durationMs is undefined for every function`,
    );
  } else {
    await joinDurations(files.durations, functions, warnings);
    read.push(files.durations);
  }
  if (files.memory === undefined) {
    warnings.add(
      'no memory file',
      `no memory file beside ${files.invocations} (looked for ${files.looked.memory.join(', ')}): memoryMb is undefined for every function`,
    );
  } else {
    await joinMemory(files.memory, functions, warnings);
    read.push(files.memory);
  }
  warnMissing(functions, files, warnings);

  return {
    format: 'azure2019',
    files: read,
    functions,
    spanUs: minutes * MINUTE_US,
    warnings: warnings.list(),
    arrivals(fn: number): ArrivalSource {
      const c = counts[fn];
      if (c === undefined)
        throw new RangeError(`no function ${fn} in ${files.invocations} (${counts.length} functions)`);
      return { kind: 'counts', startUs: 0, binUs: MINUTE_US, counts: c };
    },
  };
}

interface Invocations {
  functions: Azure2019Function[];
  counts: Uint32Array[];
  minutes: number;
}

async function readInvocations(file: string, warnings: WarningLog): Promise<Invocations> {
  const functions: Azure2019Function[] = [];
  const counts: Uint32Array[] = [];
  const firstLine = new Map<string, number>();
  let header: string[] | undefined;
  let col: Record<(typeof AZURE2019_ID_COLUMNS)[number], number> | undefined;
  let minuteCols: number[] = [];

  for await (const row of readCsvRows(file)) {
    if (header === undefined || col === undefined) {
      header = row.cells;
      col = columnIndexes(file, header, AZURE2019_ID_COLUMNS);
      minuteCols = minuteColumns(file, header);
      continue;
    }
    expectCellCount(file, row, header.length);
    const { line, cells } = row;
    const owner = idCell(file, line, 'HashOwner', cells[col.HashOwner]);
    const app = idCell(file, line, 'HashApp', cells[col.HashApp]);
    const func = idCell(file, line, 'HashFunction', cells[col.HashFunction]);
    const trigger = (cells[col.Trigger] ?? '').trim();
    const c = new Uint32Array(minuteCols.length);
    for (let i = 0; i < minuteCols.length; i++) {
      const at = minuteCols[i]!;
      c[i] = countCell(file, line, header[at]!, cells[at]);
    }

    const id = `${owner}/${app}/${func}`;
    const first = firstLine.get(id);
    if (first !== undefined) {
      warnings.add(
        'duplicate functions in the invocations',
        `${file}:${line}: function ${id} repeats line ${first}; kept line ${first}, skipped line ${line}`,
      );
      continue;
    }
    firstLine.set(id, line);
    functions.push({ id, owner, app, ...(trigger === '' ? {} : { trigger }) });
    counts.push(c);
  }
  if (header === undefined) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${file}: empty file, expected a header ${AZURE2019_ID_COLUMNS.join(',')},<minutes>`,
    );
  }
  return { functions, counts, minutes: minuteCols.length };
}

/**
 * The indexes of the minute columns: those labelled with an integer. Their labels must run
 * consecutively (480, 481, ... or 1..1440) and there must be at least one.
 */
export function minuteColumns(file: string, header: readonly string[]): number[] {
  const cols: number[] = [];
  let previous: number | undefined;
  header.forEach((label, i) => {
    if (!/^\d+$/.test(label.trim())) return;
    const minute = Number(label);
    if (previous !== undefined && minute !== previous + 1) {
      throw new FaasloadError(
        'E_TRACE_FORMAT',
        `${file}: minute columns must be consecutive, but column ${i + 1} is '${label}' after '${previous}'`,
      );
    }
    previous = minute;
    cols.push(i);
  });
  if (cols.length === 0) {
    throw new FaasloadError('E_TRACE_FORMAT', `${file}: the header has no minute columns (integer labels)`);
  }
  return cols;
}

function warnMissing(
  functions: readonly Azure2019Function[],
  files: Azure2019Files,
  warnings: WarningLog,
): void {
  for (const f of functions) {
    if (files.durations !== undefined && f.durationMs === undefined) {
      warnings.add(
        'functions without a durations row',
        `function ${f.id} has no row in ${files.durations}: durationMs is undefined`,
      );
    }
    if (files.memory !== undefined && f.memoryMb === undefined) {
      warnings.add(
        'functions without a memory row',
        `function ${f.id} has no row in ${files.memory}: memoryMb is undefined`,
      );
    }
  }
}
