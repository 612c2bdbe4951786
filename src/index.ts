/** The programmatic API: what the CLI commands call. */
export {
  type AnyManifest,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestCommand,
} from './dataset/manifest.js';
export { readManifestFile } from './dataset/manifest-read.js';
export * from './dispatch/index.js';
export { type ErrorCode, FaasloadError } from './errors.js';
export { createPlatform, PLATFORM_KINDS, type PlatformOptions } from './platforms/registry.js';
export type * from './platforms/types.js';
export { type ReportResult, writeCompareReport, writeRunReport } from './report/html-report.js';
export { type PlanLoad, PlanLoadCounter, planLoad } from './report/plan-load.js';
export * as plot from './report/plot/index.js';
export { formatSummary, type RunSummary } from './report/summary.js';
export { traceFigures, writeTraceFigures } from './report/trace-figures.js';
export { REPLAY_DEFAULTS, type ReplayOptions, type ReplayResult, replay } from './run/replay.js';
export * from './schedule/index.js';
export * from './simulate/index.js';
export * from './trace/index.js';
export * from './workload/index.js';
