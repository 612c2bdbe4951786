import type { ErrorCode } from '../errors.js';
import { FaasloadError } from '../errors.js';

/** The one place error codes become exit codes. 1 is an unexpected failure (a bug). */
export const EXIT_CODES: Record<ErrorCode, number> = {
  E_USAGE: 2,
  E_TRACE_NOT_FOUND: 3,
  E_TRACE_FORMAT: 3,
  E_TRACE_ROW: 3,
  E_PLATFORM_KIND: 2,
  E_PLATFORM: 4,
  E_DATASET: 5,
};

/**
 * A replay that did not run to its end (its dataset still holds every planned invocation): the
 * shell's 128 + signal number for a stop by signal, 6 for --abort-on-lag.
 */
export const STOP_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, lag: 6 } as const;

/** Prints the error and returns the exit code: a typed error gets one line, anything else a stack. */
export function reportError(err: unknown, write: (text: string) => void): number {
  if (err instanceof FaasloadError) {
    write(`faasload: ${err.message}\n`);
    return EXIT_CODES[err.code];
  }
  write(
    `faasload: unexpected error (please report it):\n${err instanceof Error ? err.stack : String(err)}\n`,
  );
  return 1;
}
