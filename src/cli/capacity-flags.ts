import type { Argv } from 'yargs';
import { DEFAULT_MEMORY_CLASSES_MB, parseMemoryClasses } from '../platforms/local/memory.js';
import type { LocalPlatformOptions } from '../platforms/local/options.js';
import { durationFlag } from './plan-flags.js';

/** The embedded platform's capacity rules, the same for `replay` and `platform start`. */
export function capacityFlags<T>(y: Argv<T>, group?: string) {
  return y.options({
    'memory-classes': {
      type: 'string',
      default: DEFAULT_MEMORY_CLASSES_MB.join(','),
      describe:
        "Embedded platform: memory size classes (MB, ascending); an instance's limit is the smallest at or above its function's memory (OpenWhisk's 128-512 MB, doubled up to 4096)",
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

export interface CapacityArgs {
  'memory-classes': string;
  'max-time-limit': string;
}

/** The capacity options the flags give; problems go to `errors`. */
export function toCapacityOptions(
  args: CapacityArgs,
  errors: string[],
): Pick<LocalPlatformOptions, 'memoryClassesMb' | 'maxTimeLimitMs'> {
  const o: Pick<LocalPlatformOptions, 'memoryClassesMb' | 'maxTimeLimitMs'> = {};
  try {
    o.memoryClassesMb = parseMemoryClasses(args['memory-classes']);
  } catch (e) {
    errors.push((e as Error).message);
  }
  const capUs = durationFlag(args['max-time-limit'], '--max-time-limit', errors);
  if (capUs !== undefined) o.maxTimeLimitMs = capUs / 1000;
  return o;
}
