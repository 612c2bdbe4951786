/**
 * invocation_counters from a run folder: once invocations.parquet and counters.parquet are
 * written (after the monitors stopped and the invocations table closed), each activation's
 * counter deltas over its execution window (perf-join.ts), into invocation_counters.parquet.
 *
 * Bounded memory: the windows of all invocations (a few numbers each) and one Parquet batch of
 * counters at a time. Called by the replay when the perf monitor ran; also usable on any run
 * folder that has both tables (e.g. one copied off a cluster).
 */
import { existsSync, openAsBlob } from 'node:fs';
import { join } from 'node:path';
import { type RecordBatch, tableFromIPC, type Vector } from 'apache-arrow';
import { ParquetFile, type RecordBatch as WasmRecordBatch } from 'parquet-wasm';
import type { Manifest, TableFact } from '../dataset/manifest.js';
import { INVOCATION_COUNTERS_COLUMNS, PERF_SCHEMA_VERSION } from '../dataset/perf-tables.js';
import { TableWriter } from '../dataset/table-writer.js';
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import { chunksOf } from '../util/web-stream.js';
import {
  type ActivationWindow,
  activationWindow,
  CounterJoin,
  type InvocationCounterRow,
  type JoinCounts,
} from './perf-join.js';

/** The batches of a Parquet file with only the columns asked, `batchRows` at a time. */
async function* batches(path: string, columns: string[], batchRows = 65_536): AsyncGenerator<RecordBatch> {
  let file: ParquetFile;
  try {
    file = await ParquetFile.fromFile(await openAsBlob(path));
  } catch (e) {
    throw new FaasloadError('E_DATASET', `${path}: not a readable Parquet file (${messageOf(e)})`, {
      cause: e,
    });
  }
  try {
    const stream = await file.stream({ batchSize: batchRows, columns });
    for await (const b of chunksOf<WasmRecordBatch>(stream)) yield* tableFromIPC(b.intoIPCStream()).batches;
  } finally {
    file.free();
  }
}

function column(batch: RecordBatch, name: string, path: string): Vector {
  const c = batch.getChild(name);
  if (!c) throw new FaasloadError('E_DATASET', `${path}: no column ${name}`);
  return c;
}

/** Timestamps come back as float milliseconds: epoch µs, or null. */
const us = (v: unknown): number | null => (typeof v === 'number' ? Math.round(v * 1000) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The execution windows of a run's invocations (see activationWindow). */
export async function readWindows(invocationsPath: string): Promise<ActivationWindow[]> {
  const out: ActivationWindow[] = [];
  const names = ['activation_id', 'instance_id', 'target', 'sent_at', 'ended_at', 'exec_ms'];
  for await (const b of batches(invocationsPath, names)) {
    const [act, inst, target, sent, ended, exec] = names.map((n) => column(b, n, invocationsPath));
    for (let i = 0; i < b.numRows; i++) {
      const w = activationWindow({
        activationId: str(act!.get(i)),
        instanceId: str(inst!.get(i)),
        target: str(target!.get(i)),
        sentUs: us(sent!.get(i)),
        endedUs: us(ended!.get(i)),
        execMs: num(exec!.get(i)),
      });
      if (w) out.push(w);
    }
  }
  return out;
}

/** Feeds a counters Parquet file through CounterJoin for these windows; rows go to emit. */
export async function joinCounters(
  countersPath: string,
  windows: Iterable<ActivationWindow>,
  emit: (row: InvocationCounterRow) => void,
): Promise<JoinCounts> {
  const joiner = new CounterJoin(windows, emit);
  const names = ['time', 'interval_us', 'instance_id', 'event', 'unit', 'value', 'scaled'];
  for await (const b of batches(countersPath, names)) {
    const [time, interval, inst, event, unit, value, scaled] = names.map((n) => column(b, n, countersPath));
    for (let i = 0; i < b.numRows; i++) {
      joiner.add({
        timeUs: us(time!.get(i)) ?? 0,
        intervalUs: Number(interval!.get(i)),
        instanceId: String(inst!.get(i)),
        event: String(event!.get(i)),
        unit: String(unit!.get(i) ?? ''),
        value: num(value!.get(i)),
        scaled: scaled!.get(i) === true,
      });
    }
  }
  return joiner.finish();
}

export interface InvocationCountersResult {
  table: TableFact;
  counts: JoinCounts;
}

/**
 * Writes <dir>/invocation_counters.parquet from <dir>/invocations.parquet and
 * <dir>/counters.parquet; E_DATASET naming the file when one is missing or unreadable.
 */
export async function writeInvocationCounters(dir: string, runId: string): Promise<InvocationCountersResult> {
  const invocationsPath = join(dir, 'invocations.parquet');
  const countersPath = join(dir, 'counters.parquet');
  for (const p of [invocationsPath, countersPath])
    if (!existsSync(p)) throw new FaasloadError('E_DATASET', `invocation_counters: ${p} is missing`);
  const windows = await readWindows(invocationsPath);
  const writer = new TableWriter({
    dir,
    name: 'invocation_counters',
    columns: INVOCATION_COUNTERS_COLUMNS,
    metadata: { 'faasload.schema_version': PERF_SCHEMA_VERSION, 'faasload.run_id': runId },
  });
  let counts: JoinCounts;
  try {
    counts = await joinCounters(countersPath, windows, (row) => writer.add([{ ...row }]));
  } catch (e) {
    await writer.close().catch(() => undefined);
    throw e;
  }
  const t = await writer.close();
  return {
    table: {
      file: t.file,
      rows: t.rows,
      schemaVersion: PERF_SCHEMA_VERSION,
      columns: INVOCATION_COUNTERS_COLUMNS,
    },
    counts,
  };
}

/**
 * The replay's step after its invocations table is closed, when the perf monitor ran: writes
 * invocation_counters into the run folder and the manifest (its table, and the join's counts
 * in the perf monitor's summary). Never throws: a failure is a warning, the run keeps the rest.
 */
export async function addInvocationCounters(
  dir: string,
  runId: string,
  manifest: Pick<Manifest, 'tables' | 'monitors'>,
  warnings: string[],
): Promise<void> {
  if (!manifest.tables.counters) return; // the perf monitor did not run or wrote nothing
  try {
    const { table, counts } = await writeInvocationCounters(dir, runId);
    manifest.tables.invocation_counters = table;
    const perf = manifest.monitors?.monitors.find((m) => m.name === 'perf') as
      | (Record<string, unknown> & { perf?: Record<string, unknown> })
      | undefined;
    if (perf?.perf) perf.perf.invocationCounters = counts;
    if (counts.uncovered > 0)
      warnings.push(
        `invocation_counters: ${counts.uncovered} (activation, event) pairs left out: their window was not wholly counted (instance counted late or killed)`,
      );
  } catch (e) {
    warnings.push(`invocation_counters not written: ${messageOf(e)}`);
  }
}
