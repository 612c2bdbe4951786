import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FaasloadError } from '../errors.js';

/** A run id: UTC start time plus the trace's name, e.g. 20261129T101233Z-azure2021-200. */
export function makeRunId(tracePath: string, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const name = basename(tracePath)
    .replace(/\.[^.]+$/, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-');
  return `${stamp}-${name}`;
}

/**
 * Creates the run folder. An explicit `out` may exist but must be empty, so that one run never
 * mixes with another; the default results/<run-id> gets a numeric suffix if taken.
 */
export async function createRunDir(
  out: string | undefined,
  resultsDir: string,
  runId: string,
): Promise<string> {
  if (out !== undefined) {
    if (existsSync(out) && (await readdir(out)).length > 0) {
      throw new FaasloadError('E_USAGE', `--out ${out}: the folder is not empty; pick a new one`);
    }
    await mkdir(out, { recursive: true });
    return out;
  }
  for (let n = 1; ; n++) {
    const dir = join(resultsDir, n === 1 ? runId : `${runId}-${n}`);
    if (!existsSync(dir)) {
      await mkdir(dir, { recursive: true });
      return dir;
    }
  }
}
