/**
 * The parts of a machine some tests need beyond Node (a Docker engine, perf, Chromium, the Python
 * Parquet readers, root for mounts), how to tell whether they are here, and what a test does when
 * one is not: it says so on stderr and skips; under CI (process.env.CI) it fails instead, so a
 * missing install step cannot pass unseen. `npm test` runs test/preflight.ts first, which says
 * once, loudly, which tests cannot run on this machine and why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { connectDocker, detectEngine } from '../../src/embedded/docker/index.js';
import { REPO_ROOT } from './paths.js';

export type Tool = 'docker' | 'perf' | 'chromium' | 'python' | 'root';

/** What each tool is for and how to install it; the probe says why it is missing, or undefined. */
export const TOOLS: Record<Tool, { install: string; probe: () => Promise<string | undefined> }> = {
  docker: {
    install: 'scripts/ensure-docker.sh, as root (apt docker.io, dockerd started as this project needs it)',
    probe: async () => {
      const engine = await detectEngine(connectDocker(), 3_000);
      return engine.available ? undefined : engine.reason;
    },
  },
  perf: {
    install: 'scripts/ensure-tools.sh (apt linux-perf)',
    probe: async () => (runs('perf', ['--version']) ? undefined : "no working 'perf' on PATH"),
  },
  chromium: {
    install: 'scripts/ensure-tools.sh (apt chromium), or set FAASLOAD_CHROMIUM',
    probe: async () => (chromiumPath() ? undefined : 'no Chromium on PATH and FAASLOAD_CHROMIUM is not set'),
  },
  python: {
    install: 'scripts/ensure-python.sh (a .venv with pyarrow, polars, duckdb, pandas)',
    probe: async () =>
      pythonPath()
        ? undefined
        : 'no Python with pyarrow, polars, duckdb and pandas (.venv or FAASLOAD_PYTHON)',
  },
  root: {
    install: 'run the tests as root',
    probe: async () => (process.getuid?.() === 0 ? undefined : 'not running as root'),
  },
};

function runs(file: string, args: string[]): boolean {
  return spawnSync(file, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** A Chromium binary: FAASLOAD_CHROMIUM, else the first of the usual names on PATH. */
export function chromiumPath(): string | undefined {
  if (process.env.FAASLOAD_CHROMIUM) return process.env.FAASLOAD_CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'headless_shell']) {
    for (const d of (process.env.PATH ?? '').split(delimiter))
      if (d && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

/** The Python that has pyarrow, polars, duckdb and pandas (npm test's pretest makes .venv). */
export function pythonPath(): string | undefined {
  const py = process.env.FAASLOAD_PYTHON ?? join(REPO_ROOT, '.venv', 'bin', 'python');
  if (!existsSync(py)) return undefined;
  return runs(py, ['-c', 'import pyarrow, polars, duckdb, pandas']) ? py : undefined;
}

/**
 * Says on stderr that `what` cannot run here and why; under CI throws instead: there a missing
 * part is a failure, never a skip. Returns the reason, for a `skip:` option.
 */
export function cannotRun(what: string, why: string): string {
  const msg = `${what} CANNOT RUN: ${why}`;
  if (process.env.CI) throw new Error(msg);
  console.error(`!!! ${msg}`);
  return why;
}

/**
 * Whether `tool` is here: undefined when it is, else the reason (after cannotRun said it, so under
 * CI this throws). Use as `describe(name, { skip: await need('docker', 'NAME') ?? false }, ...)`.
 */
export async function need(tool: Tool, what: string): Promise<string | undefined> {
  const missing = await TOOLS[tool].probe();
  return missing === undefined ? undefined : cannotRun(what, `${missing} (install: ${TOOLS[tool].install})`);
}

/** A Docker client and whether its engine answers (within 3 s); see need() when it does not. */
export async function dockerEngine(what: string) {
  const docker = connectDocker();
  const engine = await detectEngine(docker, 3_000);
  if (!engine.available) cannotRun(what, `${engine.reason} (install: ${TOOLS.docker.install})`);
  return { docker, engine };
}
