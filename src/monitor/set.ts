/**
 * The monitors of one run: which ones (selection and defaults), their settings, and a MonitorSet
 * that starts and stops them together on the calling thread and measures the thread's CPU.
 */

import type { TableFact } from '../dataset/manifest.js';
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import { HOST_INTERVAL_MS, HostMonitor } from './host.js';
import { SAMPLE_INTERVAL_MS } from './process.js';
import { threadCpuS } from './procfs.js';
import { SCRAPE_INTERVAL_MS } from './prometheus.js';
import { closing } from './tables.js';
import type { Monitor, MonitorContext, MonitorGap, MonitorSummary, MonitorsFact } from './types.js';

export const MONITOR_KINDS = ['container', 'process', 'host', 'prometheus', 'perf'] as const;
export type MonitorKind = (typeof MONITOR_KINDS)[number];

/** Everything the monitors of a run need; plain data (it crosses to a worker thread). */
export interface MonitorConfig {
  monitors: readonly MonitorKind[];
  sampleIntervalMs?: number;
  hostIntervalMs?: number;
  /** Prometheus endpoints; the prometheus monitor needs at least one. */
  scrape?: readonly string[];
  scrapeIntervalMs?: number;
  /** Container monitor: force the cgroup files or the engine's stats stream (default auto). */
  containerSource?: 'auto' | 'cgroup' | 'stats';
  /** Container monitor: how often the engine is asked to reconnect after it went away. */
  reconnectMs?: number;
  /** Perf monitor: the events (default perf.ts PERF_DEFAULT_EVENTS) and perf stat's interval. */
  perfEvents?: readonly string[];
  perfIntervalMs?: number;
}

export const MONITOR_DEFAULTS = {
  sampleIntervalMs: SAMPLE_INTERVAL_MS,
  hostIntervalMs: HOST_INTERVAL_MS,
  scrapeIntervalMs: SCRAPE_INTERVAL_MS,
} as const;

/** Smallest sampling interval accepted: below it timers cannot keep the pace. */
export const MIN_SAMPLE_INTERVAL_MS = 5;
/** perf stat refuses intervals under 10 ms. */
export const MIN_PERF_INTERVAL_MS = 10;

/**
 * Parses `--monitor a,b` (also `docker` for `container`, `none` for no monitor). Without a list:
 * host always; container when instances run in Docker (runtime docker), process when they are
 * child processes (runtime process), both for auto; prometheus when endpoints are given.
 */
export function selectMonitors(
  list: string | readonly string[] | undefined,
  context: { platform: string; runtime?: string | undefined; scrape?: readonly string[] | undefined },
): MonitorKind[] {
  if (list === undefined) {
    const chosen: MonitorKind[] = ['host'];
    if (context.platform === 'local') {
      if (context.runtime === 'docker' || context.runtime === 'auto') chosen.push('container');
      if (context.runtime === 'process' || context.runtime === 'auto' || context.runtime === undefined)
        chosen.push('process');
    }
    if ((context.scrape?.length ?? 0) > 0) chosen.push('prometheus');
    return chosen;
  }
  const names = (typeof list === 'string' ? [list] : list)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'none') return [];
  const chosen = new Set<MonitorKind>();
  const bad: string[] = [];
  for (const n of names) {
    const kind = n === 'docker' ? 'container' : n;
    if ((MONITOR_KINDS as readonly string[]).includes(kind)) chosen.add(kind as MonitorKind);
    else bad.push(n);
  }
  if (bad.length > 0) {
    throw new FaasloadError(
      'E_USAGE',
      `--monitor: unknown monitor ${bad.map((b) => `'${b}'`).join(', ')} (known: ${MONITOR_KINDS.join(', ')}, docker = container, none)`,
    );
  }
  if (chosen.has('prometheus') && (context.scrape?.length ?? 0) === 0) {
    throw new FaasloadError('E_USAGE', '--monitor prometheus needs --scrape URL[,URL]');
  }
  return [...chosen];
}

