/**
 * The dispatcher's young generation. At 2,000 invocations/s over HTTP the replay's main thread
 * allocates some 11 MB/s, so with V8's default semi-space (16 MB on 64-bit) it stops for a
 * scavenge more than once a second, and each pause delays the arrivals due meanwhile. A larger
 * semi-space makes scavenges rarer without making each longer (a scavenge's cost follows what
 * survives it, the invocations in flight, not the space's size); it costs about twice its size in
 * resident memory, for each thread that allocates that much (V8's flags hold for the worker
 * threads too: the dataset writer's).
 *
 * V8 sizes the young generation when the process starts: v8.setFlagsFromString() afterwards has
 * no effect. So bin/faasload.js starts `replay` again in a child node with --min-semi-space-size
 * and --max-semi-space-size (relaunchArgs decides, relaunch runs it), unless the user sized it
 * already (node flags or NODE_OPTIONS) or asked for node's default (--semi-space-mb 0).
 *
 * This module is loaded by the bin before anything else: it imports nothing heavy.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { RELAUNCHED_ENV, SEMI_SPACE_DEFAULT_MB, validSemiSpaceMb } from '../run/young-generation.js';

const NODE_SIZING = /^--(max|min)[-_]semi[-_]space[-_]size(=|$)/;

/** The value of `--semi-space-mb` in the command's arguments, or undefined when not given. */
function semiSpaceFlag(args: readonly string[]): string | undefined {
  for (const [i, a] of args.entries()) {
    if (a === '--') return undefined;
    if (a === '--semi-space-mb') return args[i + 1] ?? '';
    if (a.startsWith('--semi-space-mb=')) return a.slice('--semi-space-mb='.length);
  }
  return undefined;
}

/** This process's LaunchContext. */
export function launchContext(): LaunchContext {
  return {
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
    relaunched: process.env[RELAUNCHED_ENV],
  };
}

export interface LaunchContext {
  /** process.execArgv: the node flags this process runs with. */
  execArgv: readonly string[];
  /** process.env.NODE_OPTIONS. */
  nodeOptions: string | undefined;
  /** process.env[RELAUNCHED_ENV]. */
  relaunched: string | undefined;
}

/**
 * The node flags to start `args` (the command line after the script) again with, or undefined to
 * run it in this process: only `replay` is relaunched, and not for --help, not when the user set
 * the semi-space through node already, not with --semi-space-mb 0, not from a relaunched child.
 * An invalid --semi-space-mb is left for the command's own validation (it runs here, unlaunched).
 */
export function relaunchArgs(args: readonly string[], ctx: LaunchContext): string[] | undefined {
  if (args[0] !== 'replay' || ctx.relaunched !== undefined) return undefined;
  if (args.some((a) => a === '--help' || a === '-h')) return undefined;
  const nodeFlags = [...ctx.execArgv, ...(ctx.nodeOptions ?? '').split(/\s+/)];
  if (nodeFlags.some((f) => NODE_SIZING.test(f))) return undefined;
  const given = semiSpaceFlag(args);
  const mb = given === undefined ? SEMI_SPACE_DEFAULT_MB : Number(given);
  if (given === '' || !validSemiSpaceMb(mb) || mb === 0) return undefined;
  return [`--min-semi-space-size=${mb}`, `--max-semi-space-size=${mb}`];
}

/**
 * Runs `script args` in a child node with `nodeFlags` (after this process's own), stdio shared,
 * and exits with its exit code (128 + the signal's number if a signal ended it). The child runs in
 * a session of its own so that a terminal's Ctrl-C reaches it once, forwarded from here, as a
 * `kill` of this process does (the replay stops at the first SIGINT and aborts at the second).
 * If this process dies without forwarding (SIGKILL), the child sees its IPC channel close and
 * dies too (watchLauncher).
 */
export function relaunch(script: string, args: readonly string[], nodeFlags: readonly string[]): void {
  const child = spawn(process.execPath, [...process.execArgv, ...nodeFlags, script, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED_ENV]: '1' },
    detached: true,
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
  child.on('error', (err) => {
    process.stderr.write(`faasload: could not start node again for the replay: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}

/**
 * In a relaunched child: die at once, as the launcher did, when it goes away without passing a
 * signal on (SIGKILL: its IPC channel closes), so that `kill -9` of the process a user started
 * still ends the run on the spot (the dataset then needs `faasload dataset recover`). The channel
 * does not hold the process open.
 */
export function watchLauncher(): void {
  if (process.env[RELAUNCHED_ENV] === undefined || process.channel === undefined) return;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
