import { connectDocker, detectEngine } from '../../src/platforms/docker/index.js';

/**
 * Says loudly, on stderr, that some tests cannot run on this machine and why. Under CI
 * (process.env.CI) it throws instead: there a missing part is a failure, never a skip.
 */
export function cannotRun(what: string, why: string): void {
  const msg = `${what} CANNOT RUN: ${why}`;
  console.error(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}\n`);
  if (process.env.CI) throw new Error(msg);
}

/** A Docker client and whether its engine answers (within 3 s); see cannotRun when it does not. */
export async function dockerEngine(what: string) {
  const docker = connectDocker();
  const engine = await detectEngine(docker, 3_000);
  if (!engine.available) {
    cannotRun(what, `${engine.reason} (start one with scripts/ensure-docker.sh, as root)`);
  }
  return { docker, engine };
}
