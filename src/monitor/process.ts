/**
 * Process monitor, for the embedded platform's process runtime: every intervalMs, the counters of
 * each live instance process from /proc/<pid> (stat, status, io: three small reads) into
 * process_samples, with the instance id and function, so samples join invocations on instance_id.
 *
 * Instances are learnt from the platform's announcements (platforms/local/instance-channel.ts),
 * in whichever thread of this process the platform runs: start the monitor before the platform
 * starts instances (a replay does). An instance whose /proc entry is gone is dropped (counted as
 * vanished); its exit announcement may come later. Limit: /proc CPU times have 10 ms resolution.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { TableWriter } from '../dataset/table-writer.js';
import { INSTANCE_CHANNEL, type InstanceAnnouncement } from '../platforms/local/instance-channel.js';
import { epochUs } from '../util/time.js';
import { isGone } from './measures.js';
import { KernelFiles } from './pread.js';
import { readProcess } from './procfs.js';
import { closeTable, openTable } from './tables.js';
import { Ticker } from './ticker.js';
import type { Monitor, MonitorContext, MonitorSummary } from './types.js';

export interface ProcessMonitorOptions {
  intervalMs?: number;
}

export const SAMPLE_INTERVAL_MS = 100;

interface Target {
  pid: number;
  functionName: string;
  files: KernelFiles;
}

export class ProcessMonitor implements Monitor {
  readonly name = 'process';
  private writer: TableWriter | undefined;
  private ticker: Ticker | undefined;
  private channel: BroadcastChannel | undefined;
  private readonly targets = new Map<string, Target>();
  private rows = 0;
  private readonly counts = { instances: 0, vanished: 0 };

  constructor(private readonly options: ProcessMonitorOptions = {}) {}

  async start(context: MonitorContext): Promise<void> {
    const writer = openTable(context, 'process_samples');
    this.writer = writer;
    const channel = new BroadcastChannel(INSTANCE_CHANNEL);
    channel.unref();
    channel.onmessage = (event) =>
      this.onAnnouncement((event as unknown as { data: InstanceAnnouncement }).data);
    this.channel = channel;
    this.ticker = new Ticker(this.options.intervalMs ?? SAMPLE_INTERVAL_MS, (_plannedUs, lateUs) => {
      const rows = [];
      for (const [id, t] of this.targets) {
        try {
          const m = readProcess(t.pid, t.files);
          rows.push({
            time: epochUs(),
            tick_late_us: lateUs,
            pid: t.pid,
            instance_id: id,
            function: t.functionName,
            ...m,
          });
        } catch (e) {
          if (!isGone(e)) throw e;
          this.forget(id);
          this.counts.vanished++;
        }
      }
      if (rows.length > 0) writer.add(rows);
      this.rows += rows.length;
    });
    this.ticker.start();
  }

  private onAnnouncement(a: InstanceAnnouncement): void {
    if (a.t === 'start') {
      if (a.pid === undefined || a.containerId !== undefined) return; // containers: the container monitor
      this.targets.set(a.id, { pid: a.pid, functionName: a.functionName, files: new KernelFiles() });
      this.counts.instances++;
    } else this.forget(a.id);
  }

  private forget(id: string): void {
    this.targets.get(id)?.files.close();
    this.targets.delete(id);
  }

  async stop(): Promise<MonitorSummary> {
    const ticker = this.ticker!;
    await ticker.stop();
    this.channel?.close();
    for (const id of [...this.targets.keys()]) this.forget(id);
    return {
      name: this.name,
      tables: { process_samples: await closeTable(this.writer!, 'process_samples') },
      ticks: ticker.ticks,
      skippedTicks: ticker.skipped,
      rows: this.rows,
      tickLateUs: ticker.lateness(),
      busyS: ticker.busyMs / 1000,
      targetSamples: this.rows,
      gaps: [],
      counts: { ...this.counts },
    };
  }
}
