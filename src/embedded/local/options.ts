/** The local platform's options: one typed object, its defaults in one place, validated at once. */
import { availableParallelism, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { FaasloadError } from '../../errors.js';
import { MAX_TIMER_MS } from '../../platforms/option-checks.js';
import { DEFAULT_MEMORY_CLASSES_MB, memoryClassProblems } from './memory.js';
import { RUNTIME_CHOICES, type RuntimeChoice } from './runtime.js';

export interface LocalPlatformOptions {
  /** How long an instance may stay idle before it is killed; Infinity keeps it. Default 600 000 (10 min). */
  keepAliveMs?: number;
  /**
   * Time limit of one /init and of one /run (OpenWhisk's action time limit). Past it the outcome
   * is 'timeout' and the instance is killed. Default 60 000.
   */
  invokeTimeoutMs?: number;
  /**
   * The platform's cap on a function's time limit. A function whose invocations ask for longer
   * durations than invokeTimeoutMs gets a limit that covers them (see LocalPlatform), up to this.
   * Default 300 000: OpenWhisk's largest action timeout (5 minutes).
   */
  maxTimeLimitMs?: number;
  /** Time limit from spawning an instance to its proxy's ready line. Default 10 000. */
  startTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL when an instance is killed. Default 1 000. */
  killGraceMs?: number;
  /**
   * Instances alive at most, all functions together (a host's capacity). Past it an invocation
   * waits in a FIFO queue (its waitMs) until an instance of its function is free, or an idle one
   * of another function can be removed to make room. Default 64.
   */
  maxInstances?: number;
  /**
   * The pool's memory (MB): the memory limits of live instances add up to this at most; past it
   * idle instances are evicted, least recently used first, to make room, or the invocation waits
   * (waitReason memory). Default: POOL_MEMORY_SHARE of the host's memory.
   */
  poolMemoryMb?: number;
  /**
   * Cold starts under way at once, all functions together; past it a cold start waits for a slot
   * (waitReason start_slot). Default defaultMaxStarting(runtime): process starts are CPU-bound
   * (node's boot), so one per CPU; container starts wait mostly on the engine (create on vfs
   * copies the image), so START_SLOTS_PER_CPU_DOCKER per CPU. Measured on a 2-CPU machine, 16
   * cold starts of different functions: process 3.0 starts/s with 1 slot, 4.9 with 2, 4.6 with 4,
   * 4.8 with 8; docker 1.4 with 1, 1.5 with 2, 1.9 with 4, 3.0 with 8.
   */
  maxStarting?: number;
  /**
   * Niceness of instance processes, 0 to 19. Default 10: the harness keeps precedence for the CPU
   * over the functions when both share a machine, so its timers stay on time.
   */
  nice?: number;
  /** The node binary that runs instances. Default: the one running faasload (process.execPath). */
  nodePath?: string;
  /** The compiled runtime proxy. Default: dist/src/embedded/runtime/proxy.js beside this module. */
  proxyPath?: string;
  /** Child processes, Docker containers, or containers when an engine answers. Default 'process'. */
  runtime?: RuntimeChoice;
  /** Idle instances of each function started at deploy (a provisioned pool). Default 0. */
  prewarm?: number;
  /**
   * Memory size classes in MB, ascending: an instance's memory limit is the smallest class at or
   * above its function's memory (see memory.ts). Default DEFAULT_MEMORY_CLASSES_MB.
   */
  memoryClassesMb?: readonly number[];
  /**
   * How process instances are held to their memory limit: their own memory cgroup where this
   * process may make one, else an RSS watchdog ('auto'); or one of them (for tests). Default auto.
   */
  processMemoryLimit?: 'auto' | 'cgroup' | 'watchdog';
}

/**
 * The default pool is this share of the host's memory: the rest is left to the harness, the
 * engine and the page cache (OpenWhisk's invoker likewise gives functions a set user memory).
 */
export const POOL_MEMORY_SHARE = 0.5;

/** The default pool of a host with `memoryBytes` of memory (default: this one's). */
export function defaultPoolMemoryMb(memoryBytes = totalmem()): number {
  return Math.floor((memoryBytes * POOL_MEMORY_SHARE) / (1024 * 1024));
}

/** Container cold starts under way at once, per CPU, by default (see maxStarting). */
export const START_SLOTS_PER_CPU_DOCKER = 4;

/** The default number of start slots for a runtime on a host with `cpus` CPUs (default: this one's). */
export function defaultMaxStarting(runtime: 'process' | 'docker', cpus = availableParallelism()): number {
  return cpus * (runtime === 'docker' ? START_SLOTS_PER_CPU_DOCKER : 1);
}

export type ResolvedLocalOptions = Required<LocalPlatformOptions>;

/** Node's timers overflow (and fire at once) past this many milliseconds. */

export const LOCAL_PLATFORM_DEFAULTS = {
  keepAliveMs: 600_000,
  invokeTimeoutMs: 60_000,
  maxTimeLimitMs: 300_000,
  startTimeoutMs: 10_000,
  killGraceMs: 1_000,
  maxInstances: 64,
  nice: 10,
  runtime: 'process',
  prewarm: 0,
  memoryClassesMb: DEFAULT_MEMORY_CLASSES_MB,
  processMemoryLimit: 'auto',
} as const;

/** The proxy compiled beside this module: dist/src/embedded/local/ → dist/src/embedded/runtime/proxy.js. */
export function defaultProxyPath(): string {
  return fileURLToPath(new URL('../runtime/proxy.js', import.meta.url));
}

/** Fills in the defaults; throws one E_USAGE error naming every invalid option. */
export function resolveLocalOptions(options: LocalPlatformOptions = {}): ResolvedLocalOptions {
  const resolved: ResolvedLocalOptions = {
    keepAliveMs: options.keepAliveMs ?? LOCAL_PLATFORM_DEFAULTS.keepAliveMs,
    invokeTimeoutMs: options.invokeTimeoutMs ?? LOCAL_PLATFORM_DEFAULTS.invokeTimeoutMs,
    maxTimeLimitMs: options.maxTimeLimitMs ?? LOCAL_PLATFORM_DEFAULTS.maxTimeLimitMs,
    startTimeoutMs: options.startTimeoutMs ?? LOCAL_PLATFORM_DEFAULTS.startTimeoutMs,
    killGraceMs: options.killGraceMs ?? LOCAL_PLATFORM_DEFAULTS.killGraceMs,
    maxInstances: options.maxInstances ?? LOCAL_PLATFORM_DEFAULTS.maxInstances,
    maxStarting: options.maxStarting ?? availableParallelism(),
    poolMemoryMb: options.poolMemoryMb ?? defaultPoolMemoryMb(),
    nice: options.nice ?? LOCAL_PLATFORM_DEFAULTS.nice,
    nodePath: options.nodePath ?? process.execPath,
    proxyPath: options.proxyPath ?? defaultProxyPath(),
    runtime: options.runtime ?? LOCAL_PLATFORM_DEFAULTS.runtime,
    prewarm: options.prewarm ?? LOCAL_PLATFORM_DEFAULTS.prewarm,
    memoryClassesMb: options.memoryClassesMb ?? LOCAL_PLATFORM_DEFAULTS.memoryClassesMb,
    processMemoryLimit: options.processMemoryLimit ?? LOCAL_PLATFORM_DEFAULTS.processMemoryLimit,
  };
  const problems: string[] = [];
  if (!Number.isInteger(resolved.nice) || resolved.nice < 0 || resolved.nice > 19) {
    problems.push(`nice: ${String(resolved.nice)} is not an integer in [0, 19]`);
  }
  for (const name of ['maxInstances', 'maxStarting', 'poolMemoryMb'] as const) {
    const v = resolved[name];
    if (!Number.isInteger(v) || v < 1) problems.push(`${name}: ${String(v)} is not a positive integer`);
  }
  if (!Number.isInteger(resolved.prewarm) || resolved.prewarm < 0)
    problems.push(`prewarm: ${String(resolved.prewarm)} is not an integer >= 0`);
  const checkMs = (
    name: 'keepAliveMs' | 'invokeTimeoutMs' | 'maxTimeLimitMs' | 'startTimeoutMs' | 'killGraceMs',
    min: number,
    infinityOk: boolean,
  ) => {
    const v = resolved[name];
    const ok =
      typeof v === 'number' && v >= min && (Number.isFinite(v) ? v <= MAX_TIMER_MS : infinityOk && v > 0);
    if (!ok) {
      problems.push(
        `${name}: ${String(v)} is not a number of milliseconds in [${min}, ${MAX_TIMER_MS}]${infinityOk ? ' or Infinity' : ''}`,
      );
    }
  };
  checkMs('keepAliveMs', 0, true);
  checkMs('invokeTimeoutMs', 1, false);
  checkMs('maxTimeLimitMs', 1, false);
  checkMs('startTimeoutMs', 1, false);
  checkMs('killGraceMs', 0, false);
  if (typeof resolved.nodePath !== 'string' || resolved.nodePath === '') problems.push('nodePath: empty');
  if (typeof resolved.proxyPath !== 'string' || resolved.proxyPath === '') problems.push('proxyPath: empty');
  if (!RUNTIME_CHOICES.includes(resolved.runtime))
    problems.push(`runtime: '${String(resolved.runtime)}' is not one of ${RUNTIME_CHOICES.join(', ')}`);
  problems.push(...memoryClassProblems(resolved.memoryClassesMb));
  if (!['auto', 'cgroup', 'watchdog'].includes(resolved.processMemoryLimit))
    problems.push(
      `processMemoryLimit: '${String(resolved.processMemoryLimit)}' is not auto, cgroup or watchdog`,
    );
  if (problems.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid local platform options: ${problems.join('; ')}`);
  }
  return resolved;
}
