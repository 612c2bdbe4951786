/**
 * What the two synthetic Azure 2019 days (synth-day.ts, synth-like-azure2019.ts) share: the
 * z-scores their percentile columns are drawn at, the raw files' paths, header lines and row ids,
 * and the diurnal peak.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rawDayNames } from './azure2019-files.js';
import { DURATION_PERCENTILES, MEMORY_PERCENTILES } from './azure2019-join.js';
import type { synthIdentities } from './synth.js';

type SynthIdentities = ReturnType<typeof synthIdentities>;

/** z-scores of the duration and memory percentile columns; 0 and 100 taken at ±3σ. */
export const PERCENTILE_Z: Readonly<Record<number, number>> = {
  0: -3,
  1: -2.326,
  5: -1.645,
  25: -0.674,
  50: 0,
  75: 0.674,
  95: 1.645,
  99: 2.326,
  100: 3,
};

/** The diurnal peak, minute of the day (14:00). */
export const DIURNAL_PEAK_MINUTE = 840;

/** Header line of function_durations_percentiles.anon.dNN.csv. */
export const RAW_DURATIONS_HEADER = `HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,${DURATION_PERCENTILES.map((p) => `percentile_Average_${p}`).join(',')}\n`;

/** Header line of app_memory_percentiles.anon.dNN.csv (per app: no HashFunction). */
export const RAW_MEMORY_HEADER = `HashOwner,HashApp,SampleCount,AverageAllocatedMb,${MEMORY_PERCENTILES.map((p) => `AverageAllocatedMb_pct${p}`).join(',')}\n`;

/** The day's raw file paths in `outDir` (made if missing); no memory file unless asked. */
export async function rawDayFiles(
  outDir: string,
  day: number,
  memory: boolean,
): Promise<{ invocations: string; durations: string; memory?: string }> {
  await mkdir(outDir, { recursive: true });
  const names = rawDayNames(day);
  return {
    invocations: join(outDir, names.invocations),
    durations: join(outDir, names.durations),
    ...(memory ? { memory: join(outDir, names.memory) } : {}),
  };
}

/** `HashOwner,HashApp,HashFunction` of a function, from the synthetic identities. */
export function idPrefixer(ids: SynthIdentities, appOf: ArrayLike<number>): (fn: number) => string {
  return (fn) => {
    const app = appOf[fn]!;
    return `${ids.ownerIds[ids.ownerOf[app]!]},${ids.appIds[app]},${ids.funcIds[fn]}`;
  };
}
