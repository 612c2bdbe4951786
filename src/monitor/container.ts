/**
 * Container monitor: every container on the Docker engine (faasload's, an OpenWhisk invoker's,
 * any other), observed two ways.
 *
 * - Lifecycle: the engine's event stream (container create, start, pause, unpause, kill, die with
 *   its exit code, oom, destroy) into container_events with the engine's nanosecond times. When
 *   the stream breaks (the daemon restarts or goes away) a gap opens, the monitor reconnects
 *   every reconnectMs, and on reconnection asks for the events since the last one it saw: the
 *   engine replays what happened meanwhile (if the daemon itself was down, nothing happened).
 * - Samples: every intervalMs, each running container's counters from its cgroup files (v1 or v2,
 *   see cgroup.ts) into container_samples; where no cgroup can be read (a remote engine, an
 *   unmounted tree) the engine's stats stream of that container instead (source `stats`, updated
 *   about once a second by the engine). Running containers are learnt from start events and
 *   from a listing every listIntervalMs (which also catches those started before the monitor).
 *   A container whose cgroup vanishes between the listing and a read is dropped (counted), not
 *   an error; while the engine does not answer, cgroup sampling of known containers goes on.
 */
import type Dockerode from 'dockerode';
import type { CellValue } from '../dataset/columns.js';
import type { TableWriter } from '../dataset/table-writer.js';
import { messageOf } from '../util/message.js';
import { epochUs } from '../util/time.js';
import { CgroupReader } from './cgroup.js';
import { type ContainerMatch, matchContainer } from './docker-match.js';
import { type ContainerEvent, destroyStream, EngineEvents, onJsonLines } from './engine-events.js';
import { emptyMeasures, isGone, type Measures } from './measures.js';
import { SAMPLE_INTERVAL_MS } from './process.js';
import { closeTable, openTable } from './tables.js';
import { Ticker } from './ticker.js';
import type { Monitor, MonitorContext, MonitorGap, MonitorSummary } from './types.js';

export interface ContainerMonitorOptions {
  docker: Dockerode;
  intervalMs?: number;
  /** cgroup files when readable, else the stats stream (auto); or only one of them. */
  source?: 'auto' | 'cgroup' | 'stats';
  listIntervalMs?: number;
  reconnectMs?: number;
  /** For tests: another cgroup root. */
  cgroupRoot?: string;
  /**
   * How long an idle container's slow-moving measures are carried over between reads of their
   * files (cgroup.ts, default 1000 ms); 0 reads every file at every sample.
   */
  idleRefreshMs?: number;
}

/** A container_samples row, one per target, refilled at each tick (TableWriter.add copies the cells). */
interface SampleRow extends Measures {
  [column: string]: CellValue;
  time: number;
  tick_late_us: number;
  container_id: string;
  container_name: string | null;
  instance_id: string | null;
  function: string | null;
  matched_by: ContainerMatch['matchedBy'];
}

interface Target extends ContainerMatch {
  id: string;
  name: string | null;
  reader: CgroupReader | undefined;
  row: SampleRow;
  /** The last values from the stats stream, when that is the source. */
  stats: Measures | undefined;
  statsStream: NodeJS.ReadableStream | undefined;
  /** Still to locate (cgroup or stats): set while an attempt is under way. */
  locating: boolean;
}

const API_TIMEOUT_MS = 5_000;

/** The parts of the Engine API's container stats that are read (v1 and v2 hosts). */
export interface DockerStats {
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; usage_in_usermode?: number; usage_in_kernelmode?: number };
    throttling_data?: { periods?: number; throttled_periods?: number; throttled_time?: number };
  };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
}

/** Docker's stats JSON into measures (both cgroup versions as the engine reports them). */
export function measuresFromStats(s: DockerStats): Measures {
  const m = emptyMeasures('stats');
  const cpu = s.cpu_stats ?? {};
  m.cpu_total_ns = cpu.cpu_usage?.total_usage ?? null;
  m.cpu_user_ns = cpu.cpu_usage?.usage_in_usermode ?? null;
  m.cpu_system_ns = cpu.cpu_usage?.usage_in_kernelmode ?? null;
  m.cpu_periods = cpu.throttling_data?.periods ?? null;
  m.cpu_throttled_periods = cpu.throttling_data?.throttled_periods ?? null;
  m.cpu_throttled_ns = cpu.throttling_data?.throttled_time ?? null;
  const mem = s.memory_stats ?? {};
  m.memory_usage_bytes = mem.usage ?? null;
  m.memory_limit_bytes = mem.limit !== undefined && mem.limit < 2 ** 60 ? mem.limit : null;
  m.memory_rss_bytes = mem.stats?.total_rss ?? mem.stats?.rss ?? mem.stats?.anon ?? null;
  m.memory_cache_bytes = mem.stats?.total_cache ?? mem.stats?.cache ?? mem.stats?.file ?? null;
  m.pids = s.pids_stats?.current ?? null;
  const io = s.blkio_stats?.io_service_bytes_recursive;
  if (Array.isArray(io)) {
    m.io_read_bytes = 0;
    m.io_write_bytes = 0;
    for (const e of io) {
      const op = e.op?.toLowerCase();
      if (op === 'read') m.io_read_bytes += e.value ?? 0;
      else if (op === 'write') m.io_write_bytes += e.value ?? 0;
    }
  }
  return m;
}

