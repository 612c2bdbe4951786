/**
 * Exact conversions of time texts to whole microseconds, for the readers of per-invocation
 * traces. They work on the digits, never through a float of seconds or through Date (which keeps
 * milliseconds only), so `1672628645.1234567` s and `2023-01-02 03:04:05.1234567` both keep their
 * microsecond. Digits past the microsecond are rounded half away from zero. Results are safe
 * integers (|v| < 2^53 µs, about ±285 years around 1970) or undefined.
 */

const PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const EXPONENT_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$/;

/** Why a text is not a time: not in the expected shape, or too far from 0 / from 1970. */
export type TimeTextProblem = 'malformed' | 'out of range';

/**
 * A decimal number of time units as whole microseconds: `unitDigits` is 6 for seconds, 3 for
 * milliseconds, 0 for microseconds. `2.5` s → 2500000. Exponent forms (`1.5e3`) go through a
 * float and may lose the last microsecond of large values.
 */
export function decimalMicros(text: string, unitDigits: number): number | TimeTextProblem {
  const m = PLAIN_DECIMAL.exec(text);
  if (m === null) {
    if (!EXPONENT_DECIMAL.test(text)) return 'malformed';
    const v = Math.round(Number(text) * 10 ** unitDigits);
    return Number.isSafeInteger(v) ? v : 'out of range';
  }
  const sign = m[1] ?? '';
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  if (whole === '' && fraction === '') return 'malformed';
  const v = Number(whole || '0') * 10 ** unitDigits + fractionMicros(fraction, unitDigits);
  if (!Number.isSafeInteger(v)) return 'out of range';
  return sign === '-' && v !== 0 ? -v : v;
}

/** The first `digits` digits of a fraction as an integer, rounded half up on the next digit. */
function fractionMicros(fraction: string, digits: number): number {
  const kept = fraction.length >= digits ? fraction.slice(0, digits) : fraction.padEnd(digits, '0');
  const up = fraction.length > digits && fraction.charCodeAt(digits) >= 53 /* '5' */ ? 1 : 0;
  return Number(kept || '0') + up;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)? *(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** The date-time shapes dateTimeMicros reads, for error messages. */
export const DATE_TIME_SHAPES = 'YYYY-MM-DD[ HH:MM[:SS[.fffffff]]] or ISO 8601 with T, Z or ±HH:MM';

/**
 * A date-time as microseconds since 1970-01-01 00:00 UTC: `2023-01-02 03:04:05.1234567`,
 * `2023-01-02T03:04:05Z`, `2023-01-02T03:04:05.5+01:00`, `2023-01-02`. Without an offset the time
 * is read as UTC: trace times only matter relative to each other, and local time would add DST
 * jumps. Up to 9 fractional digits, rounded to the microsecond. Day, month and hour ranges are
 * checked (no 2023-02-30, no 24:00).
 */
export function dateTimeMicros(text: string): number | TimeTextProblem {
  const m = DATE_TIME.exec(text);
  if (m === null) return 'malformed';
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 'malformed';
  if (hour > 23 || minute > 59 || second > 59) return 'malformed';
  const offsetMinutes = m[8] === undefined ? 0 : parseOffset(m[8]);
  if (offsetMinutes === undefined) return 'malformed';
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
  const v = (seconds - offsetMinutes * 60) * 1e6 + fractionMicros(m[7] ?? '', 6);
  return Number.isSafeInteger(v) ? v : 'out of range';
}

function parseOffset(text: string): number | undefined {
  if (text === 'Z' || text === 'z') return 0;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (text[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
