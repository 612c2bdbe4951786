/**
 * Host monitor: the machine's CPU time per state, memory, load, network and disk counters from
 * /proc, every intervalMs (1 s by default), into host_samples. Costs about 5 small file reads
 * per tick.
 */
import type { TableWriter } from '../dataset/table-writer.js';
import { messageOf } from '../util/message.js';
import { epochUs } from '../util/time.js';
import { KernelFiles } from './pread.js';
import { readHost } from './procfs.js';
import { closeTable, openTable } from './tables.js';
import { Ticker } from './ticker.js';
import type { Monitor, MonitorContext, MonitorGap, MonitorSummary } from './types.js';

export interface HostMonitorOptions {
  intervalMs?: number;
  /** For tests: a fake /proc and /sys/block. */
  procRoot?: string;
  sysBlock?: string;
}

export const HOST_INTERVAL_MS = 1000;

export class HostMonitor implements Monitor {
  readonly name = 'host';
  private writer: TableWriter | undefined;
  private ticker: Ticker | undefined;
  private rows = 0;
  private readonly gaps: MonitorGap[] = [];
  private open: MonitorGap | undefined;
  private files: KernelFiles | undefined;

  constructor(private readonly options: HostMonitorOptions = {}) {}

  async start(context: MonitorContext): Promise<void> {
    const writer = openTable(context, 'host_samples');
    this.writer = writer;
    const { procRoot, sysBlock } = this.options;
    const files = new KernelFiles();
    this.files = files;
    this.ticker = new Ticker(this.options.intervalMs ?? HOST_INTERVAL_MS, (_plannedUs, lateUs) => {
      try {
        const h = readHost(files, procRoot, sysBlock);
        writer.add([{ time: epochUs(), tick_late_us: lateUs, ...h }]);
        this.rows++;
        if (this.open) {
          this.open.toUs = epochUs();
          this.open = undefined;
        }
      } catch (e) {
        if (!this.open) {
          this.open = {
            monitor: this.name,
            target: procRoot ?? '/proc',
            fromUs: epochUs(),
            reason: String(e),
          };
          this.gaps.push(this.open);
          context.log(`host monitor: cannot read ${procRoot ?? '/proc'}: ${messageOf(e)}`);
        }
      }
    });
    this.ticker.start();
  }

  async stop(): Promise<MonitorSummary> {
    const ticker = this.ticker!;
    await ticker.stop();
    this.files?.close();
    return {
      name: this.name,
      tables: { host_samples: await closeTable(this.writer!, 'host_samples') },
      ...ticker.summary(),
      rows: this.rows,
      targetSamples: this.rows,
      gaps: this.gaps,
      counts: {},
    };
  }
}
