/** A generation's manifest, written after each session (finishManifest: whole or not at all). */
import type { ColumnSpec } from '../dataset/columns.js';
import { type Manifest, traceFileFacts } from '../dataset/manifest.js';
import { makeRunId } from '../run/run-dir.js';
import { startManifest } from '../run/steps/manifest.js';
import type { GenerateOptions } from './run.js';
import type { Session } from './session.js';
import { EXECUTIONS_SCHEMA_VERSION } from './table.js';

/** How long executions in flight may finish after a stop, by default. */
export const GRACE_MS = 30_000;

/** The generation's manifest after a session: its plan, sessions, counts and executions table. */
export async function generationManifest(
  o: GenerateOptions,
  s: Session,
  end: {
    status: 'complete' | 'stopped';
    counts: { total: number; done: number; errors: number };
    platform: { kind: string; address: string };
  },
): Promise<Manifest<'generate'>> {
  const startedAt = s.state.sessions[0]?.startedAt ?? new Date().toISOString();
  const manifest = startManifest({
    command: 'generate',
    runId: `${makeRunId(o.planPath, new Date(startedAt))}-gen`,
    commandLine: o.commandLine,
    config: {
      plan: o.planPath,
      platform: s.platformKind,
      resume: o.resume ?? false,
      monitors: s.monitorConfig.monitors,
      graceMs: o.graceMs ?? GRACE_MS,
    },
    seed: s.plan.seed,
    trace: { format: 'generate-plan', files: await traceFileFacts([o.planPath]) },
    platform: end.platform,
    startedAt,
    counts: end.counts,
    warnings: s.state.sessions.flatMap((x) => x.warnings ?? []),
  });
  manifest.status = end.status;
  manifest.tables.executions = {
    file: 'executions',
    files: 'executions/part-*.parquet',
    rows: end.counts.done,
    schemaVersion: EXECUTIONS_SCHEMA_VERSION,
    columns: s.columns as readonly ColumnSpec[],
  };
  manifest.generation = { plan: { sha256: s.planSha256, document: s.document }, sessions: s.state.sessions };
  return manifest;
}
