/**
 * Memory size classes of the embedded platform: a function's trace memory is the resident
 * footprint of its instance while it runs (runtime included); the instance's memory limit is the
 * smallest size class at or above it, as a platform offers a few memory sizes to choose from.
 *
 * Default classes: OpenWhisk's action memory limits (docs/reference.md of apache/openwhisk,
 * "Per action memory": from 128 MB, default 256 MB, to 512 MB) in powers of two, continued by
 * doubling up to 4096 MB, the largest action memory of Adobe I/O Runtime (an OpenWhisk
 * deployment: "memory ... 128MB - 4096MB"), for trace functions bigger than OpenWhisk's 512 MB.
 * A function above the largest class gets its own memory, rounded up to a whole MB.
 */
import { FaasloadError } from '../../errors.js';

export const DEFAULT_MEMORY_CLASSES_MB: readonly number[] = [128, 256, 512, 1024, 2048, 4096];

/** A function with no memory in its trace gets OpenWhisk's default action memory. */
export const DEFAULT_FUNCTION_MEMORY_MB = 256;

/** The memory limit of an instance of a function whose trace memory is `memoryMb` (MB). */
export function sizeClassMb(memoryMb: number | undefined, classesMb: readonly number[]): number {
  const need = memoryMb === undefined || !(memoryMb > 0) ? DEFAULT_FUNCTION_MEMORY_MB : memoryMb;
  for (const c of classesMb) if (c >= need) return c;
  return Math.ceil(need);
}

/** Problems with a list of classes (empty if none): positive integers, ascending, no repeats. */
export function memoryClassProblems(classesMb: readonly number[]): string[] {
  if (classesMb.length === 0) return ['memoryClassesMb: empty'];
  const problems: string[] = [];
  classesMb.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 1)
      problems.push(`memoryClassesMb: ${String(c)} is not a positive integer`);
    else if (i > 0 && !(c > classesMb[i - 1]!))
      problems.push(
        `memoryClassesMb: ${c} does not come after ${String(classesMb[i - 1])} in ascending order`,
      );
  });
  return problems;
}

/** `--memory-classes 128,256,512` → [128, 256, 512]; throws E_USAGE naming the bad entry. */
export function parseMemoryClasses(text: string, flag = '--memory-classes'): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  const bad = parts.find((_, i) => !Number.isInteger(values[i]));
  if (bad !== undefined)
    throw new FaasloadError('E_USAGE', `${flag}: '${bad}' is not a whole number of MB (e.g. 128,256,512)`);
  const problems = memoryClassProblems(values);
  if (problems.length > 0) throw new FaasloadError('E_USAGE', `${flag}: ${problems.join('; ')}`);
  return values;
}
