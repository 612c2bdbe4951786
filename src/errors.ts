/**
 * Typed errors with stable codes. Library code throws these; src/cli/exit-codes.ts maps codes
 * to exit codes in one place. Inside a run, platform failures are data (an outcome), not errors.
 */
export type ErrorCode =
  | 'E_USAGE' // a bad flag or option value
  | 'E_TRACE_NOT_FOUND' // a trace file or folder that does not exist
  | 'E_TRACE_FORMAT' // unknown format, or auto-detection failed
  | 'E_TRACE_ROW' // a malformed row: the message names file and line
  | 'E_PLATFORM_KIND' // an unknown --platform
  | 'E_PLATFORM' // the platform could not be started or reached
  | 'E_DATASET'; // the dataset could not be written

export class FaasloadError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaasloadError';
    this.code = code;
  }
}

/** An error for one row of one file: `file:line: message`. Lines count from 1, the header included. */
export function rowError(file: string, line: number, message: string): FaasloadError {
  return new FaasloadError('E_TRACE_ROW', `${file}:${line}: ${message}`);
}
