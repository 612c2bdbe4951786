export { mergeAscending } from './merge.js';
export { samplePercentiles } from './percentiles.js';
export { type PlanOptions, plan, type ResolvedPlanOptions } from './plan.js';
export type { Arrival, Schedule } from './types.js';