export class ContainerMonitor implements Monitor {
  readonly name = 'container';
  private readonly docker: Dockerode;
  private events: TableWriter | undefined;
  private samples: TableWriter | undefined;
  private ticker: Ticker | undefined;
  private context: MonitorContext | undefined;
  private readonly targets = new Map<string, Target>();
  /** Names and labels learnt from events and listings, for events of containers not running. */
  private readonly known = new Map<string, { name: string | null; match: ContainerMatch }>();
  private engineEvents: EngineEvents | undefined;
  private stopping = false;
  private listTimer: NodeJS.Timeout | undefined;
  private readonly gaps: MonitorGap[] = [];
  private openGap: MonitorGap | undefined;
  private sampleRows = 0;
  private eventRows = 0;
  private readonly counts = {
    containers: 0,
    vanished: 0,
    statsFallbacks: 0,
    reconnects: 0,
    replayedEvents: 0,
  };

  constructor(private readonly options: ContainerMonitorOptions) {
    this.docker = options.docker;
  }

  async start(context: MonitorContext): Promise<void> {
    this.context = context;
    this.events = openTable(context, 'container_events');
    this.samples = openTable(context, 'container_samples');
    // Events since now: a replay's containers are created after this.
    this.engineEvents = new EngineEvents(
      {
        docker: this.docker,
        ...(this.options.reconnectMs !== undefined ? { reconnectMs: this.options.reconnectMs } : {}),
      },
      {
        event: (e) => this.onEvent(e),
        lost: (why) => this.lost('docker events', why),
        back: () => this.back(),
      },
    );
    await this.engineEvents.start();
    await this.list();
    this.listTimer = setInterval(() => void this.list(), this.options.listIntervalMs ?? 2000);
    this.ticker = new Ticker(this.options.intervalMs ?? SAMPLE_INTERVAL_MS, (_p, lateUs) =>
      this.sample(lateUs),
    );
    this.ticker.start();
  }

