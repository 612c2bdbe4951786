/**
 * Step 3 of a simulation: the models, one per policy, over the plan's functions (or, with
 * workflows, their steps' functions): the literature's ideal model, or the embedded platform's
 * capacity rules (platform-model.ts) fed the plan, or the calibration run's own timing.
 */
import { functionSpecs } from '../run/names.js';
import type { Plan } from '../schedule/plan.js';
import { type SimulationModel, type SimulationUnits, Simulator, simulationUnits } from './model.js';
import type { SimulateOptions, Simulation } from './options.js';
import { PlatformSimulator } from './platform-model.js';
import { type expandWorkflows, LocalWorkflowDriver } from './workflows.js';

export interface Models {
  /** What the models simulate: the plan's functions, or with workflows their step functions. */
  simFunctions: Plan['functions'];
  units: SimulationUnits;
  horizonUs: number;
  /** The models, one per policy; the same as platformSims or idealSims, by platform model. */
  sims: SimulationModel[];
  platformSims: PlatformSimulator[];
  idealSims: Simulator[];
  /** With workflows on the local model: one driver per policy, which makes its steps arrive. */
  drivers: LocalWorkflowDriver[];
  /** Functions interact (the local model): the plan goes through in plan order. */
  planOrder: boolean;
}

export function buildModels(
  s: Simulation,
  options: SimulateOptions,
  plan: Plan,
  workflows: ReturnType<typeof expandWorkflows> | undefined,
): Models {
  const { policies, model, capacity, calibration, planOptions } = s;
  const simFunctions = workflows?.stepFunctions ?? plan.functions;
  const units = simulationUnits(simFunctions, s.unit);
  const horizonUs = plan.spanUs;
  // Measured timing is indexed by seq, which is the plan position only for an unsharded run.
  const measuredTiming =
    calibration && (options.calibrateTiming ?? 'measured') === 'measured' && planOptions.shard === undefined
      ? calibration.measured
      : undefined;
  const drivers = workflows
    ? policies.map(() => new LocalWorkflowDriver(workflows, model.coldStartMs * 1000))
    : [];
  const platformSims =
    s.platformModel === 'local' && capacity
      ? policies.map(
          (p, k) =>
            new PlatformSimulator(p, units, {
              ...capacity,
              functionMemoryMb: workflows
                ? workflows.stepMemoryMb
                : functionSpecs(plan.functions).map((f) => f.memoryMb),
              coldStartMs: model.coldStartMs,
              execOverheadMs: model.execOverheadMs,
              defaultDurationMs: model.defaultDurationMs,
              horizonUs,
              record: workflows !== undefined || (options.invocations ?? true),
              ...(drivers[k] ? { onStarted: drivers[k].onStarted } : {}),
              waitTimeoutMs: capacity.waitTimeoutMs,
              ...(measuredTiming ? { measured: measuredTiming } : {}),
            }),
        )
      : [];
  const idealSims =
    s.platformModel === 'local' ? [] : policies.map((p) => new Simulator(p, units, { ...model, horizonUs }));
  const sims: SimulationModel[] = s.platformModel === 'local' ? platformSims : idealSims;
  const planOrder = s.platformModel === 'local';
  return { simFunctions, units, horizonUs, sims, platformSims, idealSims, drivers, planOrder };
}
