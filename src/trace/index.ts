/** Trace readers: the files of a public trace format → a Trace (see types.ts). */
export { type CsvRow, readCsvRows } from './csv.js';
export {
  type ArrivalSource,
  type Percentiles,
  type ReadTraceOptions,
  TRACE_FORMATS,
  type Trace,
  type TraceFormat,
  type TraceFunction,
} from './types.js';
