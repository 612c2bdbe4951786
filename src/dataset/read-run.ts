import { join } from 'node:path';
import { FaasloadError } from '../errors.js';
import type { AnyManifest, Manifest } from './manifest.js';
import { readManifestFile } from './manifest-read.js';

export type { MergeFact, RecoveryFact, ShardFact } from './manifest.js';

/** The manifest of a run folder, as the dataset tools read it: a replay's, a simulation's or a merge's. */
export type RunManifest = Exclude<AnyManifest, Manifest<'generate'>>;

/**
 * Reads <dir>/manifest.json (readManifestFile) as a run folder's: a generation's folder is an
 * E_DATASET error saying where its table is.
 */
export async function readManifest(dir: string): Promise<RunManifest> {
  const manifest = await readManifestFile(dir);
  if (manifest.command === 'generate') {
    throw new FaasloadError(
      'E_DATASET',
      `${join(dir, 'manifest.json')}: a generation's manifest (faasload generate), not a run's: its executions are the Parquet parts in ${join(dir, 'executions')}`,
    );
  }
  return manifest;
}
