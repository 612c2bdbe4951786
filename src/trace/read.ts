import { stat } from 'node:fs/promises';
import { FaasloadError } from '../errors.js';
import { readAzure2019 } from './azure2019.js';
import { readAzure2021 } from './azure2021.js';
import { readCsvTrace } from './csv-trace.js';
import { detectFormat, isTraceFormat } from './detect.js';
import { readFaasloadWorkload } from './faasload.js';
import { readHuawei2023 } from './huawei2023.js';
import { type ReadTraceOptions, TRACE_FORMATS, type Trace, type TraceFormat } from './types.js';

/** A format's reader: every one gets the read options; those without options ignore them. */
export type TraceReader = (path: string, options: ReadTraceOptions) => Promise<Trace>;

/** The reader of each format: the one place formats are registered. */
export const TRACE_READERS = {
  azure2019: readAzure2019,
  azure2021: readAzure2021,
  huawei2023: readHuawei2023,
  faasload: readFaasloadWorkload,
  csv: readCsvTrace,
} satisfies Record<TraceFormat, TraceReader>;

/** The formats whose files are days, chosen by ReadTraceOptions.days. */
const FORMATS_WITH_DAYS: readonly TraceFormat[] = ['azure2019', 'huawei2023'];

/**
 * Reads a trace file or folder. `format` defaults to 'auto' (detectFormat). Errors are
 * FaasloadErrors: E_TRACE_NOT_FOUND for a path that does not exist, E_TRACE_FORMAT for an unknown
 * format name or an undetectable file, E_TRACE_ROW (`file:line: ...`) for a malformed row, E_USAGE
 * for a folder of several Azure 2019 days or a bad option (e.g. a --time-column the CSV lacks).
 * `options` goes to the format's reader as is: 'csv' reads `options.csv`.
 */
export async function readTrace(path: string, options: ReadTraceOptions = {}): Promise<Trace> {
  const requested: string = options.format ?? 'auto';
  if (requested !== 'auto' && !isTraceFormat(requested)) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `unknown trace format '${requested}': known formats are ${TRACE_FORMATS.join(', ')} (or auto)`,
    );
  }
  await stat(path).catch((err: unknown) => {
    throw new FaasloadError('E_TRACE_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
  });
  const format: TraceFormat = isTraceFormat(requested) ? requested : await detectFormat(path);
  if (options.days !== undefined && !FORMATS_WITH_DAYS.includes(format)) {
    throw new FaasloadError(
      'E_USAGE',
      `--day chooses the days of ${FORMATS_WITH_DAYS.join(' or ')} traces; ${path} is ${format}, which has no days`,
    );
  }
  const reader: TraceReader = TRACE_READERS[format];
  return reader(path, options);
}
