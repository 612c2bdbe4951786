/**
 * What dockerode 5 takes that @types/dockerode (written for 4) does not say: an abortSignal on
 * ping, version and info, and the engine's `seconds.nanoseconds` text for getEvents' since and
 * until (the declared number would lose the nanoseconds). The guard checks the client has those
 * methods, so that callers need no cast.
 */
import type Dockerode from 'dockerode';

export interface DockerodeV5 {
  ping(options: { abortSignal: AbortSignal }): Promise<unknown>;
  version(options: { abortSignal: AbortSignal }): Promise<Dockerode.DockerVersion>;
  info(options: { abortSignal: AbortSignal }): Promise<{ Driver?: string; CgroupVersion?: string }>;
  getEvents(options: {
    since?: string;
    until?: string;
    filters?: { type?: string[]; event?: string[] };
  }): Promise<NodeJS.ReadableStream>;
}

export function isDockerodeV5<D extends object>(docker: D): docker is D & DockerodeV5 {
  return (
    'ping' in docker &&
    typeof docker.ping === 'function' &&
    'version' in docker &&
    typeof docker.version === 'function' &&
    'info' in docker &&
    typeof docker.info === 'function' &&
    'getEvents' in docker &&
    typeof docker.getEvents === 'function'
  );
}
