/**
 * Runs one load generator under GNU time (/usr/bin/time -f '%U %S'), bounded in time: the CPU
 * seconds (user + sys) of its process and every child it waited for, its output, its exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  return { code, stdout, stderr, cpuS, wallS, killed };
}
