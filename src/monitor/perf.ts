/**
 * Perf monitor (`--monitor perf`): OS and hardware event counters per function instance, read by
 * one `perf stat -I <interval>` process per instance, into the counters table; after the run,
 * perf-invocations.ts turns them into per-activation deltas (invocation_counters).
 *
 * Scope per instance:
 * - containers (docker runtime, or an OpenWhisk invoker's): the container's cgroup, found from
 *   its main process (/proc/<pid>/cgroup), in perf's hierarchy (v1 perf_event or v2; perf-cgroup.ts).
 *   Containers are learnt from the Docker engine (start events and a listing at start); those
 *   that are not function instances (matchContainer) are not counted.
 * - processes (process runtime, learnt from the local platform's announcements): a cgroup made
 *   for the instance, the process moved into it, where the machine allows (root or a delegated
 *   hierarchy); else `perf stat -p <pid>`, which counts only the threads alive when perf attaches.
 *
 * Why one perf process per instance rather than one per run with several -G: instances come and
 * go during a run and perf stat cannot add a cgroup to a running session; restarting it at every
 * change would lose counts. The cost per perf process is measured by `npm run bench -- counters`.
 *
 * Events: probed once at start (`perf stat -e <list> -- true`). Events the machine does not
 * support (`<not supported>`, e.g. hardware events on a VM without a virtual PMU) are left out of
 * the counting and reported once in the summary (perf.unsupported), never written as zeros.
 * Events perf does not know, a missing perf binary or no permission are errors (E_USAGE) at
 * creation: the run does not start.
 *
 * Counting starts when perf attaches, a few ms after the instance started: the first moments of
 * a cold start (before /init) may be missed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import type Dockerode from 'dockerode';
import type { TableFact } from '../dataset/manifest.js';
import { COUNTERS_COLUMNS, PERF_SCHEMA_VERSION } from '../dataset/perf-tables.js';
import { TableWriter } from '../dataset/table-writer.js';
import { INSTANCE_CHANNEL, type InstanceAnnouncement } from '../embedded/local/instance-channel.js';
import { FaasloadError } from '../errors.js';
import { errnoCodeOf, messageOf } from '../util/message.js';
import { epochUs } from '../util/time.js';
import { matchContainer } from './docker-match.js';
import { EngineEvents } from './engine-events.js';
import { InstanceCgroups, type PerfCgroupMount, perfCgroupMount, processCgroup } from './perf-cgroup.js';
import { PERF_SEPARATOR, parsePerfLine, rejectedEvent, splitEventList } from './perf-csv.js';
import type { JoinCounts } from './perf-join.js';
import { PerfCounter, type PerfSample, type PerfScope } from './perf-process.js';
import { threadCpuS } from './procfs.js';
import { closing } from './tables.js';
import type { Monitor, MonitorContext, MonitorGap, MonitorSummary } from './types.js';

/** The issue's default list: hardware (cycles ... branch-misses) and software events. */
export const PERF_DEFAULT_EVENTS = [
  'cycles',
  'instructions',
  'cache-references',
  'cache-misses',
  'branch-misses',
  'task-clock',
  'context-switches',
  'cpu-migrations',
  'page-faults',
] as const;

/** Default --perf-interval: per-activation deltas are apportioned within it (see perf-join.ts). */
export const PERF_INTERVAL_MS = 20;

const PROBE_TIMEOUT_MS = 10_000;
const API_TIMEOUT_MS = 5_000;

export interface PerfProbe {
  perfPath: string;
  /** `perf version 6.1.x`. */
  version: string;
  requested: string[];
  /** Events that count here, in the order asked. */
  supported: string[];
  unsupported: { event: string; reason: string }[];
  /** Whether system-wide counting (-a, needed for -G) is allowed. */
  systemWide: boolean;
  mount: PerfCgroupMount | undefined;
}

/** What the manifest records about perf (monitors.monitors[perf].perf). */
export interface PerfFact {
  version: string;
  intervalMs: number;
  requested: string[];
  counted: string[];
  /** Events the machine does not support: reported here once, absent from the tables. */
  unsupported: { event: string; reason: string }[];
  /** How processes (process runtime) were counted. */
  processScope: 'cgroup' | 'pid' | 'none';
  /** Where containers were counted: the cgroup hierarchy perf uses, or none (no -a permission). */
  cgroupHierarchy: string | null;
  /** Instances counted, perf processes started, and their CPU time (user + system) in all, s. */
  instances: number;
  perfProcesses: number;
  perfCpuS: number;
  /** Lifetime of the perf processes summed (instance-seconds counted), s. */
  countedS: number;
  /** perfCpuS / countedS: the share of a core one instance's counting costs. */
  perfCpuShare: number | null;
  /** Cgroups made for processes that could not be removed. */
  cleanupProblems: string[];
  /** Added after the run (perf-invocations.ts): what the per-activation join wrote and left out. */
  invocationCounters?: JoinCounts;
}

