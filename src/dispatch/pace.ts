import { cpus } from 'node:os';
import type { PaceReporter } from '../platforms/capabilities.js';
import type { PlatformPressure } from '../platforms/types.js';

/**
 * When the platform, not the plan, sets the pace of a run: invocations queued for a start slot,
 * a pool full (invocations waiting for memory or the instance cap), or a CPU saturated (the
 * functions run slower than they ask, and everything queues behind them). Only for platforms
 * that report their pool (PaceReporter: the embedded one, whose instances share this machine's
 * CPU); nothing for the others.
 */
export type PaceKind = 'start_slot' | 'memory' | 'cpu';

export interface PaceLimit {
  kind: PaceKind;
  message: string;
}

export interface PaceAlert extends PaceLimit {
  /** Run second when it was raised. */
  second: number;
}

export const PACE_DEFAULTS = {
  /** The CPU counts as saturated from this busy share of all cores... */
  cpuSaturatedShare: 0.95,
  /** ...held over this many checks in a row (one a second): a short burst is not a saturation. */
  cpuSaturatedChecks: 3,
} as const;

/** What sets the pace in one sample (empty: the plan does). Pure. */
export function paceLimits(
  p: PlatformPressure,
  cpu: { busyShare: number; saturated: boolean; cores: number },
) {
  const limits: PaceLimit[] = [];
  if (p.waiting.start_slot > 0)
    limits.push({
      kind: 'start_slot',
      message: `${p.waiting.start_slot} invocations wait for a start slot (${p.starting} of ${p.startSlots} cold starts under way, --max-starting)`,
    });
  if (p.waiting.memory > 0)
    limits.push({
      kind: 'memory',
      message: `${p.waiting.memory} invocations wait for room in the pool (${Math.round(p.usedMemoryMb)} of ${p.poolMemoryMb} MB, ${p.instances} of ${p.maxInstances} instances: --pool-memory, --max-instances)`,
    });
  if (cpu.saturated)
    limits.push({
      kind: 'cpu',
      message: `the CPU is saturated (${Math.round(100 * cpu.busyShare)}% of ${cpu.cores} cores busy): functions run slower than they ask`,
    });
  return limits;
}

/** The host's busy CPU share (all cores) since the previous call, from os.cpus() times. */
export class HostCpu {
  private last = HostCpu.read();
  readonly cores = cpus().length;

  private static read(): { busy: number; all: number } {
    let busy = 0;
    let all = 0;
    for (const c of cpus()) {
      const t = c.times;
      const sum = t.user + t.nice + t.sys + t.idle + t.irq;
      all += sum;
      busy += sum - t.idle;
    }
    return { busy, all };
  }

  busyShare(): number {
    const now = HostCpu.read();
    const all = now.all - this.last.all;
    const share = all > 0 ? (now.busy - this.last.busy) / all : 0;
    this.last = now;
    return share;
  }
}

/**
 * Samples a PaceReporter and the host CPU once per check(); raises each kind of alert once, the
 * first time it happens; keeps the latest limits for the progress line. check() never rejects:
 * a platform that cannot answer has no limits.
 */
export class PaceWatch {
  private readonly alerted = new Set<PaceKind>();
  private busyChecks = 0;
  private current: PaceLimit[] = [];

  constructor(
    private readonly source: Pick<PaceReporter, 'pressure'>,
    private readonly cpu: { busyShare(): number; cores: number } = new HostCpu(),
  ) {}

  async check(second: number): Promise<PaceAlert[]> {
    const busyShare = this.cpu.busyShare();
    this.busyChecks = busyShare >= PACE_DEFAULTS.cpuSaturatedShare ? this.busyChecks + 1 : 0;
    let pressure: PlatformPressure;
    try {
      pressure = await this.source.pressure();
    } catch {
      this.current = [];
      return [];
    }
    const saturated = this.busyChecks >= PACE_DEFAULTS.cpuSaturatedChecks;
    this.current = paceLimits(pressure, { busyShare, saturated, cores: this.cpu.cores });
    const alerts: PaceAlert[] = [];
    for (const l of this.current) {
      if (this.alerted.has(l.kind)) continue;
      this.alerted.add(l.kind);
      alerts.push({ ...l, second });
    }
    return alerts;
  }

  /** The limits of the last check, short, for the progress line; undefined when the plan sets the pace. */
  progressNote(): string | undefined {
    if (this.current.length === 0) return undefined;
    const short: Record<PaceKind, string> = {
      start_slot: 'starts queued',
      memory: 'pool full',
      cpu: 'CPU saturated',
    };
    return `paced by the platform: ${this.current.map((l) => short[l.kind]).join(', ')}`;
  }
}
