/**
 * Step 5 of a simulation: what it found, as tables (per function, app, policy, the apps' cold
 * start CDF, workflows, the calibration's comparison), manifest facts, warnings and figures.
 */

import { join, relative } from 'node:path';
import type { ColumnSpec } from '../dataset/columns.js';
import type { Manifest } from '../dataset/manifest.js';
import type { Row } from '../dataset/table-writer.js';
import { messageOf } from '../util/message.js';
import { CALIBRATION_COLUMNS, type RunCalibration } from './calibrate.js';
import { policyFigures, writePolicyFigures } from './figures.js';
import type { ModelOptions, SimulationModel, SimulationUnits } from './model.js';
import type { Models } from './models.js';
import type { Simulation } from './options.js';
import type { PassResult } from './pass.js';
import type { CalibrationComparison, SimulationFacts } from './run.js';
import {
  appPercentages,
  appRows,
  appStats,
  cdfPoints,
  functionRows,
  type PolicySummary,
  policySummaries,
  SIM_APP_COLUMNS,
  SIM_CDF_COLUMNS,
  SIM_FUNCTION_COLUMNS,
  SIM_POLICY_COLUMNS,
  summaryRow,
} from './tables.js';
import {
  SIM_WORKFLOW_COLUMNS,
  SIM_WORKFLOW_STEPS_COLUMNS,
  type WorkflowSummary,
  type workflowTables,
} from './workflows.js';

export interface Findings {
  /** The tables to write: name, columns, rows. */
  tables: [string, readonly ColumnSpec[], Row[]][];
  apps: ReturnType<typeof appStats>[];
  summaries: PolicySummary[];
  comparison: CalibrationComparison | undefined;
}

export function findings(s: Simulation, m: Models, pass: PassResult, withWorkflows: boolean): Findings {
  const { sims, units } = m;
  const ids = m.simFunctions.map((f) => f.id);
  const apps = sims.map((x) => appStats(x, units));
  const summaries = policySummaries(sims, apps);
  const unitNames = s.unit === 'app' ? units.groupNames : ids;
  const tables: [string, readonly ColumnSpec[], Row[]][] = [
    ['functions', SIM_FUNCTION_COLUMNS, sims.flatMap((x) => functionRows(x, units, unitNames))],
    ['apps', SIM_APP_COLUMNS, sims.flatMap((x, i) => appRows(x.policy.name, apps[i]!, units.groupNames))],
    [
      'app_cold_start_cdf',
      SIM_CDF_COLUMNS,
      sims.flatMap((x, i) =>
        cdfPoints(appPercentages(apps[i]!)).map(([pct, fraction]) => ({
          policy: x.policy.name,
          cold_start_pct: pct,
          apps_fraction: fraction,
        })),
      ),
    ],
    ['policies', SIM_POLICY_COLUMNS, summaries.map(summaryRow)],
  ];
  if (withWorkflows) {
    tables.push(
      ['workflows', SIM_WORKFLOW_COLUMNS, pass.workflowTablesOf.flatMap((t) => t.workflowRows)],
      ['workflow_steps', SIM_WORKFLOW_STEPS_COLUMNS, pass.workflowTablesOf.flatMap((t) => t.stepRows)],
    );
  }
  let comparison: CalibrationComparison | undefined;
  if (s.calibration) {
    const c = compare(s.calibration, sims[0]!, units, ids, s.model);
    comparison = c.comparison;
    tables.push(['calibration', CALIBRATION_COLUMNS, c.rows]);
  }
  return { tables, apps, summaries, comparison };
}

/** The manifest's `simulation`. */
export function simulationFacts(
  m: Models,
  pass: PassResult,
  f: Findings,
  simulateSeconds: number,
  withWorkflows: boolean,
): SimulationFacts {
  const { sims } = m;
  return {
    simulateSeconds,
    invocationsPerSecond: (pass.count * sims.length) / simulateSeconds,
    policies: f.summaries,
    missingDurations: sims[0]?.missingDurations ?? 0,
    missingMemory: sims[0]?.missingMemory ?? 0,
    ...(f.comparison ? { calibration: f.comparison } : {}),
    ...(withWorkflows ? { workflows: workflowSummaries(sims, pass.workflowTablesOf) } : {}),
  };
}