export interface PerfSummary extends MonitorSummary {
  perf: PerfFact;
}

export interface PerfMonitorOptions {
  events?: readonly string[];
  intervalMs?: number;
  /** The perf binary (default `perf` on PATH). */
  perfPath?: string;
  /** Containers are counted when given (a Docker engine that answers). */
  docker?: Dockerode | undefined;
  /** How often to try the engine's events again after they broke (default 1000 ms). */
  reconnectMs?: number;
  /** Processes: their own cgroup where possible (auto), or only that / only -p. */
  processScope?: 'auto' | 'cgroup' | 'pid';
  /** From probePerf(); probed at start() when absent. */
  probe?: PerfProbe;
}

function run(
  file: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; errno?: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      // A number: the exit status; a string: the errno of a failed spawn (ENOENT: no perf).
      const errno = errnoCodeOf(error);
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
        stdout,
        stderr,
        ...(errno !== undefined ? { errno } : {}),
      });
    });
  });
}

function paranoid(): string {
  try {
    return readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

const DENIED = /Access to performance monitoring|Permission denied|perf_event_paranoid|No permission/i;

/**
 * Checks that perf runs here and which of the events count: E_USAGE naming the cause when the
 * binary is missing, an event is unknown to perf, or counting is not permitted at all.
 */
export async function probePerf(events: readonly string[], perfPath = 'perf'): Promise<PerfProbe> {
  const requested = splitEventList(events);
  if (requested.length === 0) throw new FaasloadError('E_USAGE', '--perf-events: no event given');
  const v = await run(perfPath, ['--version']);
  if (v.errno === 'ENOENT')
    throw new FaasloadError(
      'E_USAGE',
      `--monitor perf: no perf binary ('${perfPath}' not found on PATH); install linux-perf (Debian) or linux-tools-$(uname -r) (Ubuntu)`,
    );
  if (v.code !== 0)
    throw new FaasloadError(
      'E_USAGE',
      `--monitor perf: '${perfPath} --version' failed: ${(v.stderr || v.stdout).trim()}`,
    );
  const statArgs = (wide: boolean) => [
    'stat',
    '-x',
    PERF_SEPARATOR,
    '-e',
    requested.join(','),
    ...(wide ? ['-a'] : []),
    '--',
    'true',
  ];
  let systemWide = true;
  let out = await run(perfPath, statArgs(true));
  if (out.code !== 0 && DENIED.test(out.stderr)) {
    systemWide = false;
    out = await run(perfPath, statArgs(false));
  }
  if (out.code !== 0 && rejectedEvent(out.stderr) !== undefined) {
    // perf names the first bad event cut short: ask about each one to name them all.
    const unknown: string[] = [];
    for (const e of requested) {
      const one = await run(perfPath, ['stat', '-x', PERF_SEPARATOR, '-e', e, '--', 'true']);
      if (one.code !== 0 && rejectedEvent(one.stderr) !== undefined) unknown.push(`'${e}'`);
    }
    throw new FaasloadError(
      'E_USAGE',
      `--perf-events: perf does not know the event${unknown.length > 1 ? 's' : ''} ${unknown.join(', ') || rejectedEvent(out.stderr)} (see perf list)`,
    );
  }
  if (out.code !== 0) {
    const why = DENIED.test(out.stderr)
      ? `no permission to count events (kernel.perf_event_paranoid = ${paranoid()}): run as root, grant CAP_PERFMON, or lower kernel.perf_event_paranoid`
      : `perf stat failed: ${out.stderr.trim().split('\n').slice(0, 3).join(' ')}`;
    throw new FaasloadError('E_USAGE', `--monitor perf: ${why}`);
  }
  const status = new Map<string, string>();
  for (const line of out.stderr.split('\n')) {
    const p = parsePerfLine(`0${PERF_SEPARATOR}${line}`, false);
    if (p) status.set(p.event, p.status);
  }
  const supported: string[] = [];
  const unsupported: PerfProbe['unsupported'] = [];
  for (const e of requested) {
    if (status.get(e) === 'not-supported')
      unsupported.push({ event: e, reason: 'perf: <not supported> on this machine (no such PMU event)' });
    else supported.push(e);
  }
  return {
    perfPath,
    version: v.stdout.trim(),
    requested,
    supported,
    unsupported,
    systemWide,
    mount: perfCgroupMount(),
  };
}

interface Target {
  instanceId: string;
  functionName: string | null;
  containerId: string | null;
  pid: number | null;
  counter: PerfCounter;
  /** A cgroup this monitor made for the instance (process runtime). */
  madeCgroup: string | undefined;
  startedMs: number;
}

export class PerfMonitor implements Monitor {
  readonly name = 'perf';
  private probe: PerfProbe | undefined;
  private context: MonitorContext | undefined;
  private writer: TableWriter | undefined;
  private channel: BroadcastChannel | undefined;
  private cgroups: InstanceCgroups | undefined;
  private processScope: PerfFact['processScope'] = 'none';
  private engineEvents: EngineEvents | undefined;
  /** The gap of the engine's events while it lasts. */
  private eventsGap: MonitorGap | undefined;
  private stopping = false;
  private readonly targets = new Map<string, Target>();
  private readonly finished: Target[] = [];
  private readonly unsupported = new Map<string, string>();
  private readonly gaps: MonitorGap[] = [];
  private rows = 0;
  private busyMs = 0;
  private countedS = 0;
  private perfCpuS = 0;
  private readonly counts = { instances: 0, containers: 0, processes: 0, perfExits: 0, notCountedRows: 0 };

  constructor(private readonly options: PerfMonitorOptions = {}) {}

  private get intervalMs(): number {
    return this.options.intervalMs ?? PERF_INTERVAL_MS;
  }

  async start(context: MonitorContext): Promise<void> {
    this.context = context;
    const probe =
      this.options.probe ??
      (await probePerf(this.options.events ?? PERF_DEFAULT_EVENTS, this.options.perfPath));
    this.probe = probe;
    for (const u of probe.unsupported) {
      this.unsupported.set(u.event, u.reason);
      context.log(`perf monitor: event ${u.event} is not supported here; not counted`);
    }
    if (probe.supported.length === 0)
      throw new FaasloadError(
        'E_USAGE',
        `--monitor perf: none of the events counts on this machine (${probe.requested.join(', ')})`,
      );
    this.writer = new TableWriter({
      dir: context.dir,
      name: 'counters',
      columns: COUNTERS_COLUMNS,
      metadata: { 'faasload.schema_version': PERF_SCHEMA_VERSION, 'faasload.run_id': context.runId },
    });
    const wanted = this.options.processScope ?? 'auto';
    if (wanted !== 'pid' && probe.systemWide && probe.mount) {
      const cgroups = new InstanceCgroups(probe.mount);
      if (cgroups.usable()) {
        this.cgroups = cgroups;
        this.processScope = 'cgroup';
      }
    }
    if (!this.cgroups) {
      if (wanted === 'cgroup')
        throw new FaasloadError(
          'E_USAGE',
          `--monitor perf: cannot make cgroups for instance processes (${probe.mount ? `${probe.mount.path} not writable` : 'no cgroup hierarchy for perf'}${probe.systemWide ? '' : ', no system-wide counting permission'})`,
        );
      this.processScope = 'pid';
      context.log('perf monitor: instance processes counted with perf stat -p (no cgroup of their own)');
    }
    const channel = new BroadcastChannel(INSTANCE_CHANNEL);
    channel.unref();
    channel.onmessage = (event: object) => {
      if ('data' in event) this.onAnnouncement(event.data as InstanceAnnouncement);
    };
    this.channel = channel;
    if (this.options.docker) await this.watchContainers(this.options.docker);
  }

  private onAnnouncement(a: InstanceAnnouncement): void {
    if (this.stopping) return;
    if (a.t === 'exit') {
      void this.untrack(a.id);
      return;
    }
    if (a.pid === undefined || a.containerId !== undefined) return; // containers: from the engine
    let scope: PerfScope = { kind: 'pid', pid: a.pid };
    let made: string | undefined;
    if (this.cgroups) {
      try {
        made = this.cgroups.adopt(a.id, a.pid);
        scope = { kind: 'cgroup', cgroup: made };
      } catch (e) {
        // The process already exited, or this cgroup could not be made: -p for this one.
        this.context!.log(`perf monitor: no cgroup for ${a.id} (${messageOf(e)}); perf stat -p`);
        if (made) this.cgroups.release(made);
        made = undefined;
      }
    }
    this.counts.processes++;
    this.track(a.id, a.functionName, null, a.pid, scope, made);
  }

  /** Start events and a first listing; no engine: containers are not counted (logged). */
  private async watchContainers(docker: Dockerode): Promise<void> {
    const probe = this.probe!;
    if (!probe.systemWide || !probe.mount) {
      this.context!.log(
        'perf monitor: containers not counted (cgroup counting needs system-wide permission)',
      );
      return;
    }
    const events = new EngineEvents(
      {
        docker,
        actions: ['start', 'die'],
        ...(this.options.reconnectMs !== undefined ? { reconnectMs: this.options.reconnectMs } : {}),
      },
      {
        event: (e) => {
          if (e.action === 'start') void this.trackContainer(docker, e.id, e.attributes.name, e.attributes);
          else if (e.action === 'die') void this.untrack(this.instanceOfContainer(e.id));
        },
        lost: (why) => {
          if (this.stopping || this.eventsGap) return;
          this.eventsGap = { monitor: this.name, target: 'docker events', fromUs: epochUs(), reason: why };
          this.gaps.push(this.eventsGap);
          this.context!.log(`perf monitor: docker events: ${why}; reconnecting`);
        },
        back: () => {
          const gap = this.eventsGap;
          this.eventsGap = undefined;
          if (gap) gap.toUs = epochUs();
          this.context!.log('perf monitor: docker events answer again');
          void this.listContainers(docker);
        },
      },
    );
    try {
      // No engine at the start: containers are not counted (no retries); lost later: a gap, reconnected.
      await events.open();
    } catch (e) {
      events.close();
      this.context!.log(`perf monitor: no Docker engine (${messageOf(e)}); containers not counted`);
      return;
    }
    this.engineEvents = events;
    await this.listContainers(docker);
  }

  /** Counts every running container that is a function instance (those already counted are skipped). */
  private async listContainers(docker: Dockerode): Promise<void> {
    try {
      const running = await docker.listContainers({
        abortSignal: AbortSignal.timeout(API_TIMEOUT_MS),
      });
      for (const c of running)
        await this.trackContainer(docker, c.Id, c.Names?.[0]?.replace(/^\//, ''), c.Labels);
    } catch (e) {
      this.context!.log(`perf monitor: listing containers failed (${messageOf(e)})`);
    }
  }

  private instanceOfContainer(containerId: string): string {
    for (const t of this.targets.values()) if (t.containerId === containerId) return t.instanceId;
    return '';
  }

  private async trackContainer(
    docker: Dockerode,
    id: string,
    name: string | undefined,
    labels: Record<string, string> | undefined,
  ): Promise<void> {
    const match = matchContainer(name, labels);
    if (match.instanceId === null || this.stopping) return;
    if (this.instanceOfContainer(id) !== '') return;
    try {
      const info = await docker
        .getContainer(id)
        .inspect({ abortSignal: AbortSignal.timeout(API_TIMEOUT_MS) });
      const pid = info.State?.Pid;
      const cgroup = pid ? processCgroup(pid, this.probe!.mount!) : undefined;
      if (cgroup === undefined || this.stopping) return; // stopped meanwhile
      this.counts.containers++;
      this.track(match.instanceId, match.functionName, id, null, { kind: 'cgroup', cgroup }, undefined);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404)
        this.context!.log(`perf monitor: container ${id.slice(0, 12)}: ${messageOf(e)}`);
    }
  }

  private track(
    instanceId: string,
    functionName: string | null,
    containerId: string | null,
    pid: number | null,
    scope: PerfScope,
    madeCgroup: string | undefined,
  ): void {
    if (this.targets.has(instanceId)) return;
    const probe = this.probe!;
    const counter = new PerfCounter(probe.perfPath, probe.supported, this.intervalMs, scope, (s) =>
      this.onSample(target, s),
    );
    const target: Target = {
      instanceId,
      functionName,
      containerId,
      pid,
      counter,
      madeCgroup,
      startedMs: performance.now(),
    };
    this.targets.set(instanceId, target);
    this.counts.instances++;
    void counter.exited.then(({ code, signal }) => {
      if (counter.stopped) return;
      // perf ended by itself: the instance's cgroup or process went away, or perf failed.
      this.counts.perfExits++;
      const messages = counter.messages;
      if (messages !== '' || (code !== 0 && code !== null)) {
        this.gaps.push({
          monitor: this.name,
          target: instanceId,
          fromUs: epochUs(),
          reason: `perf exited (${signal ?? `code ${code}`}): ${messages.split('\n').slice(-2).join(' ') || 'no message'}`,
        });
      }
      void this.untrack(instanceId);
    });
  }

  private onSample(t: Target, s: PerfSample): void {
    const t0 = performance.now();
    if (s.status === 'not-supported') {
      if (!this.unsupported.has(s.event)) {
        this.unsupported.set(s.event, 'perf: <not supported> while counting an instance');
        this.context!.log(`perf monitor: event ${s.event} is not supported here; not counted`);
      }
      return;
    }
    if (s.intervalUs <= 0) return;
    if (s.value === null) this.counts.notCountedRows++;
    this.writer!.add([
      {
        time: s.timeUs,
        interval_us: s.intervalUs,
        instance_id: t.instanceId,
        container_id: t.containerId,
        pid: t.pid,
        function: t.functionName,
        scope: t.counter.scope.kind,
        event: s.event,
        unit: s.unit,
        value: s.value,
        running_ns: s.runningNs,
        enabled_ns: s.enabledNs,
        scaled: s.share < 1,
      },
    ]);
    this.rows++;
    this.busyMs += performance.now() - t0;
  }

  private async untrack(instanceId: string): Promise<void> {
    const t = this.targets.get(instanceId);
    if (!t) return;
    this.targets.delete(instanceId);
    await t.counter.stop();
    this.finished.push(t);
    this.countedS += (performance.now() - t.startedMs) / 1000;
    this.perfCpuS += t.counter.cpuS ?? 0;
    if (t.madeCgroup && this.cgroups) {
      const problem = this.cgroups.release(t.madeCgroup);
      if (problem) this.context!.log(`perf monitor: ${problem}`);
    }
  }

  async stop(): Promise<PerfSummary> {
    this.stopping = true;
    this.channel?.close();
    this.engineEvents?.close();
    await Promise.all([...this.targets.keys()].map((id) => this.untrack(id)));
    const cleanupProblems = this.cgroups?.releaseAll() ?? [];
    const before = threadCpuS();
    let table: TableFact;
    try {
      const t = await this.writer!.close();
      table = { file: t.file, rows: t.rows, schemaVersion: PERF_SCHEMA_VERSION, columns: COUNTERS_COLUMNS };
    } finally {
      const after = threadCpuS();
      if (before !== null && after !== null) closing.cpuS += after - before;
    }
    const probe = this.probe!;
    const unsupported = [...this.unsupported].map(([event, reason]) => ({ event, reason }));
    return {
      name: this.name,
      tables: { counters: table },
      // A tick here is one perf interval of one instance (all its events).
      ticks: Math.round(this.finished.reduce((n, t) => n + t.counter.lines, 0) / probe.supported.length),
      skippedTicks: 0,
      rows: this.rows,
      tickLateUs: null,
      busyS: this.busyMs / 1000,
      targetSamples: 0,
      gaps: this.gaps,
      counts: { ...this.counts },
      perf: {
        version: probe.version,
        intervalMs: this.intervalMs,
        requested: probe.requested,
        counted: probe.supported.filter((e) => !this.unsupported.has(e)),
        unsupported,
        processScope: this.processScope,
        cgroupHierarchy:
          probe.systemWide && probe.mount ? `${probe.mount.path} (v${probe.mount.version})` : null,
        instances: this.counts.instances,
        perfProcesses: this.finished.length,
        perfCpuS: this.perfCpuS,
        countedS: this.countedS,
        perfCpuShare: this.countedS > 0 ? this.perfCpuS / this.countedS : null,
        cleanupProblems,
      },
    };
  }
}

/**
 * The perf monitor of a run (set.ts's createMonitors): probes perf first, so that a missing
 * binary, an unknown event or no permission fails the run before it starts (E_USAGE). Counts
 * containers too when a Docker engine answers.
 */
export async function createPerfMonitor(settings: {
  perfEvents?: readonly string[] | undefined;
  perfIntervalMs?: number | undefined;
}): Promise<PerfMonitor> {
  const probe = await probePerf(settings.perfEvents ?? PERF_DEFAULT_EVENTS);
  const { connectDocker } = await import('../embedded/docker/engine.js');
  return new PerfMonitor({
    probe,
    docker: connectDocker(),
    ...(settings.perfIntervalMs !== undefined ? { intervalMs: settings.perfIntervalMs } : {}),
  });
}
