import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { FaasloadError } from '../errors.js';

/**
 * A run folder read for the report: the manifest as JSON, and each table's columns on demand.
 * Tables are read whole into memory (Arrow), so a report of a run of millions of invocations
 * takes hundreds of MB; the figures keep only what they draw.
 */
export interface RunTable {
  readonly rows: number;
  has(name: string): boolean;
  /** A numeric, timestamp (µs since the epoch) or boolean (1/0) column; null cells are NaN. Shared: do not modify. */
  num(name: string): Float64Array;
  /** A text column; null cells are null. */
  str(name: string): (string | null)[];
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

/** The manifest fields the report shows; the rest stays in manifest.json. */
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

class ArrowRunTable implements RunTable {
  /** Columns already converted: figures ask for the same ones several times. */
  private readonly nums = new Map<string, Float64Array>();
  private readonly strs = new Map<string, (string | null)[]>();
  constructor(
    private readonly table: Table,
    private readonly file: string,
  ) {}
  get rows(): number {
    return this.table.numRows;
  }
  has(name: string): boolean {
    return this.table.getChild(name) !== null;
  }
  private child(name: string) {
    const c = this.table.getChild(name);
    if (c === null) throw new FaasloadError('E_DATASET', `${this.file}: no column '${name}'`);
    return c;
  }
  num(name: string): Float64Array {
    const cached = this.nums.get(name);
    if (cached) return cached;
    const c = this.child(name);
    const out = new Float64Array(c.length);
    const values = c.toArray() as ArrayLike<number | bigint | boolean | null>;
    for (let i = 0; i < c.length; i++) {
      const v = values[i];
      out[i] = v === null || v === undefined ? Number.NaN : Number(v);
    }
    if (c.nullCount > 0) for (let i = 0; i < c.length; i++) if (!c.isValid(i)) out[i] = Number.NaN;
    this.nums.set(name, out);
    return out;
  }
  str(name: string): (string | null)[] {
    const cached = this.strs.get(name);
    if (cached) return cached;
    const c = this.child(name);
    const values = c.toArray() as ArrayLike<unknown>;
    const out: (string | null)[] = new Array(c.length);
    for (let i = 0; i < c.length; i++) {
      const v = values[i];
      out[i] = v === null || v === undefined ? null : String(v);
    }
    if (c.nullCount > 0) for (let i = 0; i < c.length; i++) if (!c.isValid(i)) out[i] = null;
    this.strs.set(name, out);
    return out;
  }
}

/** Reads one Parquet file; a missing one is undefined, an unreadable one an E_DATASET error. */
export async function readRunTable(path: string): Promise<RunTable | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return new ArrowRunTable(tableFromIPC(readParquet(await readFile(path)).intoIPCStream()), path);
  } catch (err) {
    throw new FaasloadError('E_DATASET', `${path}: not a readable Parquet file (${String(err)})`, {
      cause: err,
    });
  }
}

/**
 * Reads a run folder: manifest.json and invocations.parquet are required (E_USAGE naming the
 * folder when it is not a run folder, E_DATASET for a malformed file); monitor tables are read
 * when present.
 */
export async function loadRun(dir: string, label?: string): Promise<RunData> {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(dir)) throw new FaasloadError('E_USAGE', `${dir}: no such run folder`);
  if (!existsSync(manifestPath))
    throw new FaasloadError('E_USAGE', `${dir}: not a run folder (no manifest.json)`);
  let manifest: RunManifestFacts;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as RunManifestFacts;
  } catch (err) {
    throw new FaasloadError('E_DATASET', `${manifestPath}: not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
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
