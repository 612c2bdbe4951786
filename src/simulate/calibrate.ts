import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import type { ColumnSpec } from '../dataset/columns.js';
import type { AnyManifest, Manifest } from '../dataset/manifest.js';
import { readManifestFile } from '../dataset/manifest-read.js';
import { DEFAULT_MEMORY_CLASSES_MB } from '../embedded/local/capacity-rules.js';
import {
  defaultMaxStarting,
  defaultPoolMemoryMb,
  LOCAL_PLATFORM_DEFAULTS,
} from '../embedded/local/options.js';
import { FaasloadError } from '../errors.js';
import { distribution } from '../report/distribution.js';
import type { TracePlanOptions } from '../run/load-plan.js';
import { definedOnly } from '../util/defined.js';
import { messageOf } from '../util/message.js';
import type { MeasuredTiming } from './platform-model.js';
import { untakenStartsMs } from './untaken-starts.js';

/**
 * Calibration from a real run: the cold-start cost (median init_ms of its cold starts), the
 * execution overhead (median exec_ms - requested_duration_ms), its keep-alive and the plan it
 * fired (from its manifest), and its measured cold starts per function, to compare with the
 * simulation of the same plan. Only rows the platform answered count (cold_start not null).
 */
export interface RunCalibration {
  run: string;
  coldStartMs: number;
  execOverheadMs: number;
  /** The run's platform keep-alive, if its manifest has one. */
  keepAliveMs?: number;
  /** The run's cap on instances (all functions together). */
  maxInstances?: number;
  /** The embedded platform's capacity rules as the run had them (a run on the local platform). */
  capacity?: RunCapacity;
  /** What to re-plan: the run's trace and resolved planning options. */
  plan: TracePlanOptions;
  measuredInvocations: number;
  measuredColdStarts: number;
  /** Per function id: [invocations answered, cold starts]. */
  perFunction: Map<string, [number, number]>;
  /** Each invocation's measured timing, by seq (the plan position of an unsharded run). */
  measured: MeasuredTiming;
  warnings: string[];
}

/** The embedded platform's capacity options of a run, defaults resolved as the run resolved them. */
export interface RunCapacity {
  runtime: 'process' | 'docker';
  memoryClassesMb: number[];
  poolMemoryMb: number;
  maxStarting: number;
  maxInstances: number;
  /** How long an invocation could wait for an instance (the run's invocation timeout). */
  waitTimeoutMs: number;
}

export const CALIBRATION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'function', kind: 'utf8', nullable: false, doc: "the trace's function id" },
  { name: 'measured_invocations', kind: 'int64', nullable: false, doc: 'answered invocations in the run' },
  {
    name: 'measured_cold_starts',
    kind: 'int64',
    nullable: false,
    doc: 'of which the platform reported cold',
  },
  { name: 'measured_share', kind: 'float64', nullable: true, doc: 'measured cold-start share' },
  { name: 'simulated_invocations', kind: 'int64', nullable: false, doc: 'invocations in the simulation' },
  { name: 'simulated_cold_starts', kind: 'int64', nullable: false, doc: 'cold starts in the simulation' },
  { name: 'simulated_share', kind: 'float64', nullable: true, doc: 'simulated cold-start share' },
];

