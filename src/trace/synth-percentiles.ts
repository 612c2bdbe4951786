/**
 * What the two synthetic Azure 2019 days (synth-day.ts, synth-like-azure2019.ts) share: the
 * z-scores their percentile columns are drawn at, the raw files' header lines and the diurnal peak.
 */
import { DURATION_PERCENTILES, MEMORY_PERCENTILES } from './azure2019-join.js';

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
