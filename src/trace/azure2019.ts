import { FaasloadError } from '../errors.js';
import { type Azure2019Files, resolveAzure2019Days, resolveAzure2019Files } from './azure2019-files.js';
import {
  AZURE2019_ID_COLUMNS,
  type FunctionTable,
  type InvocationsFile,
  minuteColumns,
  readInvocationsFile,
} from './azure2019-invocations.js';
import { joinDurations, joinMemory } from './azure2019-join.js';
import type { ScanLinesOptions } from './lines.js';
import { SparseRows } from './sparse-rows.js';
import {
  type ArrivalSource,
  DEFAULT_DUPLICATE_POLICY,
  type ReadTraceOptions,
  type Trace,
  type TraceFunction,
} from './types.js';
import { WarningLog } from './warnings.js';

/**
 * Azure Functions Trace 2019 (Shahrad et al., USENIX ATC 2020): per-minute invocation counts per
 * function, plus per-function duration percentiles and per-app (raw) or per-function (In-Vitro)
 * memory percentiles. See azure2019-files.ts for the two layouts.
 */
export { AZURE2019_ID_COLUMNS, minuteColumns };
export const MINUTE_US = 60e6;

/** One function's rows as read from the invocations file, for the joins. */
export interface Azure2019Function extends TraceFunction {
  owner: string;
  app: string;
  /** `${HashOwner}/${HashApp}/${HashFunction}`, the join key, equal to `id`. */
  id: string;
}

/** readAzure2019's options: the trace options, plus the read size (tests use tiny ones). */
export interface ReadAzure2019Options extends ReadTraceOptions, ScanLinesOptions {}

/**
 * Reads an Azure 2019 trace: one day (a folder holding one day, In-Vitro or raw, or one day's
 * invocations file), or with `options.days` several raw days of one folder concatenated in time.
 *
 * Arrivals are sparse counts (ArrivalSource `bins`): one (minute, count) pair per non-empty
 * minute, 8 bytes each, nothing for the zero minutes that make up most of a raw day. The
 * invocations file is parsed from its bytes (readInvocationsFile); the small durations and memory
 * files go through the CSV reader. Every row is validated and a malformed one stops the read with
 * `file:line: what is wrong`.
 *
 * One day: trace time 0 is the start of the first minute column; spanUs = minutes × 60 s.
 * Functions keep the order of the invocations file. A repeated (owner, app, function) triple
 * within a file follows `options.onDuplicate` (DUPLICATE_POLICIES): by default it is a row error
 * naming both lines; `sum` adds the minute counts, `first` keeps the first row (durations and
 * memory keep their first row under both), each with a warning. Durations and memory are joined
 * on the triple; a function without a durations or memory row gets undefined there and a warning.
 *
 * Several days (`days: [1, 2, 3]`, ascending): the days follow each other with no gap, in the
 * order given, whatever their numbers (days [1, 4] make a two-day trace), so trace time 0 is
 * minute 1 of the first day and spanUs is the sum of the days' minutes. Functions are identified
 * by their triple across days and listed in order of first appearance; a function without a row
 * on some day has no arrivals that day. Its trigger, durations and memory come from the first day
 * that has them (a day's memory is split across the app's functions present that day; d13 and
 * d14 have no memory file, so functions seen only then have no memory). A day without an
 * invocations file is an E_TRACE_NOT_FOUND error naming it; a missing durations or memory file is
 * a warning. Memory: while the days are read their pairs sit in read order, then they are copied
 * into function order, so the peak is about twice the final size (a single day is not copied).
 */
export async function readAzure2019(path: string, options: ReadAzure2019Options = {}): Promise<Trace> {
  const days =
    options.days === undefined
      ? [await resolveAzure2019Files(path)]
      : await resolveAzure2019Days(path, options.days);
  const scan: ScanLinesOptions =
    options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark };
  const onDuplicate = options.onDuplicate ?? DEFAULT_DUPLICATE_POLICY;
  const warnings = new WarningLog();
  const table: FunctionTable = { functions: [], index: new Map() };
  let rows = new SparseRows();
  const readDays: { files: (typeof days)[number]; day: InvocationsFile }[] = [];
  let minutes = 0;
  for (const files of days) {
    const day = await readInvocationsFile(
      files.invocations,
      table,
      rows,
      minutes,
      warnings,
      scan,
      onDuplicate,
    );
    readDays.push({ files, day });
    minutes += day.minutes;
  }
  const { functions } = table;

  const readFiles: string[] = [];
  const several = days.length > 1;
  for (const { files, day } of readDays) {
    readFiles.push(files.invocations);
    const rowOf = day.rowOf;
    const present = several ? (fn: number) => (rowOf[fn] ?? -1) >= 0 : undefined;
    if (files.durations === undefined) {
      warnings.add(
        'no durations file',
        `no durations file beside ${files.invocations} (looked for ${files.looked.durations.join(', ')}): ${several ? 'this day’s functions take durations from other days where they have them' : 'durationMs is undefined for every function'}`,
      );
    } else {
      await joinDurations(files.durations, table, warnings, onDuplicate);
      readFiles.push(files.durations);
    }
    if (files.memory === undefined) {
      warnings.add(
        'no memory file',
        `no memory file beside ${files.invocations} (looked for ${files.looked.memory.join(', ')}): ${several ? 'this day’s functions take memory from other days where they have them' : 'memoryMb is undefined for every function'}`,
      );
    } else {
      await joinMemory(files.memory, table, warnings, present, onDuplicate);
      readFiles.push(files.memory);
    }
  }
  warnMissing(functions, days, warnings);

  // One row per function, in function order: a single day already is; several days are copied.
  const [firstRead] = readDays;
  if (firstRead === undefined) throw new FaasloadError('E_USAGE', `${path}: no day of invocations to read`);
  const firstRows = firstRead.day.rowOf;
  const rowOf = (fn: number): number => firstRows[fn]!;
  if (several) {
    const merged = new SparseRows();
    for (let fn = 0; fn < functions.length; fn++) {
      const parts = [];
      for (const { day } of readDays) {
        const r = day.rowOf[fn] ?? -1;
        if (r >= 0) parts.push(rows.row(r));
      }
      merged.commitConcat(parts);
    }
    rows = merged;
  }
  const final = rows;
  const first = firstRead.day.file;

  return {
    format: 'azure2019',
    files: readFiles,
    functions,
    spanUs: minutes * MINUTE_US,
    warnings: warnings.list(),
    arrivals(fn: number): ArrivalSource {
      if (!Number.isInteger(fn) || fn < 0 || fn >= functions.length)
        throw new RangeError(`no function ${fn} in ${first} (${functions.length} functions)`);
      const { bins, counts } = final.row(several ? fn : rowOf(fn));
      return { kind: 'counts', startUs: 0, binUs: MINUTE_US, counts, bins };
    },
  };
}

function warnMissing(
  functions: readonly Azure2019Function[],
  days: readonly Azure2019Files[],
  warnings: WarningLog,
): void {
  const list = (files: (string | undefined)[]) => {
    const names = files.filter((f) => f !== undefined);
    return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  };
  const durations = list(days.map((d) => d.durations));
  const memory = list(days.map((d) => d.memory));
  for (const f of functions) {
    if (durations !== '' && f.durationMs === undefined) {
      warnings.add(
        'functions without a durations row',
        `function ${f.id} has no row in ${durations}: durationMs is undefined`,
      );
    }
    if (memory !== '' && f.memoryMb === undefined) {
      warnings.add(
        'functions without a memory row',
        `function ${f.id} has no row in ${memory}: memoryMb is undefined`,
      );
    }
  }
}
