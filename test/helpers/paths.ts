import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The real public trace samples live beside the repository in ../shared/traces (never copied
 * into it). FAASLOAD_SHARED points elsewhere when the layout differs.
 */
export const SHARED = resolve(process.env.FAASLOAD_SHARED ?? resolve(REPO_ROOT, '..', 'shared'));
export const SHARED_TRACES = resolve(SHARED, 'traces');
export const AZURE2019_DIR = resolve(SHARED_TRACES, 'azure2019-100fn-8h');
export const AZURE2021_FILE = resolve(SHARED_TRACES, 'azure2021-200', 'Azure2021_200.csv');

if (!existsSync(SHARED_TRACES)) {
  throw new Error(`the shared trace samples are not at ${SHARED_TRACES}: set FAASLOAD_SHARED`);
}
