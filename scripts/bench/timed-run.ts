/**
 * Runs one load generator under GNU time (/usr/bin/time -f '%U %S'), bounded in time: the CPU
 * seconds (user + sys) of its process and every child it waited for, its output, its exit code,
 * and the CPU of its process tree sampled every CPU_SAMPLE_MS from /proc while it runs (Linux), so
 * that the steady state can be told apart from start-up.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface TimedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** user + sys of the tool's process tree; null without GNU time. */
  cpuS: number | null;
  wallS: number;
  killed: boolean;
  /** CPU seconds of the live process tree at epoch times, ascending; empty without /proc. */
  cpuSamples: CpuSample[];
}

export interface CpuSample {
  atUs: number;
  cpuS: number;
}

const CPU_SAMPLE_MS = 100;
/** /proc/PID/stat times are in clock ticks: 100 per second on Linux. */
const TICKS_PER_S = 100;

/** user + sys (+ waited-for children) of `root` and its descendants, from /proc; null without /proc. */
export function treeCpuS(root: number): number | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      // The command name (field 2) may hold spaces: the fields after it start past its ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(pid), Number(f[1]));
      ticks.set(Number(pid), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const inTree = (pid: number): boolean => {
    for (let p = pid, depth = 0; p > 1 && depth < 64; p = parent.get(p) ?? 0, depth++)
      if (p === root) return true;
    return false;
  };
  for (const [pid, t] of ticks) if (inTree(pid)) total += t;
  return total / TICKS_PER_S;
}

/** CPU seconds between two epoch times, interpolated linearly between samples; null if out of range. */
export function cpuBetween(samples: readonly CpuSample[], fromUs: number, toUs: number): number | null {
  const at = (us: number): number | null => {
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1]!;
      const b = samples[i]!;
      if (us >= a.atUs && us <= b.atUs)
        return b.atUs === a.atUs ? b.cpuS : a.cpuS + ((b.cpuS - a.cpuS) * (us - a.atUs)) / (b.atUs - a.atUs);
    }
    return null;
  };
  const from = at(fromUs);
  const to = at(toUs);
  return from === null || to === null ? null : to - from;
}

export interface RunOptions {
  /** Past this the tool gets SIGINT (GNU time ignores it and still reports), then SIGKILL. */
  timeoutS: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

let runs = 0;

export async function timedRun(cmd: string, args: string[], o: RunOptions): Promise<TimedRun> {
  const timeFile = join(tmpdir(), `faasload-bench-time-${process.pid}-${runs++}`);
  const withTime = existsSync(GNU_TIME);
  const [file, argv] = withTime ? [GNU_TIME, ['-f', '%U %S', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  // Its own process group, so that a timeout reaches the tool and all its children.
  const child = spawn(file, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...o.env },
    cwd: o.cwd,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const cpuSamples: CpuSample[] = [];
  const sampler = setInterval(() => {
    const cpuS = child.pid === undefined ? null : treeCpuS(child.pid);
    if (cpuS !== null) cpuSamples.push({ atUs: Date.now() * 1000, cpuS });
  }, CPU_SAMPLE_MS);
  let killed = false;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  const soft = setTimeout(() => {
    killed = true;
    signal('SIGINT');
  }, o.timeoutS * 1000);
  const hard = setTimeout(() => signal('SIGKILL'), (o.timeoutS + 15) * 1000);
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      stderr += String(err);
      resolve(null);
    });
    child.on('close', (c) => resolve(c));
  });
  clearInterval(sampler);
  clearTimeout(soft);
  clearTimeout(hard);
  const wallS = (performance.now() - t0) / 1000;
  let cpuS: number | null = null;
  if (withTime) {
    const text = await readFile(timeFile, 'utf8').catch(() => '');
    // On a signal GNU time writes "Command terminated by signal N" first; the numbers are last.
    const [user, sys] = text.trim().split('\n').at(-1)!.split(' ').map(Number);
    if (Number.isFinite(user) && Number.isFinite(sys)) cpuS = user! + sys!;
    await rm(timeFile, { force: true });
  }
  return { code, stdout, stderr, cpuS, wallS, killed, cpuSamples };
}
