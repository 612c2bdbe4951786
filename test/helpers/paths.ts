import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The real public trace samples, bundled in traces/ (unmodified copies; source, licence and how
 * they were cut in traces/README.md). Tests read nothing outside the repository.
 */
export const TRACES = resolve(REPO_ROOT, 'traces');
export const AZURE2019_DIR = resolve(TRACES, 'azure2019-100fn-8h');
export const AZURE2021_FILE = resolve(TRACES, 'azure2021-200', 'Azure2021_200.csv');

/** Small files the tests need that are not traces (the OpenWhisk API description). */
export const FIXTURES = resolve(REPO_ROOT, 'test', 'fixtures');
export const OPENWHISK_SWAGGER = resolve(FIXTURES, 'openwhisk', 'apiv1swagger.json');
