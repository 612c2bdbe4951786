import { FaasloadError } from '../errors.js';

const UNIT_US = { us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: 86400e6 } as const;
const isUnit = (u: string): u is keyof typeof UNIT_US => Object.hasOwn(UNIT_US, u);

/**
 * Parses a duration such as `90s`, `5m`, `2h`, `100ms`, `1.5h` or a plain number of seconds, into
 * microseconds. `what` names the flag in the error message.
 */
export function parseDurationUs(text: string | number, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|ms|s|m|h|d)?\s*$/.exec(String(text));
  if (!m) {
    throw new FaasloadError(
      'E_USAGE',
      `${what}: '${text}' is not a duration (use e.g. 90s, 5m, 2h, 100ms or plain seconds)`,
    );
  }
  const unit = m[2] ?? 's';
  if (!isUnit(unit)) throw new FaasloadError('E_USAGE', `${what}: '${text}' has an unknown unit '${unit}'`);
  return Math.round(Number(m[1]) * UNIT_US[unit]);
}
