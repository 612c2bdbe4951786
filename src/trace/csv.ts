import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import { rowError } from '../errors.js';
import { ioError } from './io-error.js';

/** One parsed CSV record and the 1-based line it ends on (the header is line 1). */
export interface CsvRow {
  line: number;
  cells: string[];
}

/**
 * Streams the records of a CSV file: the header first, then each row, one at a time, so a
 * caller that keeps only compact typed arrays never holds the file. Tolerates CRLF, a UTF-8 BOM,
 * blank lines and a missing trailing newline. Rows may have any number of cells: callers check
 * the count against the header themselves, with their own message.
 *
 * Errors: a missing file → E_TRACE_NOT_FOUND; a directory or unreadable file → E_TRACE_FORMAT;
 * a CSV syntax error (e.g. an unclosed quote) → E_TRACE_ROW `file:line: ...`. Breaking out of
 * the loop early closes the file.
 *
 * `line` is where the record ends; it differs from where it starts only for quoted cells that
 * span lines, which the trace formats never have.
 */
export async function* readCsvRows(file: string): AsyncGenerator<CsvRow> {
  const source = createReadStream(file);
  const parser = parse({ info: true, bom: true, relax_column_count: true, skip_empty_lines: true });
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<{ info: { lines: number }; record: string[] }>) {
      yield { line: record.info.lines, cells: record.record };
    }
  } catch (err) {
    throw toTraceError(file, err);
  } finally {
    source.destroy();
    parser.destroy();
  }
}

function toTraceError(file: string, err: unknown): unknown {
  if (err instanceof CsvError) {
    const line = typeof err.lines === 'number' ? err.lines : 0;
    return rowError(file, line, `not valid CSV: ${err.message}`);
  }
  return ioError(file, err);
}