/** What the simulation had to assume, and what the calibration could not give it. */
export function simulationWarnings(s: Simulation, m: Models): string[] {
  const warnings: string[] = [];
  const first = m.sims[0];
  if (first && first.missingDurations > 0) {
    warnings.push(
      `${first.missingDurations} invocations had no duration: ${s.model.defaultDurationMs} ms taken`,
    );
  }
  if (first && first.missingMemory > 0) {
    warnings.push(`${first.missingMemory} invocations had no memory: ${s.model.defaultMemoryMb} MB taken`);
  }
  const { calibration } = s;
  if (calibration && s.platformModel === 'local' && s.planOptions.shard !== undefined) {
    warnings.push("the run is a shard: the plan's timing and the run's median costs are used");
  }
  if (calibration?.maxInstances !== undefined && s.platformModel === 'ideal') {
    warnings.push(
      `the calibration run capped instances at ${calibration.maxInstances} over all functions; the model has no cap across functions`,
    );
  }
  return warnings;
}

/**
 * The paper's two policy figures into <dir>/figures, listed in the manifest. Drawn from the
 * tables already written: a failure here loses no data, it is a warning.
 */
export async function drawFigures(
  dir: string,
  m: Models,
  f: Findings,
  manifest: Manifest<'simulate'>,
): Promise<void> {
  try {
    const svgs = await writePolicyFigures(
      join(dir, 'figures'),
      policyFigures(
        m.sims.map((x) => x.policy.name),
        f.apps,
        f.summaries,
      ),
    );
    manifest.figures = svgs.map((file) => relative(dir, file));
  } catch (err) {
    manifest.warnings.push(`the figures could not be drawn: ${messageOf(err)}`);
  }
}

export function workflowSummaries(
  sims: readonly SimulationModel[],
  tables: readonly ReturnType<typeof workflowTables>[],
): (WorkflowSummary & { policy: string })[] {
  return tables.map((t, k) => ({ policy: sims[k]!.policy.name, ...t.summary }));
}

function compare(
  cal: RunCalibration,
  sim: SimulationModel,
  units: SimulationUnits,
  ids: readonly string[],
  model: Omit<ModelOptions, 'horizonUs'>,
): { comparison: CalibrationComparison; rows: Row[] } {
  const rows: Row[] = [];
  let errSum = 0;
  let compared = 0;
  let simInv = 0;
  let simCold = 0;
  let same = 0;
  ids.forEach((id, fn) => {
    const u = units.unitOf[fn]!;
    const inv = sim.invocations[u]!;
    const cold = sim.coldStarts[u]!;
    simInv += inv;
    simCold += cold;
    const [mInv, mCold] = cal.perFunction.get(id) ?? [0, 0];
    const mShare = mInv > 0 ? mCold / mInv : null;
    const sShare = inv > 0 ? cold / inv : null;
    if (mShare !== null && sShare !== null) {
      errSum += Math.abs(sShare - mShare);
      compared++;
      if (mCold === cold) same++;
    }
    rows.push({
      function: id,
      measured_invocations: mInv,
      measured_cold_starts: mCold,
      measured_share: mShare,
      simulated_invocations: inv,
      simulated_cold_starts: cold,
      simulated_share: sShare,
    });
  });
  return {
    rows,
    comparison: {
      run: cal.run,
      policy: sim.policy.name,
      coldStartMs: model.coldStartMs,
      execOverheadMs: model.execOverheadMs,
      measuredInvocations: cal.measuredInvocations,
      measuredColdStarts: cal.measuredColdStarts,
      measuredShare: cal.measuredColdStarts / cal.measuredInvocations,
      simulatedInvocations: simInv,
      simulatedColdStarts: simCold,
      simulatedShare: simInv > 0 ? simCold / simInv : 0,
      meanAbsShareError: compared > 0 ? errSum / compared : 0,
      functionsCompared: compared,
      functionsSameCount: same,
      sameCountShare: compared > 0 ? same / compared : 0,
      coldStartError:
        cal.measuredColdStarts > 0 ? (simCold - cal.measuredColdStarts) / cal.measuredColdStarts : 0,
    },
  };
}
