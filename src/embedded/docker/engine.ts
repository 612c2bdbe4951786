/**
 * Finding the Docker engine and cleaning up after faasload in it.
 *
 * - connectDocker(): a dockerode client; DOCKER_HOST is honoured, else /var/run/docker.sock.
 * - detectEngine() / dockerAvailable(): ping with a short timeout; never throw. A missing socket
 *   answers in microseconds, a hung engine within timeoutMs.
 * - removeInstances(): deletes (force) the containers labelled faasload=instance whose owner
 *   process is gone (a crashed run's), or all of them. Call it before a run starts instances.
 *
 * Starting an engine is not done here: scripts/ensure-docker.sh does that, as root, once.
 */
import Dockerode from 'dockerode';
import { errnoCodeOf, messageOf } from '../../util/message.js';
import { isDockerodeV5 } from './dockerode-v5.js';
import { INSTANCE_LABEL_VALUE, kindFilter, OWNER_LABEL } from './labels.js';

/** How long detectEngine() waits for each answer by default. */
export const ENGINE_PING_TIMEOUT_MS = 1_000;

export type EngineInfo =
  | {
      available: true;
      /** Engine version, e.g. 20.10.24+dfsg1. */
      version: string;
      apiVersion: string;
      /** vfs, overlay2, ...: with vfs each container copies the whole image. */
      storageDriver: string;
      cgroupVersion: string;
    }
  | { available: false; reason: string };

export function connectDocker(options?: Dockerode.DockerOptions): Dockerode {
  return new Dockerode(options);
}

/** Pings the engine, then reads its version and storage driver, all within timeoutMs. Resolves, never rejects. */
export async function detectEngine(
  docker: Dockerode = connectDocker(),
  timeoutMs: number = ENGINE_PING_TIMEOUT_MS,
): Promise<EngineInfo> {
  const abortSignal = AbortSignal.timeout(timeoutMs); // one deadline for the three calls
  try {
    // dockerode 5 takes an abortSignal on these calls (dockerode-v5.ts).
    if (!isDockerodeV5(docker)) throw new Error('the Docker client is older than dockerode 5');
    await docker.ping({ abortSignal });
    const [version, info] = await Promise.all([
      docker.version({ abortSignal }),
      docker.info({ abortSignal }),
    ]);
    return {
      available: true,
      version: version.Version,
      apiVersion: version.ApiVersion,
      storageDriver: info.Driver ?? 'unknown',
      cgroupVersion: info.CgroupVersion ?? 'unknown',
    };
  } catch (e) {
    const reason = abortSignal.aborted ? `no answer within ${timeoutMs} ms` : messageOf(e);
    return { available: false, reason: `no Docker engine answers: ${reason}` };
  }
}

/** Whether an engine answers a ping within timeoutMs. */
export async function dockerAvailable(
  docker: Dockerode = connectDocker(),
  timeoutMs: number = ENGINE_PING_TIMEOUT_MS,
): Promise<boolean> {
  return (await detectEngine(docker, timeoutMs)).available;
}

/** Whether a process with this pid runs on this host (EPERM: it exists, not ours). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCodeOf(e) === 'EPERM';
  }
}

export interface RemoveInstancesOptions {
  /** Remove every faasload instance container, even those of a faasload process still running. */
  all?: boolean;
}

/**
 * Force-removes containers labelled faasload=instance: by default those whose owner process
 * (label faasload.owner) no longer runs or that have no owner; with `all`, every one. Returns how
 * many were removed. Throws if the engine cannot list them; a container that vanishes meanwhile
 * is not an error.
 */
export async function removeInstances(
  docker: Dockerode,
  options: RemoveInstancesOptions = {},
): Promise<number> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [kindFilter(INSTANCE_LABEL_VALUE)] },
  });
  let removed = 0;
  for (const c of containers) {
    const owner = Number(c.Labels?.[OWNER_LABEL]);
    if (!options.all && Number.isInteger(owner) && owner > 0 && processAlive(owner)) continue;
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      removed++;
    } catch (e) {
      const status = (e as { statusCode?: unknown }).statusCode;
      if (status !== 404 && status !== 409) throw e; // 409: a removal already in progress
    }
  }
  return removed;
}

/** Containers labelled faasload=instance (running or not), optionally only those of one owner pid. */
export async function listInstances(
  docker: Dockerode,
  ownerPid?: number,
): Promise<Dockerode.ContainerInfo[]> {
  const label = [kindFilter(INSTANCE_LABEL_VALUE)];
  if (ownerPid !== undefined) label.push(`${OWNER_LABEL}=${ownerPid}`);
  return docker.listContainers({ all: true, filters: { label } });
}
