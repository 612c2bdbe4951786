import type { TableFact } from '../dataset/manifest.js';
import { MONITOR_SCHEMA_VERSION, MONITOR_TABLES, type MonitorTableName } from '../dataset/monitor-tables.js';
import { TableWriter } from '../dataset/table-writer.js';
import { threadCpuS } from './procfs.js';
import type { MonitorContext } from './types.js';

/** Opens one monitor table in the run folder (streamed as Arrow IPC, Parquet at close). */
export function openTable(context: MonitorContext, name: MonitorTableName): TableWriter {
  return new TableWriter({
    dir: context.dir,
    name,
    columns: MONITOR_TABLES[name],
    metadata: { 'faasload.schema_version': MONITOR_SCHEMA_VERSION, 'faasload.run_id': context.runId },
  });
}

/**
 * CPU seconds this thread spent closing tables (the Arrow-to-Parquet conversion), a one-off cost
 * at the end that the monitors' sampling cost leaves out.
 */
export const closing = { cpuS: 0 };

/** Closes a monitor table into its manifest entry. */
export async function closeTable(writer: TableWriter, name: MonitorTableName): Promise<TableFact> {
  const before = threadCpuS();
  const t = await writer.close().finally(() => {
    const after = threadCpuS();
    if (before !== null && after !== null) closing.cpuS += after - before;
  });
  return { file: t.file, rows: t.rows, schemaVersion: MONITOR_SCHEMA_VERSION, columns: MONITOR_TABLES[name] };
}
