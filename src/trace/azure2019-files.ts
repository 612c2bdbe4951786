import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FaasloadError } from '../errors.js';
import { formatDays } from './days.js';

/**
 * Where the three files of one Azure Functions 2019 trace are. Two layouts exist:
 * - In-Vitro (vHive's loader): a folder with invocations.csv, durations.csv, memory.csv.
 * - raw public: invocations_per_function_md.anon.dNN.csv, function_durations_percentiles.anon.dNN.csv
 *   and app_memory_percentiles.anon.dNN.csv for one day NN (no memory file exists for d13, d14).
 * durations/memory are undefined when no such file is beside the invocations; `looked` then lists
 * the names tried, for the warning.
 */
export interface Azure2019Files {
  invocations: string;
  durations?: string;
  memory?: string;
  /** Names tried for durations and memory, beside the invocations file. */
  looked: { durations: string[]; memory: string[] };
}

export const RAW_INVOCATIONS = /^invocations_per_function_md\.anon\.(d\d+)\.csv$/;
const DAY_TAG = /[._-](d\d+)\.csv$/;

const rawDurations = (day: string) => `function_durations_percentiles.anon.${day}.csv`;
const rawMemory = (day: string) => `app_memory_percentiles.anon.${day}.csv`;

/** The dNN tag of day n in the raw file names (d01 ... d14). */
export const dayTag = (day: number): string => `d${String(day).padStart(2, '0')}`;

/** The raw file names of one day, as published. */
export function rawDayNames(day: number): { invocations: string; durations: string; memory: string } {
  const tag = dayTag(day);
  return {
    invocations: `invocations_per_function_md.anon.${tag}.csv`,
    durations: rawDurations(tag),
    memory: rawMemory(tag),
  };
}

/**
 * Resolves `path` to one day's files. `path` is a folder (In-Vitro, or raw holding exactly one day)
 * or an invocations file; siblings are looked for beside a file by In-Vitro names first, then by
 * the raw names of the day its name carries (`...dNN.csv`). A folder with several raw days →
 * E_USAGE (choose them with resolveAzure2019Days); a folder with no trace → E_TRACE_FORMAT;
 * a path that does not exist → E_TRACE_NOT_FOUND.
 */
export async function resolveAzure2019Files(path: string): Promise<Azure2019Files> {
  const info = await stat(path).catch((err: unknown) => {
    throw new FaasloadError('E_TRACE_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
  });
  if (info.isDirectory()) return resolveFolder(path);
  return resolveSiblings(path);
}

async function resolveFolder(dir: string): Promise<Azure2019Files> {
  const names = await readdir(dir);
  if (names.includes('invocations.csv')) return resolveSiblings(join(dir, 'invocations.csv'));
  const days = names.filter((n) => RAW_INVOCATIONS.test(n)).sort();
  const [only, ...more] = days;
  if (only === undefined) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${dir}: no Azure 2019 trace here: expected invocations.csv (In-Vitro layout) or invocations_per_function_md.anon.dNN.csv`,
    );
  }
  if (more.length > 0) {
    throw new FaasloadError(
      'E_USAGE',
      `${dir} holds ${days.length} days of Azure 2019 invocations (${days.join(', ')}); name one day's invocations file, e.g. ${join(dir, only)}, or the days to concatenate in time (--day ${formatDays(dayNumbers(days))})`,
    );
  }
  return resolveSiblings(join(dir, only));
}

/** The day numbers of raw invocations file names, ascending. */
function dayNumbers(names: readonly string[]): number[] {
  return names
    .map((n) => Number(RAW_INVOCATIONS.exec(n)?.[1]?.slice(1)))
    .filter((d) => Number.isInteger(d))
    .sort((a, b) => a - b);
}

async function resolveSiblings(invocations: string): Promise<Azure2019Files> {
  const dir = dirname(invocations);
  const name = basename(invocations);
  const day = RAW_INVOCATIONS.exec(name)?.[1] ?? DAY_TAG.exec(name)?.[1];
  const durationNames = RAW_INVOCATIONS.test(name) ? [] : ['durations.csv'];
  const memoryNames = RAW_INVOCATIONS.test(name) ? [] : ['memory.csv'];
  if (day !== undefined) {
    durationNames.push(rawDurations(day));
    memoryNames.push(rawMemory(day));
  }
  return {
    invocations,
    durations: await firstFile(dir, durationNames),
    memory: await firstFile(dir, memoryNames),
    looked: { durations: durationNames, memory: memoryNames },
  };
}

async function firstFile(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) return path;
  }
  return undefined;
}

/**
 * Resolves the raw-layout files of several days (1-based, strictly ascending, e.g. [1, 2, 3]) in
 * `path`: a folder of raw files, or one day's raw invocations file (its folder is used). Days are
 * found by the number in their dNN tag, so d1 and d01 both name day 1. Returns one Azure2019Files
 * per day, in the order given; durations and memory are undefined where absent (no memory file
 * exists for d13, d14). Errors: a day without an invocations file → E_TRACE_NOT_FOUND naming it
 * and the days present; the In-Vitro layout (one unnamed day) or bad day numbers → E_USAGE.
 */
export async function resolveAzure2019Days(path: string, days: readonly number[]): Promise<Azure2019Files[]> {
  checkDays(days);
  const info = await stat(path).catch((err: unknown) => {
    throw new FaasloadError('E_TRACE_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
  });
  let dir = path;
  if (!info.isDirectory()) {
    if (!RAW_INVOCATIONS.test(basename(path))) {
      throw new FaasloadError(
        'E_USAGE',
        `${path}: days can only be chosen in the raw layout (invocations_per_function_md.anon.dNN.csv files); this file carries no day`,
      );
    }
    dir = dirname(path);
  }
  const names = await readdir(dir);
  if (names.includes('invocations.csv') && !names.some((n) => RAW_INVOCATIONS.test(n))) {
    throw new FaasloadError(
      'E_USAGE',
      `${dir}: days can only be chosen in the raw layout (invocations_per_function_md.anon.dNN.csv files); this folder holds one In-Vitro trace (invocations.csv)`,
    );
  }
  const byDay = new Map<number, string>();
  for (const name of names.sort()) {
    const tag = RAW_INVOCATIONS.exec(name)?.[1];
    if (tag === undefined) continue;
    const day = Number(tag.slice(1));
    if (!byDay.has(day)) byDay.set(day, name);
  }
  const present = [...byDay.keys()].sort((a, b) => a - b);
  const out: Azure2019Files[] = [];
  for (const day of days) {
    const name = byDay.get(day);
    if (name === undefined) {
      throw new FaasloadError(
        'E_TRACE_NOT_FOUND',
        `${dir}: no invocations file for day ${day} (${rawDayNames(day).invocations}); ${present.length === 0 ? 'the folder has no raw Azure 2019 day' : `days present: ${present.join(', ')}`}`,
      );
    }
    out.push(await resolveSiblings(join(dir, name)));
  }
  return out;
}

function checkDays(days: readonly number[]): void {
  const bad =
    days.length === 0 || days.some((d, i) => !Number.isInteger(d) || d < 1 || (i > 0 && d <= days[i - 1]!));
  if (bad) {
    throw new FaasloadError(
      'E_USAGE',
      `Azure 2019 days are numbered from 1 (d01): days must be a non-empty list of ascending day numbers from 1, without repeats; got [${days.join(', ')}]`,
    );
  }
}