  private api(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(API_TIMEOUT_MS) };
  }

  /** The live event stream is open again after a gap: close it, and list what runs now. */
  private back(): void {
    const gap = this.openGap;
    if (!gap) return;
    gap.toUs = epochUs();
    this.context!.log(
      `container monitor: the Docker engine answers again (gap of ${((gap.toUs - gap.fromUs) / 1e6).toFixed(1)} s)`,
    );
    this.openGap = undefined;
    this.counts.reconnects++;
    void this.list();
  }

  /**
   * The live stream can lag behind the engine on a loaded host: at stop, the events up to now
   * are read once more (EngineEvents.catchUp), so that the last ones (a teardown's die and
   * destroy) are never lost. If the engine does not answer, what the stream delivered is kept and
   * the possibly missing span is a gap.
   */
  private async catchUp(events: EngineEvents): Promise<void> {
    const fromUs = events.lastUs;
    try {
      await events.catchUp();
    } catch (e) {
      const reason = `the last events could not be read: ${messageOf(e)}`;
      this.gaps.push({ monitor: this.name, target: 'docker events', fromUs, toUs: epochUs(), reason });
      this.context!.log(`container monitor: ${reason}; those the stream delivered are kept`);
    }
  }

  /** A gap opens (once); EngineEvents reconnects. */
  private lost(target: string, reason: string): void {
    if (this.openGap || this.stopping) return;
    this.openGap = { monitor: this.name, target, fromUs: epochUs(), reason };
    this.gaps.push(this.openGap);
    this.context!.log(`container monitor: ${target}: ${reason}; reconnecting`);
  }

  private onEvent(e: ContainerEvent): void {
    const { id, action, nano } = e;
    if (e.replayed) this.counts.replayedEvents++;
    const attrs = e.attributes;
    const name = attrs.name ?? this.known.get(id)?.name ?? null;
    const match =
      attrs.name !== undefined
        ? matchContainer(attrs.name, attrs)
        : (this.known.get(id)?.match ?? matchContainer(undefined, attrs));
    this.known.set(id, { name, match });
    const exitCode = action === 'die' && attrs.exitCode !== undefined ? Number(attrs.exitCode) : null;
    this.events!.add([
      {
        time: Number(nano / 1000n),
        time_ns_frac: Number(nano % 1000n),
        container_id: id,
        container_name: name,
        instance_id: match.instanceId,
        function: match.functionName,
        matched_by: match.matchedBy,
        event: action,
        exit_code: exitCode,
        signal: action === 'kill' ? (attrs.signal ?? null) : null,
      },
    ]);
    this.eventRows++;
    if (action === 'start' || action === 'unpause') this.track(id, name, match);
    else if (action === 'die' || action === 'destroy') this.untrack(id);
  }

  /** Syncs the running containers with a listing; a failure is part of the engine's gap. */
  private async list(): Promise<void> {
    if (this.stopping) return;
    let containers: Dockerode.ContainerInfo[];
    try {
      containers = await this.docker.listContainers({ ...this.api() } as Dockerode.ContainerListOptions);
    } catch (e) {
      if (!this.engineEvents?.connected) return; // already in a gap: EngineEvents reconnects
      this.context!.log(`container monitor: listing containers failed: ${messageOf(e)}`);
      return;
    }
    const running = new Set<string>();
    for (const c of containers) {
      running.add(c.Id);
      const name = c.Names?.[0]?.replace(/^\//, '') ?? null;
      const match = matchContainer(name ?? undefined, c.Labels);
      this.known.set(c.Id, { name, match });
      if (c.State === 'running' || c.State === undefined) this.track(c.Id, name, match);
    }
    for (const id of this.targets.keys()) if (!running.has(id)) this.untrack(id);
  }

  private track(id: string, name: string | null, match: ContainerMatch): void {
    if (this.targets.has(id)) return;
    const row: SampleRow = {
      time: 0,
      tick_late_us: 0,
      container_id: id,
      container_name: name,
      instance_id: match.instanceId,
      function: match.functionName,
      matched_by: match.matchedBy,
      ...emptyMeasures('cgroup-v1'),
    };
    this.targets.set(id, {
      id,
      name,
      ...match,
      reader: undefined,
      row,
      stats: undefined,
      statsStream: undefined,
      locating: false,
    });
    this.counts.containers++;
    this.locate(this.targets.get(id)!, false);
  }

  private untrack(id: string): void {
    const t = this.targets.get(id);
    if (!t) return;
    this.targets.delete(id);
    t.reader?.close();
    if (t.statsStream) destroyStream(t.statsStream);
  }

  /** Finds the container's cgroup (asking the engine for its pid if needed), else opens its stats stream. */
  private locate(t: Target, viaPid: boolean): void {
    const source = this.options.source ?? 'auto';
    if (source !== 'stats') {
      t.reader = CgroupReader.open(t.id, undefined, this.options.cgroupRoot, this.options.idleRefreshMs);
      if (t.reader || source === 'cgroup') return;
    }
    if (t.locating) return;
    t.locating = true;
    const container = this.docker.getContainer(t.id);
    void (async () => {
      try {
        if (source === 'auto' && !viaPid) {
          const info = await container.inspect(this.api());
          t.reader = CgroupReader.open(
            t.id,
            info.State?.Pid,
            this.options.cgroupRoot,
            this.options.idleRefreshMs,
          );
          if (t.reader) return;
        }
        if (!this.targets.has(t.id)) return;
        const stream = await container.stats({ stream: true });
        if (!this.targets.has(t.id)) {
          destroyStream(stream);
          return;
        }
        this.counts.statsFallbacks++;
        this.context?.log(
          `container monitor: no cgroup for ${t.name ?? t.id}; sampling the engine's stats stream`,
        );
        t.statsStream = stream;
        onJsonLines(stream, (s) => {
          t.stats = measuresFromStats(s as DockerStats);
        });
        stream.on('error', () => undefined);
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) this.untrack(t.id);
      } finally {
        t.locating = false;
      }
    })();
  }

  /** Rows of the tick under way (reused: add() copies them). */
  private readonly tickRows: SampleRow[] = [];

  private sample(lateUs: number): void {
    const rows = this.tickRows;
    for (const t of this.targets.values()) {
      const row = t.row;
      if (t.reader) {
        try {
          t.reader.read(row);
        } catch (e) {
          if (!isGone(e)) throw e;
          // Removed between the listing (or its start event) and this read.
          this.untrack(t.id);
          this.counts.vanished++;
          continue;
        }
      } else if (t.stats) Object.assign(row, t.stats);
      else continue;
      row.time = epochUs();
      row.tick_late_us = lateUs;
      rows.push(row);
    }
    if (rows.length > 0) this.samples!.add(rows);
    this.sampleRows += rows.length;
    rows.length = 0;
  }

  async stop(): Promise<MonitorSummary> {
    this.stopping = true;
    const ticker = this.ticker!;
    await ticker.stop();
    clearInterval(this.listTimer);
    const events = this.engineEvents!;
    events.close();
    if (!this.openGap) await this.catchUp(events);
    for (const id of [...this.targets.keys()]) this.untrack(id);
    return {
      name: this.name,
      tables: {
        container_events: await closeTable(this.events!, 'container_events'),
        container_samples: await closeTable(this.samples!, 'container_samples'),
      },
      ...ticker.summary(),
      rows: this.eventRows + this.sampleRows,
      targetSamples: this.sampleRows,
      gaps: this.gaps,
      counts: { ...this.counts, events: this.eventRows },
    };
  }
}
