/**
 * A session's monitors (src/monitor), their tables in monitors/session-NNNN/ of the generation
 * folder; with perf, each execution's counters, into invocation_counters and the part's rows.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { INVOCATION_COUNTERS_COLUMNS, PERF_SCHEMA_VERSION } from '../dataset/perf-tables.js';
import { TableWriter } from '../dataset/table-writer.js';
import { joinCounters } from '../monitor/perf-invocations.js';
import type { ActivationWindow } from '../monitor/perf-join.js';
import { type RunningMonitors, startMonitors } from '../monitor/run.js';
import { stopMonitors } from '../run/steps/monitors.js';
import { messageOf } from '../util/message.js';
import { type CountersByActivation, perfColumnName } from './counters.js';
import type { Session } from './session.js';

/** The session's monitors started, when it has any. */
export async function startSessionMonitors(out: string, s: Session): Promise<RunningMonitors | undefined> {
  if (s.monitorConfig.monitors.length === 0) return undefined;
  const dir = join(out, 'monitors', s.sessionName);
  await mkdir(dir, { recursive: true });
  return startMonitors(s.monitorConfig, { dir, runId: s.sessionName, log: () => undefined });
}

/**
 * Stops the session's monitors: their tables (relative to the generation folder) and, with perf,
 * each execution's counters by activation. Never throws: a failure is a warning.
 */
export async function stopSessionMonitors(
  out: string,
  s: Session,
  monitors: RunningMonitors,
  windows: readonly ActivationWindow[],
  warnings: string[],
): Promise<{ monitorTables: string[]; counters: CountersByActivation }> {
  const counters: CountersByActivation = new Map();
  const monitorTables: string[] = [];
  const stopped = await stopMonitors(monitors, warnings);
  if (!stopped) return { monitorTables, counters };
  const { tables } = stopped;
  for (const t of Object.values(tables)) monitorTables.push(join('monitors', s.sessionName, t.file));
  if (tables.counters) {
    const dir = join(out, 'monitors', s.sessionName);
    const file = await executionCounters(dir, s.sessionName, windows, counters, warnings);
    if (file) monitorTables.push(join('monitors', s.sessionName, file));
  }
  return { monitorTables, counters };
}

/**
 * With the perf monitor: each execution's counters (the deltas of its instance's counters over
 * its execution window, monitor/perf-join.ts) as invocation_counters.parquet beside counters
 * (the series' detail: scaled, concurrent, window), and into `counters` by activation id and
 * perf_<event> column for the executions rows. Never throws: a failure is a warning.
 */
async function executionCounters(
  dir: string,
  sessionName: string,
  windows: readonly ActivationWindow[],
  counters: CountersByActivation,
  warnings: string[],
): Promise<string | undefined> {
  const writer = new TableWriter({
    dir,
    name: 'invocation_counters',
    columns: INVOCATION_COUNTERS_COLUMNS,
    metadata: { 'faasload.schema_version': PERF_SCHEMA_VERSION, 'faasload.run_id': sessionName },
  });
  try {
    const counts = await joinCounters(join(dir, 'counters.parquet'), windows, (row) => {
      writer.add([{ ...row }]);
      let mine = counters.get(row.activation_id);
      if (!mine) {
        mine = new Map();
        counters.set(row.activation_id, mine);
      }
      mine.set(perfColumnName(row.event), row.value);
    });
    if (counts.uncovered > 0) {
      warnings.push(
        `invocation_counters: ${counts.uncovered} (execution, event) pairs left out: their window was not wholly counted`,
      );
    }
    return (await writer.close()).file;
  } catch (e) {
    await writer.close().catch(() => undefined);
    warnings.push(`invocation_counters not written: ${messageOf(e)}`);
    return undefined;
  }
}
