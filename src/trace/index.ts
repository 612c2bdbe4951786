/**
 * Trace readers: the files of a public trace format → a Trace (see types.ts). Start with
 * readTrace(path, { format }); the per-format readers and the CSV row reader are exported for
 * callers that know their format, and for new readers.
 */
export { AZURE2019_ID_COLUMNS, MINUTE_US, type ReadAzure2019Options, readAzure2019 } from './azure2019.js';
export {
  type Azure2019Files,
  rawDayNames,
  resolveAzure2019Days,
  resolveAzure2019Files,
} from './azure2019-files.js';
export { DURATION_PERCENTILES, MEMORY_PERCENTILES } from './azure2019-join.js';
export { AZURE2021_COLUMNS, NEGATIVE_START_TOLERANCE_S, readAzure2021 } from './azure2021.js';
export { TRACE_LIMITS } from './cells.js';
export { type CsvRow, readCsvRows } from './csv.js';
export { CSV_DURATION_UNITS, CSV_TIME_UNITS, readCsvTrace } from './csv-trace.js';
export { formatDays, MAX_DAY, parseDays } from './days.js';
export { detectFormat, isTraceFormat } from './detect.js';
export {
  type FaasloadPoint,
  type FaasloadTraceName,
  parseFaasloadLine,
  parseFaasloadTraceName,
  readFaasloadWorkload,
} from './faasload.js';
export {
  HUAWEI2023_DAY_FILE,
  HUAWEI2023_TIME_COLUMNS,
  isHuawei2023Header,
  readHuawei2023,
} from './huawei2023.js';
export { forEachCsvRow, type LineHandler, type ScanLinesOptions, scanLines } from './lines.js';
export { dateTimeMicros, decimalMicros } from './micros.js';
export { readTrace, TRACE_READERS, type TraceReader } from './read.js';
export {
  type SynthAzure2019Files,
  type SynthAzure2019Options,
  type SynthAzure2021Options,
  synthesizeAzure2019,
  synthesizeAzure2021,
} from './synth.js';
export {
  type SynthAzure2019DayOptions,
  type SynthAzure2019DayResult,
  synthesizeAzure2019Day,
} from './synth-day.js';
export {
  AZURE2021_SYNTH_FILE,
  type SyntheticTraceOptions,
  type SyntheticTraceSummary,
  writeSyntheticTrace,
} from './synth-files.js';
export {
  type ArrivalSource,
  type CsvTraceColumns,
  DEFAULT_DUPLICATE_POLICY,
  DUPLICATE_POLICIES,
  type DuplicatePolicy,
  type Percentiles,
  type ReadTraceOptions,
  TRACE_FORMATS,
  type Trace,
  type TraceFormat,
  type TraceFunction,
} from './types.js';
