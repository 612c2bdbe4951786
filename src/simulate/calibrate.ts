import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import type { ColumnSpec } from '../dataset/columns.js';
import { FaasloadError } from '../errors.js';
import { distribution } from '../report/distribution.js';
import type { TracePlanOptions } from '../run/load-plan.js';

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
  /** The run's cap on instances (all functions together): the model has none across functions. */
  maxInstances?: number;
  /** What to re-plan: the run's trace and resolved planning options. */
  plan: TracePlanOptions;
  measuredInvocations: number;
  measuredColdStarts: number;
  /** Per function id: [invocations answered, cold starts]. */
  perFunction: Map<string, [number, number]>;
  warnings: string[];
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
  const manifestPath = join(dir, 'manifest.json');
  const parquetPath = join(dir, 'invocations.parquet');
  let manifest: { config?: Record<string, unknown> };
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (err) {
    throw new FaasloadError(
      'E_USAGE',
      `--calibrate ${dir}: cannot read ${manifestPath} (${(err as Error).message}); name a replay's run folder`,
      { cause: err },
    );
  }
  let table: Table;
  try {
    table = tableFromIPC(readParquet(await readFile(parquetPath)).intoIPCStream());
  } catch (err) {
    throw new FaasloadError(
      'E_USAGE',
      `--calibrate ${dir}: cannot read ${parquetPath} (${(err as Error).message})`,
      { cause: err },
    );
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

  const perFunction = new Map<string, [number, number]>();
  const inits: number[] = [];
  const overheads: number[] = [];
  let answered = 0;
  let colds = 0;
  for (let r = 0; r < table.numRows; r++) {
    const cold = coldCol.get(r) as boolean | null;
    if (cold === null) continue;
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

  const config = manifest.config ?? {};
  if (typeof config.trace !== 'string' || typeof config.plan !== 'object' || config.plan === null) {
    throw new FaasloadError('E_USAGE', `--calibrate ${dir}: its manifest has no trace and plan to re-plan`);
  }
  const plan: TracePlanOptions = {
    ...(config.plan as Omit<TracePlanOptions, 'trace'>),
    trace: config.trace,
  };
  // The manifest's reading options, as the run resolved them (untyped until the manifest is).
  const reading = ['format', 'days', 'csv', 'onDuplicate', 'shard'].filter((k) => config[k] !== undefined);
  Object.assign(plan, Object.fromEntries(reading.map((k) => [k, config[k]])));
  const out: RunCalibration = {
    run: dir,
    coldStartMs: coldStartMs ?? Number.NaN,
    execOverheadMs: Math.max(0, overhead),
    plan,
    measuredInvocations: answered,
    measuredColdStarts: colds,
    perFunction,
    warnings,
  };
  if (typeof config.keepAliveMs === 'number') out.keepAliveMs = config.keepAliveMs;
  if (typeof config.maxInstances === 'number') out.maxInstances = config.maxInstances;
  return out;
}
