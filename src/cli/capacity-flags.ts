import type { Argv } from 'yargs';
import { DEFAULT_MEMORY_CLASSES_MB, parseMemoryClasses } from '../embedded/local/memory.js';
import type { LocalPlatformOptions } from '../embedded/local/options.js';
import { messageOf } from '../util/message.js';
import { durationFlag } from './plan-flags.js';

/** The embedded platform's pool: its memory size classes and budget (also for `schedule --capacity`). */
export function poolFlags<T>(y: Argv<T>, group?: string) {
  return y.options({
    'memory-classes': {
      type: 'string',
      default: DEFAULT_MEMORY_CLASSES_MB.join(','),
      describe:
        "Embedded platform: memory size classes (MB, ascending); an instance's limit is the smallest at or above its function's memory (OpenWhisk's 128-512 MB, doubled up to 4096)",
      ...(group ? { group } : {}),
    },
    'pool-memory': {
      type: 'number',
      describe:
        "Embedded platform: MB the memory limits of live instances add up to at most; past it idle ones are evicted (least recently used) or invocations wait. Default: half the host's memory",
      ...(group ? { group } : {}),
    },
  });
}

/** The embedded platform's capacity rules, the same for `replay` and `platform start`. */
export function capacityFlags<T>(y: Argv<T>, group?: string) {
  return poolFlags(y, group).options({
    'max-starting': {
      type: 'number',
      describe:
        'Embedded platform: cold starts under way at once, all functions together. Default: one per CPU (process), four per CPU (docker)',
      ...(group ? { group } : {}),
    },
    'max-time-limit': {
      type: 'string',
      default: '5m',
      describe:
        "Embedded platform: a function whose trace durations pass --timeout gets a time limit that covers them (1.5 x its longest + 1 s), up to this (OpenWhisk's largest action timeout)",
      ...(group ? { group } : {}),
    },
  });
}

type CapacityOptions = Pick<
  LocalPlatformOptions,
  'memoryClassesMb' | 'maxTimeLimitMs' | 'poolMemoryMb' | 'maxStarting'
>;

export interface CapacityArgs extends PoolArgs {
  'max-starting'?: number | undefined;
  'max-time-limit': string;
}

/** The capacity options the flags give; problems go to `errors`. */
export function toCapacityOptions(args: CapacityArgs, errors: string[]): CapacityOptions {
  const o: CapacityOptions = {};
  Object.assign(o, toPoolOptions(args, errors));
  const capUs = durationFlag(args['max-time-limit'], '--max-time-limit', errors);
  if (capUs !== undefined) o.maxTimeLimitMs = capUs / 1000;
  const v = args['max-starting'];
  if (v !== undefined) {
    if (Number.isInteger(v) && v > 0) o.maxStarting = v;
    else errors.push(`--max-starting: expected a positive integer, got ${v}`);
  }
  return o;
}

export interface PoolArgs {
  'memory-classes': string;
  'pool-memory'?: number | undefined;
}

/** The pool options the flags give; problems go to `errors`. */
export function toPoolOptions(
  args: PoolArgs,
  errors: string[],
): Pick<LocalPlatformOptions, 'memoryClassesMb' | 'poolMemoryMb'> {
  const o: Pick<LocalPlatformOptions, 'memoryClassesMb' | 'poolMemoryMb'> = {};
  try {
    o.memoryClassesMb = parseMemoryClasses(args['memory-classes']);
  } catch (e) {
    errors.push(messageOf(e));
  }
  const v = args['pool-memory'];
  if (v !== undefined) {
    if (Number.isInteger(v) && v > 0) o.poolMemoryMb = v;
    else errors.push(`--pool-memory: expected a positive integer, got ${v}`);
  }
  return o;
}
