import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaasloadError } from '../errors.js';
import { synthesizeAzure2021 } from './synth.js';
import { synthesizeAzure2019Day } from './synth-day.js';
import { synthesizeLikeAzure2019 } from './synth-like-azure2019.js';
import type { TraceFormat } from './types.js';

/** What `faasload trace synth` makes: a synthetic trace written to a folder. */
export interface SyntheticTraceOptions {
  format: Extract<TraceFormat, 'azure2019' | 'azure2021'>;
  seed: number;
  functions: number;
  /** Azure 2019: minute columns per day; Azure 2021: the span of the arrivals, in minutes. */
  minutes: number;
  outDir: string;
  /** Azure 2019: the days to write (dNN files), default [1]; days share their functions. */
  days?: readonly number[];
  /** Default: ceil(functions / 2.5). */
  apps?: number;
  /** Azure 2021: the exact number of rows; default 20 per function. */
  invocations?: number;
  /**
   * 'azure2019': a day shaped like the paper's (synth-like-azure2019.ts) instead of the hand-chosen
   * shape; format azure2019 only, apps follow from the paper's functions-per-app distribution.
   */
  like?: SyntheticLike;
}

/** Published traces a synthetic day can be shaped like. */
export const SYNTHETIC_LIKE = ['azure2019'] as const;
export type SyntheticLike = (typeof SYNTHETIC_LIKE)[number];

export interface SyntheticTraceSummary {
  format: 'azure2019' | 'azure2021';
  like?: SyntheticLike;
  /** Files written, in order. */
  files: string[];
  functions: number;
  /** Apps of the --like day (the first day's; days share their functions). */
  apps?: number;
  invocations: number;
  /** Azure 2019: non-empty minute cells over all days. */
  nonEmptyMinutes?: number;
  bytes: number;
}

/** The file name of a synthetic Azure 2021 trace inside outDir. */
export const AZURE2021_SYNTH_FILE = 'azure2021.csv';

/**
 * Writes a synthetic trace (see synth.ts and synth-day.ts for the shapes) into `outDir`:
 * - azure2019: the raw public layout, one invocations/durations/memory triple per day, streamed
 *   to disk (a full day of 46,000 functions × 1,440 minutes is ~140 MB and takes a few MB of
 *   memory); read it back with readAzure2019(outDir, { days }).
 * - azure2021: one CSV, `azure2021.csv`, of exactly `invocations` rows over `minutes` minutes.
 *   It is made in memory (about 100 bytes per row), so keep it to a few million rows.
 * Deterministic by seed. Bad options → E_USAGE, all reported at once.
 */
export async function writeSyntheticTrace(options: SyntheticTraceOptions): Promise<SyntheticTraceSummary> {
  const { format, seed, functions, minutes, outDir } = options;
  const apps = options.apps ?? Math.ceil(functions / 2.5);
  if (options.like !== undefined) return writeLike(options);
  if (format === 'azure2019') {
    const days = options.days ?? [1];
    if (days.length === 0) throw new FaasloadError('E_USAGE', 'trace synth: name at least one day');
    const { files, invocations, nonEmptyMinutes, bytes } = await writeDays(days, (day) =>
      synthesizeAzure2019Day({ seed, functions, minutes, apps, day, outDir }),
    );
    return { format, files, functions, invocations, nonEmptyMinutes, bytes };
  }
  if (format === 'azure2021') {
    const invocations = options.invocations ?? 20 * functions;
    if (!Number.isInteger(minutes) || minutes < 1) {
      throw new FaasloadError('E_USAGE', `trace synth: minutes must be a positive integer, not ${minutes}`);
    }
    const text = synthesizeAzure2021({ seed, functions, apps, spanS: minutes * 60, invocations });
    await mkdir(outDir, { recursive: true });
    const file = join(outDir, AZURE2021_SYNTH_FILE);
    await writeFile(file, text);
    return { format, files: [file], functions, invocations, bytes: Buffer.byteLength(text) };
  }
  throw new FaasloadError(
    'E_USAGE',
    `trace synth: unknown format '${String(format)}' (azure2019 or azure2021)`,
  );
}

/** `--like azure2019`: the paper-shaped day(s), raw layout. */
async function writeLike(options: SyntheticTraceOptions): Promise<SyntheticTraceSummary> {
  const { format, seed, functions, minutes, outDir, like } = options;
  const errors: string[] = [];
  if (format !== 'azure2019') errors.push(`--like ${like} writes the azure2019 format, not ${format}`);
  if (options.apps !== undefined)
    errors.push(`--apps does not apply with --like ${like}: apps follow from the paper's functions per app`);
  if (options.invocations !== undefined) errors.push(`--invocations does not apply with --like ${like}`);
  const days = options.days ?? [1];
  if (days.length === 0) errors.push('name at least one day');
  if (errors.length > 0) throw new FaasloadError('E_USAGE', `trace synth: ${errors.join('; ')}`);
  let apps: number | undefined;
  const { files, invocations, nonEmptyMinutes, bytes } = await writeDays(days, async (day) => {
    const r = await synthesizeLikeAzure2019({ seed, functions, minutes, day, outDir });
    apps ??= r.apps;
    return r;
  });
  return {
    format: 'azure2019',
    like: 'azure2019',
    files,
    functions,
    ...(apps === undefined ? {} : { apps }),
    invocations,
    nonEmptyMinutes,
    bytes,
  };
}

interface DayWritten {
  files: { invocations: string; durations: string; memory?: string };
  invocations: number;
  nonEmptyMinutes: number;
  invocationsBytes: number;
}

/** Writes each day in turn with `writeDay`, and adds up their files and counts. */
async function writeDays(days: readonly number[], writeDay: (day: number) => Promise<DayWritten>) {
  const files: string[] = [];
  let invocations = 0;
  let nonEmptyMinutes = 0;
  let bytes = 0;
  for (const day of days) {
    const r = await writeDay(day);
    files.push(
      r.files.invocations,
      r.files.durations,
      ...(r.files.memory === undefined ? [] : [r.files.memory]),
    );
    invocations += r.invocations;
    nonEmptyMinutes += r.nonEmptyMinutes;
    bytes += r.invocationsBytes;
  }
  return { files, invocations, nonEmptyMinutes, bytes };
}
