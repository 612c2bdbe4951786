/**
 * Checks the adapters' option resolvers share. Each returns the value it was given and, when the
 * value is wrong, adds a problem to `problems`, so that a resolver reports every bad option at
 * once in one E_USAGE error.
 */

/** Node's timers cannot wait longer than this (a 32-bit signed number of milliseconds). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timeout or interval: a number of milliseconds in [1, MAX_TIMER_MS]. */
export function timerMs<T>(name: string, value: T, problems: string[]): T {
  if (typeof value !== 'number' || !(value >= 1 && value <= MAX_TIMER_MS)) {
    problems.push(`${name}: ${String(value)} is not a number of milliseconds in [1, ${MAX_TIMER_MS}]`);
  }
  return value;
}

/** A count such as --connections: an integer of at least 1. */
export function positiveInteger<T>(name: string, value: T, problems: string[]): T {
  if (!Number.isInteger(value) || (value as number) < 1) {
    problems.push(`${name}: ${String(value)} is not a positive integer`);
  }
  return value;
}
