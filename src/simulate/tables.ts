import type { ColumnSpec } from '../dataset/columns.js';
import type { Row } from '../dataset/table-writer.js';
import { distribution } from '../report/distribution.js';
import type { SimulationModel, SimulationUnits } from './model.js';

/**
 * The simulation's tables: column specs (documented in the manifest) and the rows built from
 * finished simulators. Wasted memory time is MB x s of loaded, idle instances.
 */
export const SIM_SCHEMA_VERSION = '1';

export const SIM_INVOCATION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'policy', kind: 'utf8', nullable: false, doc: 'the keep-alive policy simulated' },
  { name: 'seq', kind: 'int64', nullable: false, doc: 'position in the plan, 0-based (as in replay)' },
  { name: 'function', kind: 'utf8', nullable: false, doc: "the trace's function id" },
  { name: 'scheduled_us', kind: 'int64', nullable: false, doc: 'arrival, microseconds from the run start' },
  { name: 'cold_start', kind: 'bool', nullable: false, doc: 'the invocation loaded an instance' },
  {
    name: 'wait_ms',
    kind: 'float64',
    nullable: false,
    doc: 'arrival to execution start, ms: the cold-start cost, or queueing past --max-instances',
  },
  { name: 'exec_ms', kind: 'float64', nullable: false, doc: 'simulated execution time, ms' },
  { name: 'instance_id', kind: 'int64', nullable: false, doc: 'the instance that ran it (per policy)' },
];

export const SIM_FUNCTION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'policy', kind: 'utf8', nullable: false, doc: 'the keep-alive policy simulated' },
  {
    name: 'unit',
    kind: 'utf8',
    nullable: false,
    doc: 'the simulated unit: the function id (--unit function) or the application (--unit app)',
  },
  {
    name: 'app',
    kind: 'utf8',
    nullable: false,
    doc: 'its application (the function id when the trace has none)',
  },
  { name: 'invocations', kind: 'int64', nullable: false, doc: 'invocations simulated' },
  { name: 'cold_starts', kind: 'int64', nullable: false, doc: 'invocations that loaded an instance' },
  {
    name: 'cold_start_share',
    kind: 'float64',
    nullable: true,
    doc: 'cold_starts / invocations (null: none)',
  },
  {
    name: 'wasted_memory_mb_s',
    kind: 'float64',
    nullable: false,
    doc: 'memory of loaded idle instances x time, MB x s, up to the end of the plan',
  },
  {
    name: 'queued_ms',
    kind: 'float64',
    nullable: false,
    doc: 'time spent queueing past --max-instances, ms',
  },
  {
    name: 'instances',
    kind: 'int64',
    nullable: false,
    doc: 'instances created (cold starts on new instances)',
  },
];

export const SIM_APP_COLUMNS: readonly ColumnSpec[] = [
  { name: 'policy', kind: 'utf8', nullable: false, doc: 'the keep-alive policy simulated' },
  {
    name: 'app',
    kind: 'utf8',
    nullable: false,
    doc: 'the application (the function id when the trace has none)',
  },
  { name: 'invocations', kind: 'int64', nullable: false, doc: 'invocations of its functions' },
  { name: 'cold_starts', kind: 'int64', nullable: false, doc: 'of which cold starts' },
  { name: 'cold_start_pct', kind: 'float64', nullable: false, doc: '100 x cold_starts / invocations' },
  { name: 'wasted_memory_mb_s', kind: 'float64', nullable: false, doc: 'MB x s of loaded idle instances' },
];

/** Figure: the CDF of the applications' cold-start percentage, per policy (paper fig. 15a/16a). */
export const SIM_CDF_COLUMNS: readonly ColumnSpec[] = [
  { name: 'policy', kind: 'utf8', nullable: false, doc: 'the keep-alive policy simulated' },
  { name: 'cold_start_pct', kind: 'float64', nullable: false, doc: "an application's cold-start percentage" },
  {
    name: 'apps_fraction',
    kind: 'float64',
    nullable: false,
    doc: 'fraction of the invoked applications with at most that percentage',
  },
];

/** Figure: normalised wasted memory time against the 3rd quartile of app cold starts (fig. 15b/16b). */
export const SIM_POLICY_COLUMNS: readonly ColumnSpec[] = [
  { name: 'policy', kind: 'utf8', nullable: false, doc: 'the keep-alive policy simulated' },
  {
    name: 'keep_alive_s',
    kind: 'float64',
    nullable: true,
    doc: 'fixed keep-alive length, s (null: not fixed)',
  },
  { name: 'invocations', kind: 'int64', nullable: false, doc: 'invocations simulated' },
  { name: 'cold_starts', kind: 'int64', nullable: false, doc: 'of which cold starts' },
  { name: 'cold_start_share', kind: 'float64', nullable: true, doc: 'cold_starts / invocations' },
  {
    name: 'app_cold_start_pct_p75',
    kind: 'float64',
    nullable: true,
    doc: '3rd quartile of the applications\u2019 cold-start percentage (nearest rank)',
  },
  { name: 'wasted_memory_mb_s', kind: 'float64', nullable: false, doc: 'MB x s of loaded idle instances' },
  {
    name: 'wasted_memory_normalized',
    kind: 'float64',
    nullable: true,
    doc: 'wasted_memory_mb_s / that of the policy named in normalized_to',
  },
  {
    name: 'normalized_to',
    kind: 'utf8',
    nullable: false,
    doc: 'the reference policy (fixed:10m if simulated)',
  },
  { name: 'instances', kind: 'int64', nullable: false, doc: 'instances created' },
];

