/**
 * Prometheus monitor: scrapes each endpoint (e.g. an OpenWhisk controller's /metrics) every
 * intervalMs into the long table `metrics` (time, endpoint, metric, labels, value, type). The
 * endpoints of one tick are scraped concurrently, each with a timeout of the interval (at least
 * 2 s, at most 10 s); ticks that pass meanwhile are skipped.
 * An endpoint that fails (refused, timeout, non-2xx) opens a gap for it, closed by its next good
 * scrape; the others go on. Lines the parser cannot read are counted and the first few logged.
 */
import { performance } from 'node:perf_hooks';
import type { TableWriter } from '../dataset/table-writer.js';
import { messageOf } from '../util/message.js';
import { epochUs } from '../util/time.js';
import { labelsJson, parseExposition } from './exposition.js';
import { closeTable, openTable } from './tables.js';
import { Ticker } from './ticker.js';
import type { Monitor, MonitorContext, MonitorGap, MonitorSummary } from './types.js';

export interface PrometheusMonitorOptions {
  endpoints: readonly string[];
  intervalMs?: number;
}

export const SCRAPE_INTERVAL_MS = 5000;
const SCRAPE_TIMEOUT_MS = 10_000;
/** A short interval must not make a slow endpoint a gap: a scrape still under way skips ticks. */
const MIN_SCRAPE_TIMEOUT_MS = 2_000;
const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

/** The URL without user:password@, for the dataset. */
export function endpointLabel(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export class PrometheusMonitor implements Monitor {
  readonly name = 'prometheus';
  private writer: TableWriter | undefined;
  private ticker: Ticker | undefined;
  private rows = 0;
  private readonly gaps: MonitorGap[] = [];
  private readonly open = new Map<string, MonitorGap>();
  private readonly counts = { scrapes: 0, failedScrapes: 0, badLines: 0 };
  private parseMs = 0;

  constructor(private readonly options: PrometheusMonitorOptions) {}

  async start(context: MonitorContext): Promise<void> {
    const writer = openTable(context, 'metrics');
    this.writer = writer;
    const intervalMs = this.options.intervalMs ?? SCRAPE_INTERVAL_MS;
    const timeoutMs = Math.min(Math.max(intervalMs, MIN_SCRAPE_TIMEOUT_MS), SCRAPE_TIMEOUT_MS);
    this.ticker = new Ticker(intervalMs, async () => {
      await Promise.all(this.options.endpoints.map((url) => this.scrape(url, timeoutMs, writer, context)));
    });
    this.ticker.start();
  }

  private async scrape(url: string, timeoutMs: number, writer: TableWriter, context: MonitorContext) {
    const endpoint = endpointLabel(url);
    this.counts.scrapes++;
    let text: string;
    try {
      const response = await fetch(url, {
        headers: { accept: ACCEPT },
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (e) {
      this.counts.failedScrapes++;
      if (!this.open.has(endpoint)) {
        const why = (e as { cause?: { code?: string; message?: string } }).cause;
        const cause = why?.code ?? why?.message;
        const reason = `${messageOf(e)}${cause ? ` (${cause})` : ''}`;
        const gap: MonitorGap = { monitor: this.name, target: endpoint, fromUs: epochUs(), reason };
        this.open.set(endpoint, gap);
        this.gaps.push(gap);
        context.log(`prometheus monitor: ${endpoint}: ${reason}; retrying every tick`);
      }
      return;
    }
    const time = epochUs();
    const gap = this.open.get(endpoint);
    if (gap) {
      gap.toUs = time;
      this.open.delete(endpoint);
      context.log(`prometheus monitor: ${endpoint} answers again`);
    }
    const t0 = performance.now();
    const { samples, errors } = parseExposition(text);
    if (errors.length > 0) {
      if (this.counts.badLines === 0) context.log(`prometheus monitor: ${endpoint}: skipped ${errors[0]}`);
      this.counts.badLines += errors.length;
    }
    writer.add(
      samples.map((s) => ({
        time,
        endpoint,
        metric: s.metric,
        labels: labelsJson(s.labels),
        value: s.value,
        type: s.type,
        exposed_at: s.timestampMs === undefined ? null : s.timestampMs * 1000,
      })),
    );
    this.rows += samples.length;
    this.parseMs += performance.now() - t0;
  }

  async stop(): Promise<MonitorSummary> {
    const ticker = this.ticker!;
    await ticker.stop();
    return {
      name: this.name,
      tables: { metrics: await closeTable(this.writer!, 'metrics') },
      ...ticker.summary(),
      rows: this.rows,
      // Scrapes wait on the network: their parsing is the CPU, not the ticks' wall time.
      busyS: this.parseMs / 1000,
      targetSamples: this.counts.scrapes,
      gaps: this.gaps,
      counts: { ...this.counts },
    };
  }
}
