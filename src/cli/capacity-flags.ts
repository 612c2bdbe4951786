import type { Argv } from 'yargs';
import { DEFAULT_MEMORY_CLASSES_MB, parseMemoryClasses } from '../platforms/local/memory.js';
import type { LocalPlatformOptions } from '../platforms/local/options.js';

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
  });
}

export interface CapacityArgs {
  'memory-classes': string;
}

/** The capacity options the flags give; problems go to `errors`. */
export function toCapacityOptions(
  args: CapacityArgs,
  errors: string[],
): Pick<LocalPlatformOptions, 'memoryClassesMb'> {
  try {
    return { memoryClassesMb: parseMemoryClasses(args['memory-classes']) };
  } catch (e) {
    errors.push((e as Error).message);
    return {};
  }
}
