/**
 * One `perf stat` process counting one instance: spawned with the events and the interval, its
 * interval lines parsed as they arrive and handed over with epoch times.
 *
 * Times: perf prints each interval's end as seconds since it enabled its counters, not as a wall
 * time. That start is estimated as the least (arrival time - printed time) over the lines seen so
 * far: a line can only arrive after it was printed, so the estimate is late by the smallest pipe
 * delay observed (well under a millisecond on an idle monitor thread) and only gets better.
 *
 * stop() sends SIGINT (perf then prints the partial last interval and exits), SIGKILL after
 * STOP_GRACE_MS. perf's own CPU time is read from /proc before it is stopped, for the cost.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { epochUs } from '../util/time.js';
import { PERF_SEPARATOR, type PerfLine, parsePerfLine } from './perf-csv.js';

const STOP_GRACE_MS = 2_000;
const STDERR_TAIL_CHARS = 2_000;

/** What perf counts: a cgroup (system-wide, -a -G) or a process's threads (-p). */
export type PerfScope = { kind: 'cgroup'; cgroup: string } | { kind: 'pid'; pid: number };

export interface PerfSample extends PerfLine {
  /** Interval end, epoch µs (see the module comment). */
  timeUs: number;
  /** Interval length, µs. */
  intervalUs: number;
}

/** The command line for one scope. */
export function perfArgs(events: readonly string[], intervalMs: number, scope: PerfScope): string[] {
  const common = ['stat', '-x', PERF_SEPARATOR, '-I', String(intervalMs), '-e', events.join(',')];
  // -G pairs each event with a cgroup: the same cgroup repeated for every event.
  return scope.kind === 'cgroup'
    ? [...common, '-a', '-G', events.map(() => scope.cgroup).join(',')]
    : [...common, '-p', String(scope.pid)];
}

/** CPU time (user + system) of a live process, seconds; null when gone. */
export function processCpuS(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export class PerfCounter {
  private readonly child: ChildProcess;
  private buffered = '';
  private originUs = Number.POSITIVE_INFINITY;
  private readonly lastRelS = new Map<string, number>();
  private stderrTail = '';
  private stopping = false;
  /** perf's CPU time, seconds, read just before stop. */
  cpuS: number | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  lines = 0;

  constructor(
    perfPath: string,
    events: readonly string[],
    intervalMs: number,
    readonly scope: PerfScope,
    private readonly onSample: (sample: PerfSample) => void,
  ) {
    this.child = spawn(perfPath, perfArgs(events, intervalMs, scope), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.stderrTail += `\n${e.message}`;
        resolve({ code: null, signal: null });
      });
      this.child.once('close', (code, signal) => resolve({ code, signal }));
    });
    // perf stat writes its counts to stderr.
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => this.onData(chunk));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** perf's last non-count output (its error messages). */
  get messages(): string {
    return this.stderrTail.trim();
  }

  /** True once stop() was called: an exit is then expected. */
  get stopped(): boolean {
    return this.stopping;
  }

  private onData(chunk: string): void {
    const arrivedUs = epochUs();
    this.buffered += chunk;
    let nl = this.buffered.indexOf('\n');
    const parsed: PerfLine[] = [];
    while (nl >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const p = parsePerfLine(line, this.scope.kind === 'cgroup');
      if (p) {
        parsed.push(p);
        this.originUs = Math.min(this.originUs, arrivedUs - Math.round(p.relS * 1e6));
      } else if (line.trim() !== '') {
        this.stderrTail = `${this.stderrTail}\n${line}`.slice(-STDERR_TAIL_CHARS);
      }
      nl = this.buffered.indexOf('\n');
    }
    for (const p of parsed) {
      this.lines++;
      const prev = this.lastRelS.get(p.event) ?? 0;
      this.lastRelS.set(p.event, p.relS);
      this.onSample({
        ...p,
        timeUs: this.originUs + Math.round(p.relS * 1e6),
        intervalUs: Math.round((p.relS - prev) * 1e6),
      });
    }
  }

  /** Stops counting (the last partial interval is delivered) and resolves once perf has exited. */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      if (this.child.pid !== undefined) this.cpuS = processCpuS(this.child.pid);
      this.child.kill('SIGINT');
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.child.kill('SIGKILL');
          resolve();
        }, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    await this.exited;
  }
}
