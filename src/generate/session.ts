/**
 * A generation's session: opened (the plan read and checked, the state of the sessions before it
 * read, parts left by a crash recovered, the executions already done found) and closed (its
 * state saved: what --resume reads).
 */

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColumnSpec } from '../dataset/columns.js';
import { arrowsToParquet } from '../dataset/parquet.js';
import { parquetBatches } from '../dataset/parquet-read.js';
import { FaasloadError } from '../errors.js';
import { PERF_DEFAULT_EVENTS } from '../monitor/perf.js';
import { splitEventList } from '../monitor/perf-csv.js';
import { type MonitorConfig, resolveMonitorConfig } from '../monitor/set.js';
import { messageOf } from '../util/message.js';
import { executionCount } from './executions.js';
import { type GeneratePlan, readGeneratePlan } from './plan.js';
import type { GenerateOptions, GeneratePlatform } from './run.js';
import { executionsColumns } from './table.js';

/** The platforms where faasload deploys code (and so can run catalog and folder functions). */
const DEPLOYS_CODE: ReadonlySet<GeneratePlatform> = new Set(['local', 'openwhisk']);

const STATE_FILE = 'generate.json';

/** generate.json: what --resume reads. */
export interface State {
  planSha256: string;
  /** The perf events whose perf_<event> columns the executions table has (first session's). */
  perfEvents?: string[];
  sessions: {
    session: number;
    startedAt: string;
    endedAt?: string;
    rows?: number;
    status?: string;
    /** The monitors' tables of this session, relative to the generation folder. */
    monitorTables?: string[];
    warnings?: string[];
  }[];
}

export interface Session {
  plan: GeneratePlan;
  planSha256: string;
  /** The plan as written. */
  document: unknown;
  platformKind: GeneratePlatform;
  monitorConfig: MonitorConfig;
  state: State;
  /** The executions table's columns (with the first session's perf columns). */
  columns: readonly ColumnSpec[];
  partsDir: string;
  /** How many executions the plan has, and those some part already holds. */
  total: number;
  done: { has(i: number): boolean; count: number };
  /** This session's number (from 1), its name and its part's. */
  session: number;
  sessionName: string;
  partName: string;
}

/** Opens this session of the generation in o.out (a new one, or --resume). */
export async function openSession(o: GenerateOptions): Promise<Session> {
  const { plan, sha256: planSha256, document } = await readGeneratePlan(o.planPath);
  const platformKind = o.platform ?? 'local';
  checkPlatform(plan, platformKind);
  const monitorConfig = resolveMonitorConfig(o.monitor, {
    platform: platformKind,
    runtime: o.platformOptions?.runtime,
  });
  const counted = monitorConfig.monitors.includes('perf')
    ? splitEventList(monitorConfig.perfEvents ?? PERF_DEFAULT_EVENTS)
    : [];
  const partsDir = join(o.out, 'executions');
  const state = await openState(o, planSha256, counted);
  const columns = executionsColumns(plan, state.perfEvents ?? []);
  await mkdir(partsDir, { recursive: true });
  await recoverParts(partsDir, columns);
  const total = executionCount(plan);
  const done = await doneIndexes(partsDir, total);
  const session = state.sessions.length + 1;
  state.sessions.push({ session, startedAt: new Date().toISOString() });
  await saveState(o.out, state);
  const number = String(session).padStart(4, '0');
  return {
    plan,
    planSha256,
    document,
    platformKind,
    monitorConfig,
    state,
    columns,
    partsDir,
    total,
    done,
    session,
    sessionName: `session-${number}`,
    partName: `part-${number}`,
  };
}

/** Closes the session in the state (what --resume reads). */
export async function closeSession(
  out: string,
  s: Session,
  facts: Omit<State['sessions'][number], 'session' | 'startedAt'>,
) {
  const current = s.state.sessions.at(-1);
  if (current === undefined) throw new Error('closeSession: no session was opened');
  Object.assign(current, facts);
  await saveState(out, s.state);
}

