/**
 * The perf counters of each execution in its executions row: one nullable float64 column per
 * event chosen for the run (`perf_<event>`, known before the run, so the schema is fixed when the
 * table is opened). The counts are known only once the perf monitor has stopped (its counters
 * table is written then), so a session writes its rows with these columns null, then, after the
 * join (monitor/perf-join.ts), writes its part again with them filled (fillCounters). A session
 * killed before that keeps null counters in its part; every other column is unaffected.
 */
import { rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Data, RecordBatch } from 'apache-arrow';
import type { ColumnSpec } from '../dataset/columns.js';
import { parquetBatches } from '../dataset/parquet-read.js';
import { type Row, TableWriter } from '../dataset/table-writer.js';
import { FaasloadError } from '../errors.js';
import { splitEventList } from '../monitor/perf-csv.js';

/** Counter value per perf column name, per activation id. */
export type CountersByActivation = Map<string, Map<string, number>>;

/** `perf_` + the event in lower case, every run of other characters than [a-z0-9] as one `_`. */
export function perfColumnName(event: string): string {
  const slug = event
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `perf_${slug}`;
}

/**
 * One column per event (a list as --perf-events takes it); E_USAGE when two events would share a
 * column name (e.g. `cycles:u` and `cycles-u`).
 */
export function perfColumns(events: readonly string[]): ColumnSpec[] {
  const byName = new Map<string, string>();
  for (const event of splitEventList(events)) {
    const name = perfColumnName(event);
    const other = byName.get(name);
    if (other !== undefined && other !== event) {
      throw new FaasloadError(
        'E_USAGE',
        `--perf-events: '${other}' and '${event}' would both be the executions column ${name}; keep one`,
      );
    }
    byName.set(name, event);
  }
  return [...byName].map(([name, event]) => ({
    name,
    kind: 'float64',
    nullable: true,
    doc: `perf event ${event}: its count over the execution (perf's unit, e.g. msec for task-clock; scaled for multiplexing), as in invocation_counters; null where the machine lacks the event or the execution has no counted window`,
  }));
}

/** A cell of row r as a writer takes it: int64 and timestamps (microseconds) as numbers. */
function cellOf(batch: RecordBatch, column: ColumnSpec, r: number): Row[string] {
  const vector = batch.getChild(column.name);
  if (!vector) return null;
  const data = vector.data[0] as Data;
  if (!data.getValid(r)) return null;
  if (column.kind === 'int64' || column.kind === 'timestamp_us') {
    const values: unknown = data.values;
    const cell = values instanceof BigInt64Array ? values[data.offset + r] : undefined;
    return cell === undefined ? null : Number(cell);
  }
  return vector.get(r) as Row[string];
}

/**
 * Writes the part at `partPath` again with its perf columns filled from `counters` (by the row's
 * activation_id), through `scratchDir` (a folder that --resume does not scan), then moves it over
 * the part. Returns the rows that got counters.
 */
export async function fillCounters(
  partPath: string,
  scratchDir: string,
  columns: readonly ColumnSpec[],
  metadata: Record<string, string>,
  counters: CountersByActivation,
): Promise<number> {
  const name = basename(partPath, '.parquet');
  const writer = new TableWriter({ dir: scratchDir, name, columns, metadata, whenBehind: 'wait' });
  let filled = 0;
  try {
    for await (const batch of parquetBatches(partPath)) {
      for (let r = 0; r < batch.numRows; r++) {
        const row: Row = {};
        for (const c of columns) row[c.name] = cellOf(batch, c, r);
        const mine = typeof row.activation_id === 'string' ? counters.get(row.activation_id) : undefined;
        if (mine) {
          for (const [column, value] of mine) if (column in row) row[column] = value;
          filled++;
        }
        writer.add([row]);
        await writer.writable();
      }
    }
  } catch (e) {
    await writer.close().catch(() => undefined);
    throw e;
  }
  await writer.close();
  await rename(join(scratchDir, `${name}.parquet`), partPath);
  return filled;
}
