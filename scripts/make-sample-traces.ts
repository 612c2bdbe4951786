/**
 * Writes the bundled synthetic sample traces:
 *   traces/sample-azure2021.csv   30 functions, 600 invocations over 600 s, seed 1
 *   traces/sample-azure2019/      20 functions, 10 minutes, 300 invocations, seed 1 (In-Vitro layout)
 * Run after `npx tsc -p tsconfig.json` as `node dist/scripts/make-sample-traces.js [out-dir]`
 * (default: the repository's traces/). The output is deterministic: a test checks that the
 * committed files equal what this script makes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { synthesizeAzure2019, synthesizeAzure2021 } from '../src/trace/synth.js';

export const SAMPLE_AZURE2021 = { seed: 1, functions: 30, apps: 12, spanS: 600, invocations: 600 };
export const SAMPLE_AZURE2019 = { seed: 1, functions: 20, apps: 8, minutes: 10, invocations: 300 };

/** The sample files, keyed by path relative to the traces folder. */
export function sampleTraceFiles(): Record<string, string> {
  const azure2019 = synthesizeAzure2019(SAMPLE_AZURE2019);
  return {
    'sample-azure2021.csv': synthesizeAzure2021(SAMPLE_AZURE2021),
    'sample-azure2019/invocations.csv': azure2019.invocations,
    'sample-azure2019/durations.csv': azure2019.durations,
    'sample-azure2019/memory.csv': azure2019.memory,
  };
}

async function main(): Promise<void> {
  // This file runs from dist/scripts/: the repository is two folders up.
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const outDir = resolve(process.argv[2] ?? join(repo, 'traces'));
  for (const [name, text] of Object.entries(sampleTraceFiles())) {
    const path = join(outDir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    console.log(`wrote ${path}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
