/** Observation during a replay: containers, instance processes, the host, Prometheus endpoints. */

export * from '../dataset/monitor-tables.js';
export { CgroupReader, cgroupVersion } from './cgroup.js';
export { ContainerMonitor, type ContainerMonitorOptions } from './container.js';
export { matchContainer } from './docker-match.js';
export { type ExposedSample, type Exposition, labelsJson, parseExposition } from './exposition.js';
export { HostMonitor, type HostMonitorOptions } from './host.js';
export { ProcessMonitor, type ProcessMonitorOptions } from './process.js';
export { PrometheusMonitor, type PrometheusMonitorOptions } from './prometheus.js';
export { type RunningMonitors, startMonitors } from './run.js';
export {
  createMonitors,
  gapWarning,
  MONITOR_DEFAULTS,
  MONITOR_KINDS,
  type MonitorConfig,
  type MonitorKind,
  type MonitorOptions,
  MonitorSet,
  resolveMonitorConfig,
  selectMonitors,
} from './set.js';
export type { Monitor, MonitorContext, MonitorGap, MonitorSummary, MonitorsFact } from './types.js';