/** Validates the settings; every problem at once. */
export function checkMonitorConfig(config: MonitorConfig): void {
  const errors: string[] = [];
  for (const [flag, value] of [
    ['--sample-interval', config.sampleIntervalMs],
    ['--host-interval', config.hostIntervalMs],
    ['--scrape-interval', config.scrapeIntervalMs],
  ] as const) {
    if (value !== undefined && !(value >= MIN_SAMPLE_INTERVAL_MS))
      errors.push(`${flag}: at least ${MIN_SAMPLE_INTERVAL_MS}ms, got ${value}ms`);
  }
  for (const url of config.scrape ?? []) {
    let ok = false;
    try {
      ok = /^https?:$/.test(new URL(url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) errors.push(`--scrape: '${url}' is not an http(s) URL`);
  }
  if (config.perfIntervalMs !== undefined && !(config.perfIntervalMs >= MIN_PERF_INTERVAL_MS))
    errors.push(
      `--perf-interval: at least ${MIN_PERF_INTERVAL_MS}ms (perf stat's limit), got ${config.perfIntervalMs}ms`,
    );
  if (errors.length > 0) throw new FaasloadError('E_USAGE', errors.join('\n'));
}

/** Builds the selected monitors. The container monitor loads dockerode only when chosen. */
export async function createMonitors(config: MonitorConfig): Promise<Monitor[]> {
  const o = { ...MONITOR_DEFAULTS, ...config };
  const monitors: Monitor[] = [];
  for (const kind of config.monitors) {
    switch (kind) {
      case 'host':
        monitors.push(new HostMonitor({ intervalMs: o.hostIntervalMs }));
        break;
      case 'process': {
        const { ProcessMonitor } = await import('./process.js');
        monitors.push(new ProcessMonitor({ intervalMs: o.sampleIntervalMs }));
        break;
      }
      case 'container': {
        const [{ ContainerMonitor }, { connectDocker }] = await Promise.all([
          import('./container.js'),
          import('../embedded/docker/engine.js'),
        ]);
        monitors.push(
          new ContainerMonitor({
            docker: connectDocker(),
            intervalMs: o.sampleIntervalMs,
            ...(o.containerSource ? { source: o.containerSource } : {}),
            ...(o.reconnectMs !== undefined ? { reconnectMs: o.reconnectMs } : {}),
          }),
        );
        break;
      }
      case 'perf': {
        const { createPerfMonitor } = await import('./perf.js');
        monitors.push(await createPerfMonitor(o));
        break;
      }
      case 'prometheus': {
        const { PrometheusMonitor } = await import('./prometheus.js');
        monitors.push(new PrometheusMonitor({ endpoints: o.scrape ?? [], intervalMs: o.scrapeIntervalMs }));
        break;
      }
    }
  }
  return monitors;
}

/**
 * Runs monitors together on the calling thread. start() starts them all (a monitor that cannot
 * start at all is logged, left out, and its failure listed as a gap); stop() stops them all and
 * reports, with the CPU time the thread used in between. A monitor whose tables cannot be
 * written (a full disk) is listed in errors (its Arrow stream file is kept); the others still report.
 */
export class MonitorSet {
  private cpuAtStart: number | null = null;
  private startedAtMs = 0;
  private running: Monitor[] = [];
  private readonly failed: MonitorGap[] = [];

  constructor(
    private readonly monitors: readonly Monitor[],
    private readonly config: MonitorConfig,
  ) {}

  async start(context: MonitorContext): Promise<void> {
    for (const m of this.monitors) {
      try {
        await m.start(context);
        this.running.push(m);
      } catch (e) {
        const reason = messageOf(e);
        context.log(`monitor ${m.name} could not start: ${reason}`);
        this.failed.push({ monitor: m.name, target: m.name, fromUs: Date.now() * 1000, reason });
      }
    }
    this.cpuAtStart = threadCpuS();
    this.startedAtMs = performance.now();
  }

  /** Stops every monitor; the facts for the manifest, and every table written (by name). */
  async stop(): Promise<{ fact: MonitorsFact; tables: Record<string, TableFact> }> {
    const summaries: MonitorSummary[] = [];
    const errors: string[] = [];
    const parquetBefore = closing.cpuS;
    for (const m of this.running) {
      try {
        summaries.push(await m.stop());
      } catch (e) {
        errors.push(`${m.name}: ${messageOf(e)}`);
      }
    }
    const parquetCpuS = closing.cpuS - parquetBefore;
    const cpuAtStop = threadCpuS();
    const wallS = (performance.now() - this.startedAtMs) / 1000;
    const selfCpuS =
      this.cpuAtStart !== null && cpuAtStop !== null
        ? Math.max(0, cpuAtStop - this.cpuAtStart - parquetCpuS)
        : null;
    const targetSamples = summaries.reduce(
      (n, s) => n + (s.name === 'container' || s.name === 'process' ? s.targetSamples : 0),
      0,
    );
    const o = { ...MONITOR_DEFAULTS, ...this.config };
    const tables: Record<string, TableFact> = {};
    for (const s of summaries) Object.assign(tables, s.tables);
    const fact: MonitorsFact = {
      selected: [...this.config.monitors],
      sampleIntervalMs: o.sampleIntervalMs,
      hostIntervalMs: o.hostIntervalMs,
      scrapeIntervalMs: o.scrapeIntervalMs,
      selfCpuS,
      selfCpuShare: selfCpuS !== null && wallS > 0 ? selfCpuS / wallS : null,
      selfCpuUsPerTargetSample:
        selfCpuS !== null && targetSamples > 0 ? (selfCpuS * 1e6) / targetSamples : null,
      startupCpuS: this.cpuAtStart,
      parquetCpuS,
      wallS,
      monitors: summaries.map((s) => ({ ...s, tables: Object.keys(s.tables) })),
      gaps: [...this.failed, ...summaries.flatMap((s) => s.gaps)].sort((a, b) => a.fromUs - b.fromUs),
      errors,
    };
    return { fact, tables };
  }
}

/** A replay's monitor options, as the CLI and the programmatic API give them. */
export interface MonitorOptions extends Omit<MonitorConfig, 'monitors'> {
  /** Names (container|docker, process, host, prometheus, none), a list or comma-separated; default per platform. */
  monitors?: string | readonly string[];
}

/** The monitors and settings for a replay: selection with defaults, validated (E_USAGE). */
export function resolveMonitorConfig(
  options: MonitorOptions | undefined,
  context: { platform: string; runtime?: string | undefined },
): MonitorConfig {
  const { monitors, ...settings } = options ?? {};
  const config: MonitorConfig = {
    ...settings,
    monitors: selectMonitors(monitors, { ...context, scrape: settings.scrape }),
  };
  checkMonitorConfig(config);
  return config;
}

/** One warning line per gap, for the manifest's warnings. */
export function gapWarning(gap: MonitorGap): string {
  const fromS = new Date(gap.fromUs / 1000).toISOString();
  const span =
    gap.toUs === undefined ? 'until the end' : `for ${((gap.toUs - gap.fromUs) / 1e6).toFixed(1)} s`;
  return `monitor ${gap.monitor}: ${gap.target} unobserved from ${fromS} ${span}: ${gap.reason}`;
}
