/** Simulation: a plan run through a modelled FaaS platform in virtual time (see docs/simulate.md). */
export { type RunCalibration, type RunCapacity, readRunCalibration } from './calibrate.js';
export { HYBRID_DEFAULTS, type HybridOptions, hybridPolicy, IdleHistograms } from './hybrid.js';
export {
  BatchResults,
  MODEL_DEFAULTS,
  type ModelOptions,
  type SimulationModel,
  type SimulationUnits,
  Simulator,
  simulationUnits,
  type UnitKind,
} from './model.js';
export {
  type MeasuredTiming,
  type PlatformModelOptions,
  PlatformSimulator,
} from './platform-model.js';
export {
  fixedKeepAlive,
  formatDuration,
  type KeepAlivePolicy,
  noUnload,
  type PolicyFactory,
  type PolicyState,
  type Windows,
} from './policy.js';
export { parsePolicy, policyKinds, registerPolicy } from './registry.js';
export {
  type CalibrationComparison,
  type PlatformModelKind,
  type SimulateOptions,
  type SimulateResult,
  simulate,
} from './run.js';
export type { PolicySummary } from './tables.js';