export async function readRunCalibration(dir: string): Promise<RunCalibration> {
  const parquetPath = join(dir, 'invocations.parquet');
  const manifest = await replayManifest(dir);
  let table: Table;
  try {
    table = tableFromIPC(readParquet(await readFile(parquetPath)).intoIPCStream());
  } catch (err) {
    throw new FaasloadError('E_USAGE', `--calibrate ${dir}: cannot read ${parquetPath} (${messageOf(err)})`, {
      cause: err,
    });
  }
  const column = (name: string) => {
    const c = table.getChild(name);
    if (!c) throw new FaasloadError('E_USAGE', `--calibrate ${dir}: ${parquetPath} has no column ${name}`);
    return c;
  };
  const fnCol = column('function');
  const coldCol = column('cold_start');
  const initCol = column('init_ms');
  const execCol = column('exec_ms');
  const reqCol = column('requested_duration_ms');
  const seqCol = column('seq');
  const latenessCol = column('lateness_us');
  const measured: MeasuredTiming = {
    latenessUs: new Float64Array(table.numRows).fill(Number.NaN),
    execMs: new Float64Array(table.numRows).fill(Number.NaN),
    initMs: new Float64Array(table.numRows).fill(Number.NaN),
  };

  const perFunction = new Map<string, [number, number]>();
  const inits: number[] = [];
  const overheads: number[] = [];
  let answered = 0;
  let colds = 0;
  for (let r = 0; r < table.numRows; r++) {
    const cold = coldCol.get(r) as boolean | null;
    const seq = Number(seqCol.get(r) as bigint | number);
    if (cold === null) continue;
    if (seq >= 0 && seq < table.numRows) {
      const late = latenessCol.get(r) as bigint | number | null;
      if (late !== null) measured.latenessUs[seq] = Number(late);
      const exec = execCol.get(r) as number | null;
      if (exec !== null) measured.execMs[seq] = exec;
      const init = initCol.get(r) as number | null;
      if (cold && init !== null) measured.initMs[seq] = init;
    }
    const id = String(fnCol.get(r));
    const entry = perFunction.get(id) ?? [0, 0];
    entry[0]++;
    answered++;
    if (cold) {
      entry[1]++;
      colds++;
      const init = initCol.get(r) as number | null;
      if (init !== null) inits.push(init);
    }
    perFunction.set(id, entry);
    const exec = execCol.get(r) as number | null;
    const req = reqCol.get(r) as number | null;
    if (exec !== null && req !== null) overheads.push(exec - req);
  }
  // Starts no invocation waited out: the invocation that asked for one gets its length.
  for (const [seq, ms] of await untakenStartsMs(dir, table)) {
    if (seq >= 0 && seq < table.numRows && Number.isNaN(measured.initMs[seq] ?? 0)) measured.initMs[seq] = ms;
  }
  if (answered === 0) {
    throw new FaasloadError(
      'E_USAGE',
      `--calibrate ${dir}: no invocation of the run was answered; nothing to calibrate on`,
    );
  }
  const warnings: string[] = [];
  const coldStartMs = distribution(Float64Array.from(inits))?.p50;
  if (coldStartMs === undefined)
    warnings.push('the run reports no init_ms: the default cold-start cost is kept');
  const overhead = distribution(Float64Array.from(overheads))?.p50 ?? 0;

  const config = manifest.config;
  if (typeof config.trace !== 'string' || typeof config.plan !== 'object' || config.plan === null) {
    throw new FaasloadError('E_USAGE', `--calibrate ${dir}: its manifest has no trace and plan to re-plan`);
  }
  // The reading options, as the run resolved them.
  const { trace, format, days, csv, onDuplicate, shard } = config;
  const plan: TracePlanOptions = {
    ...config.plan,
    ...definedOnly({ format, days, csv, onDuplicate, shard }),
    trace,
  };
  const out: RunCalibration = {
    run: dir,
    coldStartMs: coldStartMs ?? Number.NaN,
    execOverheadMs: Math.max(0, overhead),
    plan,
    measuredInvocations: answered,
    measuredColdStarts: colds,
    perFunction,
    measured,
    warnings,
  };
  if (config.keepAliveMs !== undefined) out.keepAliveMs = config.keepAliveMs;
  if (config.maxInstances !== undefined) out.maxInstances = config.maxInstances;
  const capacity = runCapacity(manifest, warnings);
  if (capacity) out.capacity = capacity;
  return out;
}

/** The manifest of the run folder `dir`, a replay's (E_USAGE naming the file otherwise). */
async function replayManifest(dir: string): Promise<Manifest<'replay'>> {
  const path = join(dir, 'manifest.json');
  let manifest: AnyManifest;
  try {
    manifest = await readManifestFile(dir);
  } catch (err) {
    throw new FaasloadError(
      'E_USAGE',
      `--calibrate ${dir}: cannot read ${path} (${messageOf(err)}); name a replay's run folder`,
      { cause: err },
    );
  }
  if (manifest.command !== 'replay') {
    throw new FaasloadError(
      'E_USAGE',
      `--calibrate ${dir}: ${path} is the manifest of a ${manifest.command}; name a replay's run folder`,
    );
  }
  return manifest;
}

/**
 * The capacity options of a run on the embedded platform. Options left at their defaults are not
 * in the manifest: they are resolved from the run's host facts as the platform resolved them
 * (options.ts), not from this machine's.
 */
function runCapacity(manifest: Manifest<'replay'>, warnings: string[]): RunCapacity | undefined {
  const config = manifest.config;
  if (manifest.platform.kind !== 'local') return undefined;
  let runtime: RunCapacity['runtime'];
  if (config.runtime === 'docker' || config.runtime === 'process') runtime = config.runtime;
  else {
    // auto: the container monitor follows the docker runtime by default.
    runtime = manifest.monitors?.selected.includes('container') ? 'docker' : 'process';
    warnings.push(`the run's runtime was auto: taken as ${runtime} (from its monitors)`);
  }
  return {
    runtime,
    memoryClassesMb: [...(config.memoryClassesMb ?? DEFAULT_MEMORY_CLASSES_MB)],
    poolMemoryMb: config.poolMemoryMb ?? defaultPoolMemoryMb(manifest.host.memoryBytes),
    maxStarting: config.maxStarting ?? defaultMaxStarting(runtime, manifest.host.cpus),
    maxInstances: config.maxInstances ?? LOCAL_PLATFORM_DEFAULTS.maxInstances,
    waitTimeoutMs: config.invokeTimeoutMs ?? LOCAL_PLATFORM_DEFAULTS.invokeTimeoutMs,
  };
}
