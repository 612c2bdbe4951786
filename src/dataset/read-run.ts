import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import type { Manifest } from './manifest.js';

/**
 * Which shard of a sharded plan a run fired (replay --shard I/N; see Manifest.shard). With the
 * planned counts, merge and verify check the plan's size too.
 */
export type ShardFact = NonNullable<Manifest['shard']> & {
  planned?: number;
  plannedPerShard?: readonly number[];
};

/** Written by `faasload dataset recover`: what was read back from the streams, per table. */
export interface RecoveryFact {
  at: string;
  tables: Record<
    string,
    { rows: number; batches: number; ended: boolean; droppedBytes: number; droppedReason?: string }
  >;
}

/** Written by `faasload dataset merge`: the runs the dataset was made of. */
export interface MergeFact {
  runs: { dir: string; runId: string; status: string; planned: number; shard?: ShardFact }[];
  /**
   * When every run is a shard of one plan: their count, which are missing, and the whole plan's
   * size when the shards' manifests give it.
   */
  shards?: { count: number; missing: number[]; planned?: number };
}

/** A manifest as the dataset tools read it: a replay's, a recovered one's or a merge's. */
export interface RunManifest extends Omit<Manifest, 'shard'> {
  shard?: ShardFact;
  recovered?: RecoveryFact;
  merged?: MergeFact;
}

/** Reads <dir>/manifest.json; a missing or malformed one is an E_DATASET error naming it. */
export async function readManifest(dir: string): Promise<RunManifest> {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) {
    throw new FaasloadError(
      'E_DATASET',
      existsSync(dir) ? `${path}: no manifest: not a faasload run folder` : `${dir}: no such run folder`,
    );
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new FaasloadError('E_DATASET', `${path}: not valid JSON (${messageOf(err)})`, {
      cause: err,
    });
  }
  const m = manifest as Partial<RunManifest> | null;
  if (
    !m ||
    typeof m !== 'object' ||
    typeof m.runId !== 'string' ||
    typeof m.tables !== 'object' ||
    !m.counts
  ) {
    throw new FaasloadError('E_DATASET', `${path}: not a faasload manifest (no runId, tables or counts)`);
  }
  return m as RunManifest;
}
