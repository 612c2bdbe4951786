/**
 * The steps of a command's manifest that replay, simulate and generate share: its first version
 * (status failed until the command says otherwise, so that a crash leaves a truthful one) and its
 * last. Written through writeManifest (whole or not at all).
 */

import {
  hostFacts,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestCommand,
  writeManifest,
} from '../../dataset/manifest.js';
import { messageOf } from '../../util/message.js';
import { VERSION } from '../../version.js';

/** What a command knows of its run when it starts it. */
export type ManifestStart<C extends ManifestCommand> = Pick<
  Manifest<C>,
  'command' | 'runId' | 'config' | 'seed' | 'platform' | 'startedAt' | 'counts' | 'warnings' | 'trace'
> & { commandLine?: readonly string[] | undefined };

/** The manifest of a run that has started: the common fields, no tables yet, status failed. */
export function startManifest<C extends ManifestCommand>(s: ManifestStart<C>): Manifest<C> {
  return {
    manifestVersion: MANIFEST_VERSION,
    command: s.command,
    tool: { name: 'faasload', version: VERSION },
    runId: s.runId,
    commandLine: [...(s.commandLine ?? [])],
    config: s.config,
    seed: s.seed,
    trace: s.trace,
    platform: s.platform,
    host: hostFacts(),
    startedAt: s.startedAt,
    status: 'failed',
    counts: s.counts,
    tables: {},
    warnings: s.warnings,
  };
}

/**
 * The last write of a run's manifest, with its end time. With `failure` (a table that could not
 * be written: the disk may be full) the run is failed, the failure is a warning, and a write that
 * fails too leaves the manifest written before in place.
 */
export async function finishManifest(dir: string, manifest: Manifest, failure?: unknown): Promise<void> {
  manifest.endedAt = new Date().toISOString();
  if (failure === undefined) return writeManifest(dir, manifest);
  manifest.status = 'failed';
  manifest.warnings.push(messageOf(failure));
  await writeManifest(dir, manifest).catch(() => {});
}
