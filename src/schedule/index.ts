export { samplePercentiles } from './percentiles.js';
export { type Plan, type PlanOptions, plan, type ResolvedPlanOptions } from './plan.js';
export { SAMPLE_METHODS, type SampleMethod } from './select.js';
export { DEFAULT_IAT, IAT_MODES, type IatMode } from './spread.js';
export type { Arrival, ArrivalBatch, Schedule } from './types.js';
