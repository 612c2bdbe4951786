import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AZURE2019_DIR } from './paths.js';

/** How many items share each key. */
export function countBy<T>(items: Iterable<T>, key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return m;
}

/**
 * Invocations of each function of the real Azure 2019 sample in its first `minutes` minutes,
 * parsed naively (no faasload code), keyed owner/app/function as faasload names functions.
 * Functions with none are left out.
 */
export async function sampleMinuteCounts(minutes: number): Promise<Map<string, number>> {
  const lines = (await readFile(join(AZURE2019_DIR, 'invocations.csv'), 'utf8')).trim().split('\n');
  const m = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const c = line.split(',');
    let total = 0;
    for (let i = 0; i < minutes; i++) total += Number(c[4 + i]);
    if (total > 0) m.set(`${c[0]}/${c[1]}/${c[2]}`, total);
  }
  return m;
}

/**
 * Per-minute invocation counts of each function of the real Azure 2019 sample over its whole
 * span, parsed naively (no faasload code), keyed owner/app/function.
 */
export async function sampleMinuteMatrix(): Promise<Map<string, number[]>> {
  const lines = (await readFile(join(AZURE2019_DIR, 'invocations.csv'), 'utf8')).trim().split('\n');
  const m = new Map<string, number[]>();
  for (const line of lines.slice(1)) {
    const c = line.split(',');
    m.set(`${c[0]}/${c[1]}/${c[2]}`, c.slice(4).map(Number));
  }
  return m;
}
