import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { readManifestFile } from '../dataset/manifest-read.js';
import { parquetBatches, parquetFacts } from '../dataset/parquet-read.js';
import { FaasloadError } from '../errors.js';

/**
 * A run folder opened for the report: the manifest as JSON, and each table as its Parquet
 * footer (rows, columns). Tables are never read whole: the report streams them batch by batch
 * (scan), so its memory does not grow with the run (see run-aggregate.ts).
 */
export interface RunTable {
  readonly path: string;
  readonly rows: number;
  has(name: string): boolean;
  /** The table's batches with these of its columns (those it has), in file order. */
  scan(columns: readonly string[]): AsyncIterable<RecordBatch>;
}

export interface RunData {
  dir: string;
  /** How the run is named in titles and legends: its run id, or the folder's name. */
  label: string;
  manifest: RunManifestFacts;
  invocations: RunTable;
  /** Monitor tables, when the monitors ran (issue: per-instance and host samples). */
  containerSamples?: RunTable;
  processSamples?: RunTable;
  hostSamples?: RunTable;
}

/**
 * The manifest fields the report shows (the rest stays in manifest.json), each optional: the
 * report draws what a run folder has.
 */
export interface RunManifestFacts {
  runId?: string;
  status?: string;
  startedAt?: string;
  endedAt?: string;
  commandLine?: readonly string[];
  platform?: { kind?: string; address?: string };
  trace?: { format?: string; files?: { path: string }[] };
  host?: { cpus?: number; cpuModel?: string; memoryBytes?: number; os?: string; node?: string };
  warnings?: readonly string[];
}

/** Rows per batch read: a few MB of columns at a time. */
const SCAN_BATCH_ROWS = 65_536;

class ParquetRunTable implements RunTable {
  constructor(
    readonly path: string,
    readonly rows: number,
    private readonly columns: ReadonlySet<string>,
  ) {}
  has(name: string): boolean {
    return this.columns.has(name);
  }
  async *scan(columns: readonly string[]): AsyncIterable<RecordBatch> {
    const wanted = columns.filter((c) => this.columns.has(c));
    try {
      yield* parquetBatches(this.path, { batchRows: SCAN_BATCH_ROWS, columns: wanted });
    } catch (err) {
      if (err instanceof FaasloadError) throw err;
      throw new FaasloadError('E_DATASET', `${this.path}: not a readable Parquet file (${String(err)})`, {
        cause: err,
      });
    }
  }
}

/** Opens one Parquet file (its footer only); a missing one is undefined, an unreadable one an E_DATASET error. */
export async function readRunTable(path: string): Promise<RunTable | undefined> {
  if (!existsSync(path)) return undefined;
  const facts = await parquetFacts(path);
  return new ParquetRunTable(path, facts.rows, new Set(facts.schema.fields.map((f) => f.name)));
}

/**
 * Reads a run folder: manifest.json (readManifestFile) and invocations.parquet are required
 * (E_USAGE naming the folder when it is not a run folder, E_DATASET for a malformed file); monitor tables are read
 * when present.
 */
export async function loadRun(dir: string, label?: string): Promise<RunData> {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(dir)) throw new FaasloadError('E_USAGE', `${dir}: no such run folder`);
  if (!existsSync(manifestPath))
    throw new FaasloadError('E_USAGE', `${dir}: not a run folder (no manifest.json)`);
  const manifest: RunManifestFacts = await readManifestFile(dir);
  const invocationsPath = join(dir, 'invocations.parquet');
  const invocations = await readRunTable(invocationsPath);
  if (!invocations)
    throw new FaasloadError(
      'E_DATASET',
      `${invocationsPath}: missing (a run still streaming, or a crashed one: recover it first)`,
    );
  for (const col of ['scheduled_at', 'sent_at', 'ended_at', 'outcome', 'target']) {
    if (!invocations.has(col)) throw new FaasloadError('E_DATASET', `${invocationsPath}: no column '${col}'`);
  }
  const optional = async (name: string) => readRunTable(join(dir, `${name}.parquet`));
  const data: RunData = {
    dir,
    label: label ?? manifest.runId ?? basename(resolve(dir)),
    manifest,
    invocations,
  };
  const containerSamples = await optional('container_samples');
  const processSamples = await optional('process_samples');
  const hostSamples = await optional('host_samples');
  if (containerSamples) data.containerSamples = containerSamples;
  if (processSamples) data.processSamples = processSamples;
  if (hostSamples) data.hostSamples = hostSamples;
  return data;
}
