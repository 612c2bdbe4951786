import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FaasloadError } from '../errors.js';

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

/**
 * Resolves `path` to one day's files. `path` is a folder (In-Vitro, or raw holding exactly one day)
 * or an invocations file; siblings are looked for beside a file by In-Vitro names first, then by
 * the raw names of the day its name carries (`...dNN.csv`). A folder with several raw days →
 * E_USAGE (reading several days is not supported yet); a folder with no trace → E_TRACE_FORMAT;
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
  if (days.length === 0) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${dir}: no Azure 2019 trace here: expected invocations.csv (In-Vitro layout) or invocations_per_function_md.anon.dNN.csv`,
    );
  }
  if (days.length > 1) {
    throw new FaasloadError(
      'E_USAGE',
      `${dir} holds ${days.length} days of Azure 2019 invocations (${days.join(', ')}); name one day's invocations file, e.g. ${join(dir, days[0]!)} (reading several days at once is not supported yet)`,
    );
  }
  return resolveSiblings(join(dir, days[0]!));
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
