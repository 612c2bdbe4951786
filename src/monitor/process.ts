/**
 * Process monitor, for the embedded platform's process runtime: every intervalMs, the counters of
 * each live instance process from /proc/<pid> (stat, statm, io: three small reads) into
 * process_samples, with the instance id and function, so samples join invocations on instance_id.
 *
 * Instances are learnt from the platform's announcements (embedded/local/instance-channel.ts),
 * in whichever thread of this process the platform runs: start the monitor before the platform
 * starts instances (a replay does). An instance whose /proc entry is gone is dropped (counted as
 * vanished); its exit announcement may come later. Limit: /proc CPU times have 10 ms resolution.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { CellValue } from '../dataset/columns.js';
import type { TableWriter } from '../dataset/table-writer.js';
import { INSTANCE_CHANNEL, type InstanceAnnouncement } from '../embedded/local/instance-channel.js';
import { epochUs } from '../util/time.js';
import { emptyMeasures, isGone, type Measures } from './measures.js';
import { ProcessReader } from './procfs.js';
import { closeTable, openTable } from './tables.js';
import { Ticker } from './ticker.js';
import type { Monitor, MonitorContext, MonitorSummary } from './types.js';

export interface ProcessMonitorOptions {
  intervalMs?: number;
}

export const SAMPLE_INTERVAL_MS = 100;

/** A process_samples row, one per target, refilled at each tick (TableWriter.add copies the cells). */
interface SampleRow extends Measures {
  [column: string]: CellValue;
  time: number;
  tick_late_us: number;
  pid: number;
  instance_id: string;
  function: string;
}

interface Target {
  reader: ProcessReader;
  row: SampleRow;
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
    channel.onmessage = (event: object) => {
      if ('data' in event) this.onAnnouncement(event.data as InstanceAnnouncement);
    };
    this.channel = channel;
    const rows: SampleRow[] = [];
    this.ticker = new Ticker(this.options.intervalMs ?? SAMPLE_INTERVAL_MS, (_plannedUs, lateUs) => {
      for (const [id, t] of this.targets) {
        try {
          t.reader.read(t.row);
        } catch (e) {
          if (!isGone(e)) throw e;
          this.forget(id);
          this.counts.vanished++;
          continue;
        }
        t.row.time = epochUs();
        t.row.tick_late_us = lateUs;
        rows.push(t.row);
      }
      if (rows.length > 0) writer.add(rows);
      this.rows += rows.length;
      rows.length = 0;
    });
    this.ticker.start();
  }

  private onAnnouncement(a: InstanceAnnouncement): void {
    if (a.t === 'start') {
      if (a.pid === undefined || a.containerId !== undefined) return; // containers: the container monitor
      this.forget(a.id); // an id announced again: the newest process
      const row: SampleRow = {
        time: 0,
        tick_late_us: 0,
        pid: a.pid,
        instance_id: a.id,
        function: a.functionName,
        ...emptyMeasures('proc'),
      };
      this.targets.set(a.id, { reader: new ProcessReader(a.pid), row });
      this.counts.instances++;
    } else this.forget(a.id);
  }

  private forget(id: string): void {
    this.targets.get(id)?.reader.close();
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
      ...ticker.summary(),
      rows: this.rows,
      targetSamples: this.rows,
      gaps: [],
      counts: { ...this.counts },
    };
  }
}