/** Catalog and folder functions need a platform faasload deploys code to; `action:` ones a real one. */
function checkPlatform(plan: GeneratePlan, platform: GeneratePlatform): void {
  for (const f of plan.functions) {
    if (f.source.kind !== 'action' && !DEPLOYS_CODE.has(platform) && f.source.kind === 'folder') {
      throw new FaasloadError(
        'E_USAGE',
        `function ${f.name}: a folder is deployed only on --platform local or openwhisk; on ${platform} deploy it yourself and name it with action:`,
      );
    }
    if (f.source.kind === 'action' && platform === 'local') {
      throw new FaasloadError(
        'E_USAGE',
        `function ${f.name}: action: names a function already deployed on a real platform; the embedded one starts empty (use path: or a catalog name)`,
      );
    }
  }
}

/**
 * A new generation's state (its perf columns: the events counted now), or the one to resume; a
 * resume that counts other perf events than the folder's columns is refused.
 */
async function openState(o: GenerateOptions, planSha256: string, perfEvents: string[]): Promise<State> {
  const path = join(o.out, STATE_FILE);
  if (!o.resume) {
    if (existsSync(o.out) && (await readdir(o.out)).length > 0) {
      throw new FaasloadError(
        'E_USAGE',
        `--out ${o.out}: the folder is not empty; use --resume to continue it, or pick a new one`,
      );
    }
    await mkdir(o.out, { recursive: true });
    return { planSha256, ...(perfEvents.length > 0 ? { perfEvents } : {}), sessions: [] };
  }
  let state: State;
  try {
    state = JSON.parse(await readFile(path, 'utf8')) as State;
  } catch (e) {
    throw new FaasloadError('E_USAGE', `--resume: ${path}: no generation to resume here (${messageOf(e)})`);
  }
  if (state.planSha256 !== planSha256) {
    throw new FaasloadError(
      'E_USAGE',
      `--resume: ${o.planPath} is not the plan ${o.out} was started with (its sha256 differs)`,
    );
  }
  const columns = state.perfEvents ?? [];
  if (perfEvents.length > 0 && perfEvents.join(',') !== columns.join(',')) {
    throw new FaasloadError(
      'E_USAGE',
      `--resume: ${o.out}'s executions have ${columns.length > 0 ? `perf columns for ${columns.join(',')}` : 'no perf columns'}; resume with ${columns.length > 0 ? `--perf-events ${columns.join(',')}` : 'no --monitor perf'}, or start a new generation`,
    );
  }
  return state;
}

async function saveState(out: string, state: State): Promise<void> {
  await writeFile(join(out, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** Parts a crash left as Arrow streams become Parquet (complete batches kept). */
async function recoverParts(dir: string, columns: readonly ColumnSpec[]): Promise<void> {
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.arrows'))) {
    const base = join(dir, file.slice(0, -'.arrows'.length));
    await arrowsToParquet(`${base}.arrows`, `${base}.parquet`, { columns });
    await rm(`${base}.arrows`);
  }
}

/** The executions that some part already holds. Two parts holding one index is an error. */
async function doneIndexes(dir: string, total: number): Promise<{ has(i: number): boolean; count: number }> {
  const seen = new Uint8Array(total);
  let count = 0;
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.parquet')).sort()) {
    for await (const batch of parquetBatches(join(dir, file), { columns: ['index'] })) {
      const column = batch.getChild('index');
      if (column === null)
        throw new FaasloadError('E_DATASET', `${join(dir, file)}: a part without an index column`);
      for (let i = 0; i < batch.numRows; i++) {
        const index = Number(column.get(i));
        if (index >= total || seen[index]) {
          throw new FaasloadError(
            'E_DATASET',
            `${join(dir, file)}: execution ${index} is ${index >= total ? 'not in the plan' : 'there twice'}`,
          );
        }
        seen[index] = 1;
        count++;
      }
    }
  }
  return { has: (i) => seen[i] === 1, count };
}
