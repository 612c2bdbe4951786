import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import { type AnyManifest, MANIFEST_COMMANDS, type ManifestCommand } from './manifest.js';

/**
 * The one reader of manifest.json: reads <dir>/manifest.json as the typed manifest of its
 * command. A missing or malformed one is an E_DATASET error naming the file (or the folder, when
 * there is none). Older manifests are read too: one without `command` (version 1) gets it from its
 * shape, and a generation's of before version 2 (`kind: "generation"`) is brought to the current
 * shape. Checked: an object with a runId, tables and counts; `warnings` is [] when absent. The
 * other fields are taken as written.
 */
export async function readManifestFile(dir: string): Promise<AnyManifest> {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) {
    throw new FaasloadError(
      'E_DATASET',
      existsSync(dir) ? `${path}: no manifest: not a faasload run folder` : `${dir}: no such run folder`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new FaasloadError('E_DATASET', `${path}: not valid JSON (${messageOf(err)})`, {
      cause: err,
    });
  }
  if (!isObject(raw))
    throw new FaasloadError('E_DATASET', `${path}: not a faasload manifest (not an object)`);
  const m = raw.kind === 'generation' && raw.command === undefined ? fromGeneration1(raw, dir) : raw;
  if (typeof m.runId !== 'string' || !isObject(m.tables) || !isObject(m.counts)) {
    throw new FaasloadError('E_DATASET', `${path}: not a faasload manifest (no runId, tables or counts)`);
  }
  const command = m.command ?? commandOf(m);
  if (!MANIFEST_COMMANDS.includes(command as ManifestCommand)) {
    throw new FaasloadError(
      'E_DATASET',
      `${path}: command ${JSON.stringify(command)} is none of ${MANIFEST_COMMANDS.join(', ')}`,
    );
  }
  // Checked above as far as the tools depend on it; the rest is the writer's (writeManifest).
  return { ...m, command, warnings: Array.isArray(m.warnings) ? m.warnings : [] } as AnyManifest;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A version 1 manifest's command, from its shape: simulate's config says so, a merge lists its runs. */
function commandOf(m: Record<string, unknown>): unknown {
  const config = isObject(m.config) ? m.config : {};
  if (config.kind === 'simulate') return 'simulate';
  if (m.merged !== undefined || Array.isArray(config.merge)) return 'merge';
  return 'replay';
}

/** A generation's manifest as generate wrote it before version 2, in the current shape. */
function fromGeneration1(g: Record<string, unknown>, dir: string): Record<string, unknown> {
  const plan = isObject(g.plan) ? g.plan : {};
  const sessions = Array.isArray(g.sessions) ? (g.sessions as Record<string, unknown>[]) : [];
  const document = isObject(plan.document) ? plan.document : {};
  const executions = isObject(g.tables) && isObject(g.tables.executions) ? g.tables.executions : {};
  return {
    manifestVersion: '1',
    command: 'generate',
    tool: g.tool,
    runId: basename(resolve(dir)),
    commandLine: [],
    config: {},
    seed: typeof document.seed === 'number' ? document.seed : 0,
    trace: { format: 'generate-plan', files: [] },
    platform: { kind: 'unknown', address: '' },
    startedAt: sessions[0]?.startedAt,
    endedAt: sessions.at(-1)?.endedAt,
    status: g.status,
    counts: { total: g.total, done: g.done, errors: g.errors },
    tables: {
      executions: { file: 'executions', rows: g.done, ...executions },
    },
    warnings: sessions.flatMap((s) => (Array.isArray(s.warnings) ? s.warnings : [])),
    generation: { plan, sessions },
  };
}