/** Per application of one finished simulator. */
export interface AppStats {
  invocations: Float64Array;
  coldStarts: Float64Array;
  wastedMbUs: Float64Array;
}

export function appStats(sim: SimulationModel, units: SimulationUnits): AppStats {
  const groups = units.groupNames.length;
  const s: AppStats = {
    invocations: new Float64Array(groups),
    coldStarts: new Float64Array(groups),
    wastedMbUs: new Float64Array(groups),
  };
  // Each unit belongs to one group: function units to their app, app units to themselves.
  const groupOfUnit = units.kind === 'app' ? units.groupOf : units.groupOfFunction;
  for (let u = 0; u < units.units; u++) {
    const g = groupOfUnit[u]!;
    s.invocations[g]! += sim.invocations[u]!;
    s.coldStarts[g]! += sim.coldStarts[u]!;
    s.wastedMbUs[g]! += sim.wastedMbUs[u]!;
  }
  return s;
}

export interface PolicySummary {
  policy: string;
  keepAliveS: number | null;
  invocations: number;
  coldStarts: number;
  coldStartShare: number | null;
  appColdStartPctP75: number | null;
  wastedMemoryMbS: number;
  wastedMemoryNormalized: number | null;
  normalizedTo: string;
  instances: number;
  /** The policy's own facts (e.g. how often the hybrid policy fell back). */
  facts?: Record<string, number | string>;
}

const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);

/** One summary per simulator; wasted memory normalised to fixed:10m if simulated, else the first. */
export function policySummaries(
  sims: readonly SimulationModel[],
  apps: readonly AppStats[],
): PolicySummary[] {
  const ref = Math.max(
    0,
    sims.findIndex((s) => s.policy.name === 'fixed:10m'),
  );
  const refWaste = sum(sims[ref]?.wastedMbUs ?? new Float64Array(0));
  return sims.map((sim, i) => {
    const invocations = sum(sim.invocations);
    const coldStarts = sum(sim.coldStarts);
    const waste = sum(sim.wastedMbUs);
    const summary: PolicySummary = {
      policy: sim.policy.name,
      keepAliveS: Number.isFinite(sim.policy.keepAliveUs) ? sim.policy.keepAliveUs! / 1e6 : null,
      invocations,
      coldStarts,
      coldStartShare: invocations > 0 ? coldStarts / invocations : null,
      appColdStartPctP75: distribution(appPercentages(apps[i]!))?.p75 ?? null,
      wastedMemoryMbS: waste / 1e6,
      wastedMemoryNormalized: refWaste > 0 ? waste / refWaste : null,
      normalizedTo: sims[ref]?.policy.name ?? '',
      instances: sum(sim.instancesCreated),
    };
    const facts = sim.state.facts?.();
    if (facts) summary.facts = facts;
    return summary;
  });
}

/** Cold-start percentage of every application that was invoked. */
export function appPercentages(a: AppStats): Float64Array {
  const out: number[] = [];
  for (let g = 0; g < a.invocations.length; g++) {
    if (a.invocations[g]! > 0) out.push((100 * a.coldStarts[g]!) / a.invocations[g]!);
  }
  return Float64Array.from(out);
}

/** The empirical CDF: one point per distinct value (value, fraction of values <= it). */
export function cdfPoints(values: Float64Array): [number, number][] {
  const v = Float64Array.from(values).sort();
  const points: [number, number][] = [];
  for (let i = 0; i < v.length; i++) {
    if (i + 1 < v.length && v[i + 1] === v[i]) continue;
    points.push([v[i]!, (i + 1) / v.length]);
  }
  return points;
}

export function functionRows(
  sim: SimulationModel,
  units: SimulationUnits,
  unitNames: readonly string[],
): Row[] {
  const groupOfUnit = units.kind === 'app' ? units.groupOf : units.groupOfFunction;
  const rows: Row[] = [];
  for (let u = 0; u < units.units; u++) {
    const n = sim.invocations[u]!;
    rows.push({
      policy: sim.policy.name,
      unit: unitNames[u]!,
      app: units.groupNames[groupOfUnit[u]!]!,
      invocations: n,
      cold_starts: sim.coldStarts[u]!,
      cold_start_share: n > 0 ? sim.coldStarts[u]! / n : null,
      wasted_memory_mb_s: sim.wastedMbUs[u]! / 1e6,
      queued_ms: sim.queuedUs[u]! / 1e3,
      instances: sim.instancesCreated[u]!,
    });
  }
  return rows;
}

export function appRows(policy: string, a: AppStats, names: readonly string[]): Row[] {
  const rows: Row[] = [];
  for (let g = 0; g < names.length; g++) {
    const n = a.invocations[g]!;
    if (n === 0) continue;
    rows.push({
      policy,
      app: names[g]!,
      invocations: n,
      cold_starts: a.coldStarts[g]!,
      cold_start_pct: (100 * a.coldStarts[g]!) / n,
      wasted_memory_mb_s: a.wastedMbUs[g]! / 1e6,
    });
  }
  return rows;
}

export function summaryRow(s: PolicySummary): Row {
  return {
    policy: s.policy,
    keep_alive_s: s.keepAliveS,
    invocations: s.invocations,
    cold_starts: s.coldStarts,
    cold_start_share: s.coldStartShare,
    app_cold_start_pct_p75: s.appColdStartPctP75,
    wasted_memory_mb_s: s.wastedMemoryMbS,
    wasted_memory_normalized: s.wastedMemoryNormalized,
    normalized_to: s.normalizedTo,
    instances: s.instances,
  };
}
