import { FaasloadError, rowError } from '../errors.js';
import type { Azure2019Function } from './azure2019.js';
import { columnIndexes, countBoundError, countCell, idCell, maxCountIn } from './cells.js';
import { quoteError, type ScanLinesOptions, scanLines } from './lines.js';
import type { SparseRows } from './sparse-rows.js';
import type { DuplicatePolicy } from './types.js';
import type { WarningLog } from './warnings.js';

/** The id columns of an Azure 2019 invocations file; the minute columns follow. */
export const AZURE2019_ID_COLUMNS = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger'] as const;

/**
 * The functions met so far while reading one or more invocations files, in order of first
 * appearance; `index` maps a function id to its position. Shared across the days of a read.
 */
export interface FunctionTable {
  functions: Azure2019Function[];
  index: Map<string, number>;
}

/** What reading one invocations file adds. */
export interface InvocationsFile {
  file: string;
  /** Number of minute columns. */
  minutes: number;
  /**
   * For each function of the table (by index; shorter if the file added none at the end), the row
   * of `rows` holding its non-empty minutes in this file, or -1 if the file has no row for it.
   */
  rowOf: Int32Array;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const ZERO = 0x30;
/** Column roles besides minute bins (>= 0). */
const OTHER = -1;
const OWNER = -2;
const APP = -3;
const FUNC = -4;
const TRIGGER = -5;
/** A minute bin's width, and the most invocations it may count (TRACE_LIMITS). */
const MINUTE_US = 60e6;
const MAX_MINUTE_COUNT = maxCountIn(MINUTE_US);

/**
 * Reads an Azure 2019 invocations file (HashOwner, HashApp, HashFunction, Trigger and consecutive
 * integer-labelled minute columns, in any order, extra columns ignored) straight from its bytes:
 * digits are parsed in place, only the four id cells become strings. Each row's non-empty minutes
 * go to `rows` as (binOffset + minute index, count) pairs; zero minutes cost nothing.
 *
 * New functions are appended to `table`; a function already in it (from an earlier day) gets a
 * row for this file too. A triple repeated within the file follows `onDuplicate` (see
 * DUPLICATE_POLICIES): refuse → a row error naming both lines; sum → the minute counts are added
 * (a sum past the minute's bound is a row error) and a warning names both lines; first → the
 * first row is kept and a warning names both lines.
 *
 * Validation, with `file:line` messages as with the CSV reader: the header's columns, every row's
 * cell count, every count (an integer, at most one per microsecond of the minute, 60 million, as
 * TRACE_LIMITS says: `-1`, `2.5`, `1e400` and `x` are refused, `3.0` and ` 3 ` accepted), non-empty
 * ids. The files have no quoting: a quote anywhere is an error (quoteError), never a guess. Stops
 * at the first error.
 */
export async function readInvocationsFile(
  file: string,
  table: FunctionTable,
  rows: SparseRows,
  binOffset: number,
  warnings: WarningLog,
  options: ScanLinesOptions = {},
  onDuplicate: DuplicatePolicy = 'refuse',
): Promise<InvocationsFile> {
  let minutes = 0;
  const rowOf: number[] = [];
  /** The line of this file where each function (by table index) was first seen. */
  const lineOf = new Map<number, number>();
  const triggers = new Map<string, string>();

  let parser: RowParser | undefined;
  const onLine = (b: Buffer, start: number, end: number, line: number): void => {
    if (parser === undefined) {
      const text = b.toString('utf8', start, end);
      if (text.includes('"')) throw quoteError(file, line, 'the header');
      const header = text.split(',');
      const col = columnIndexes(file, header, AZURE2019_ID_COLUMNS);
      const minuteCols = minuteColumns(file, header);
      minutes = minuteCols.length;
      const roles = new Int32Array(header.length).fill(OTHER);
      minuteCols.forEach((at, i) => {
        roles[at] = binOffset + i;
      });
      roles[col.HashOwner] = OWNER;
      roles[col.HashApp] = APP;
      roles[col.HashFunction] = FUNC;
      roles[col.Trigger] = TRIGGER;
      parser = new RowParser(file, header, roles);
      return;
    }
    rows.reserve(minutes);
    const n = parser.parse(b, start, end, line, rows.bins, rows.counts, rows.at);
    const { owner, app, func } = parser;
    const t = parser.trigger;
    let trigger = triggers.get(t);
    if (trigger === undefined) {
      trigger = t;
      triggers.set(t, t);
    }

    const id = `${owner}/${app}/${func}`;
    let fn = table.index.get(id);
    if (fn !== undefined) {
      const first = lineOf.get(fn);
      if (first !== undefined) {
        const repeat = `${file}:${line}: function ${id} repeats line ${first}`;
        if (onDuplicate === 'refuse') {
          throw rowError(
            file,
            line,
            `function ${id} repeats the row at ${file}:${first}; --on-duplicate sum adds their minute counts, first keeps line ${first}`,
          );
        }
        if (onDuplicate === 'first') {
          warnings.add(
            'duplicate functions in the invocations',
            `${repeat}; kept line ${first}, skipped line ${line}`,
          );
          return;
        }
        rowOf[fn] = sumInto(rows, rowOf[fn]!, n, { file, line, first });
        warnings.add(
          'duplicate functions in the invocations',
          `${repeat}; added the minute counts of line ${line} to those of line ${first}`,
        );
        return;
      }
    } else {
      fn = table.functions.length;
      table.index.set(id, fn);
      // owner and app as slices of id: one string kept per function, not three.
      const o = id.slice(0, owner.length);
      const a = id.slice(owner.length + 1, owner.length + 1 + app.length);
      table.functions.push({ id, owner: o, app: a, ...(trigger === '' ? {} : { trigger }) });
    }
    lineOf.set(fn, line);
    while (rowOf.length < fn) rowOf.push(-1);
    rowOf[fn] = rows.commit(n);
  };

  await scanLines(file, onLine, options);
  if (parser === undefined) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${file}: empty file, expected a header ${AZURE2019_ID_COLUMNS.join(',')},<minutes>`,
    );
  }
  const out = new Int32Array(rowOf.length);
  out.set(rowOf);
  return { file, minutes, rowOf: out };
}

/**
 * --on-duplicate sum: a new row holding row `r` plus the `n` pairs just parsed at rows.at, bin by
 * bin (both ascending); returns its index. Row r stays in its block, unused (duplicates are rare).
 * A summed minute past MAX_MINUTE_COUNT is a row error naming both lines.
 */
function sumInto(
  rows: SparseRows,
  r: number,
  n: number,
  where: { file: string; line: number; first: number },
): number {
  // Copies first: reserving again may hand out the very room the parsed pairs sit in.
  const addBins = rows.bins.slice(rows.at, rows.at + n);
  const addCounts = rows.counts.slice(rows.at, rows.at + n);
  const { bins, counts } = rows.row(r);
  const outBins = new Uint32Array(bins.length + n);
  const outCounts = new Uint32Array(bins.length + n);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < bins.length || j < n) {
    const a = i < bins.length ? bins[i]! : Number.POSITIVE_INFINITY;
    const b = j < n ? addBins[j]! : Number.POSITIVE_INFINITY;
    const bin = Math.min(a, b);
    let count = 0;
    if (a === bin) count += counts[i++]!;
    if (b === bin) count += addCounts[j++]!;
    if (count > MAX_MINUTE_COUNT) {
      throw rowError(
        where.file,
        where.line,
        `the minute counts of this line and line ${where.first} add up to ${count}, more than one invocation per microsecond of the minute (at most ${MAX_MINUTE_COUNT})`,
      );
    }
    outBins[k] = bin;
    outCounts[k++] = count;
  }
  return rows.commitConcat([{ bins: outBins.subarray(0, k), counts: outCounts.subarray(0, k) }]);
}

/**
 * Parses the cells of one data row. Kept apart from the file loop, with every hot value in a
 * local, so that V8 compiles the per-cell loop tightly: a full raw day has 66 million cells.
 */
class RowParser {
  owner = '';
  app = '';
  func = '';
  trigger = '';

  /**
   * `roles[col]`: the bin of a minute column (>= 0; binOffset included), or OWNER, APP, FUNC,
   * TRIGGER, OTHER.
   */
  constructor(
    private readonly file: string,
    private readonly header: readonly string[],
    private readonly roles: Int32Array,
  ) {}

  /** Writes the row's non-empty minutes at bins[at...], counts[at...]; returns how many. */
  parse(
    b: Buffer,
    start: number,
    end: number,
    line: number,
    bins: Uint32Array,
    counts: Uint32Array,
    at: number,
  ): number {
    const roles = this.roles;
    const cells = roles.length;
    const first = at;
    let p = start;
    let col = 0;
    for (;;) {
      if (col === cells) throw cellCountError(this.file, line, b, start, end, cells);
      const role = roles[col]!;
      if (role >= 0) {
        // A minute: most are "0," (a full raw day is ~85% zeros), then digits straight from the
        // bytes; anything else takes the checked path.
        if (b[p] === ZERO && (p + 1 === end || b[p + 1] === COMMA)) {
          col++;
          if (++p >= end) break;
          p++;
          continue;
        }
        let v = 0;
        let q = p;
        for (; q < end; q++) {
          const digit = b[q]! - ZERO;
          if (digit < 0 || digit > 9) break;
          v = v * 10 + digit;
        }
        if (q === p || q - p > 9 || (q < end && b[q] !== COMMA)) {
          q = cellEnd(b, p, end);
          checkLine(this.file, line, b, start, end, cells);
          v = countCell(this.file, line, this.header[col]!, b.toString('utf8', p, q));
        }
        if (v !== 0) {
          if (v > MAX_MINUTE_COUNT) throw countBoundError(this.file, line, this.header[col]!, v, MINUTE_US);
          bins[at] = role;
          counts[at] = v;
          at++;
        }
        p = q;
      } else {
        p = this.textCell(b, p, end, line, col, role);
      }
      col++;
      if (p >= end) break;
      p++; // the comma
    }
    if (col !== cells) throw cellCountError(this.file, line, b, start, end, cells);
    return at - first;
  }

  /** An id, trigger or ignored cell starting at p; returns where it ends. */
  private textCell(b: Buffer, p: number, end: number, line: number, col: number, role: number): number {
    let q = p;
    let quoted = false;
    for (; q < end; q++) {
      const c = b[q];
      if (c === COMMA) break;
      if (c === QUOTE) quoted = true;
    }
    if (quoted) throw quoteError(this.file, line, `column ${this.header[col]}`);
    if (role === OTHER) return q;
    const text = b.toString('utf8', p, q);
    if (role === TRIGGER) this.trigger = text.trim();
    else if (role === OWNER) this.owner = idCell(this.file, line, 'HashOwner', text);
    else if (role === APP) this.app = idCell(this.file, line, 'HashApp', text);
    else this.func = idCell(this.file, line, 'HashFunction', text);
    return q;
  }
}

/** The index of the comma ending the cell at `p`, or `end`. */
function cellEnd(b: Buffer, p: number, end: number): number {
  let q = p;
  while (q < end && b[q] !== COMMA) q++;
  return q;
}

/**
 * On the checked path, before a cell's own error: a quote or a wrong cell count in the line is
 * reported first, as the CSV reader did (it checked the count before any cell).
 */
function checkLine(file: string, line: number, b: Buffer, start: number, end: number, cells: number): void {
  if (b.subarray(start, end).includes(QUOTE)) throw quoteError(file, line, 'the row');
  const found = countCells(b, start, end);
  if (found !== cells) throw cellCountError(file, line, b, start, end, cells);
}

function cellCountError(
  file: string,
  line: number,
  b: Buffer,
  start: number,
  end: number,
  expected: number,
): FaasloadError {
  if (b.subarray(start, end).includes(QUOTE)) return quoteError(file, line, 'the row');
  const found = countCells(b, start, end);
  return rowError(file, line, `expected ${expected} cells as in the header, found ${found}`);
}

function countCells(b: Buffer, start: number, end: number): number {
  let n = 1;
  for (let q = start; q < end; q++) if (b[q] === COMMA) n++;
  return n;
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
