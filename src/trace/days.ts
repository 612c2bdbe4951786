import { FaasloadError } from '../errors.js';

/**
 * The highest day number accepted. Days are numbered as the trace's files are: Azure 2019 from 1
 * (d01 to d14), Huawei 2023 from 0 (day_00, or day_000 for the per-second tables).
 */
export const MAX_DAY = 999;

/**
 * Parses a list of days for `--day`: single days and inclusive ranges separated by commas, e.g.
 * `2`, `1-3`, `1,4,7`, `1-3,5`. Returns the days ascending. Every problem is reported at once in
 * one E_USAGE error: an empty list or item, a non-integer, a day outside 0..MAX_DAY, a range
 * whose end is below its start, days out of order or repeated (`3,1`, `1-3,2`).
 */
export function parseDays(text: string): number[] {
  const errors: string[] = [];
  const days: number[] = [];
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    if (item === '') {
      errors.push('an empty item');
      continue;
    }
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (m === null) {
      errors.push(`'${item}' is not a day or a range of days (N or N-M)`);
      continue;
    }
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    const outside = [first, last].filter((d) => d > MAX_DAY);
    if (outside.length > 0) {
      errors.push(`'${item}': days run from 0 to ${MAX_DAY}`);
      continue;
    }
    if (last < first) {
      errors.push(`'${item}': the range ends before it starts`);
      continue;
    }
    for (let d = first; d <= last; d++) {
      const previous = days[days.length - 1];
      if (previous !== undefined && d <= previous) {
        errors.push(
          d === previous || days.includes(d)
            ? `day ${d} is listed twice`
            : `day ${d} comes after day ${previous}: list days in ascending order`,
        );
        break;
      }
      days.push(d);
    }
  }
  if (errors.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid list of days '${text}': ${errors.join('; ')}`);
  }
  return days;
}

/** Writes ascending days the way parseDays reads them, runs as ranges: [1, 2, 3, 5] → `1-3,5`. */
export function formatDays(days: readonly number[]): string {
  const items: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === days[j]! + 1) j++;
    items.push(i === j ? `${days[i]}` : `${days[i]}-${days[j]}`);
    i = j + 1;
  }
  return items.join(',');
}
