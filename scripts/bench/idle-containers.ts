/**
 * Idle containers for the monitor benchmark: created and started with bounded concurrency, all
 * labelled with one value per bench process, and removed together at the end, after a failure,
 * or on SIGINT/SIGTERM (the signal handlers remove them, then exit 130/143).
 *
 * With vfs storage each container copies the whole image, so the disk is checked first: the
 * engine's data folder must keep `count` copies of the image plus a reserve free, else a
 * FaasloadError says how much is needed and where. Every engine call has a time limit.
 */
import { statfs } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { IMAGE_NODE_PATH } from '../../src/embedded/docker/index.js';
import { FaasloadError } from '../../src/errors.js';

/** Free space left on the engine's disk after the containers are made. */
const RESERVE_BYTES = 5 * 2 ** 30;
const CALL_TIMEOUT_MS = 60_000;

export interface IdleContainers {
  /** Ids of the running containers. */
  readonly ids: readonly string[];
  /** Removes every container this set made (by label, so also half-made ones); idempotent. */
  remove(): Promise<void>;
}

/** Runs `each` over `items` with at most `limit` at a time; the first failure is thrown after all settle. */
async function pool<T>(items: readonly T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await each(item);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** Throws when the engine's data folder has not room for `count` more copies of `image`. */
async function checkDisk(docker: Dockerode, image: string, count: number): Promise<void> {
  const info = (await docker.info()) as { DockerRootDir?: string; Driver?: string };
  const imageBytes = ((await docker.getImage(image).inspect()) as { Size?: number }).Size ?? 0;
  // Copy-on-write drivers share the image: only vfs copies it for each container.
  if (info.Driver !== 'vfs' || !info.DockerRootDir) return;
  let freeBytes: number;
  try {
    const s = await statfs(info.DockerRootDir);
    freeBytes = s.bavail * s.bsize;
  } catch {
    return; // the engine's folder is not visible from here (a remote engine): nothing to check
  }
  const needBytes = count * imageBytes + RESERVE_BYTES;
  if (freeBytes < needBytes) {
    throw new FaasloadError(
      'E_USAGE',
      `--containers ${count}: the Docker engine's disk (${info.DockerRootDir}, vfs storage: each container copies the ${(imageBytes / 2 ** 20).toFixed(0)} MiB image) has ${(freeBytes / 2 ** 30).toFixed(1)} GiB free, ${(needBytes / 2 ** 30).toFixed(1)} GiB needed; ask for fewer containers`,
    );
  }
}

/**
 * Creates and starts `count` idle containers of `image` (its node waiting for an hour, host
 * network, an unprivileged user), `concurrency` at a time. On a failure the ones made are removed
 * before the error is thrown.
 */
export async function startIdleContainers(
  docker: Dockerode,
  image: string,
  count: number,
  o: { concurrency: number; label: string; log: (line: string) => void },
): Promise<IdleContainers> {
  const label = { 'faasload.bench': o.label };
  const ids: string[] = [];
  let removing: Promise<void> | undefined;
  const remove = () => {
    removing ??= (async () => {
      const listed = await docker
        .listContainers({ all: true, filters: { label: [`faasload.bench=${o.label}`] } })
        .catch(() => [] as Dockerode.ContainerInfo[]);
      const all = [...new Set([...ids, ...listed.map((c) => c.Id)])];
      await pool(all, 8, (id) =>
        docker
          .getContainer(id)
          .remove({ force: true, abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) } as object)
          .catch(() => undefined),
      );
      o.log(`removed ${all.length} bench containers`);
    })();
    return removing;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    o.log(`${signal}: removing the bench containers`);
    void remove().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const set: IdleContainers = {
    ids,
    remove: async () => {
      await remove();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  try {
    await checkDisk(docker, image, count);
    const t0 = Date.now();
    await pool(
      Array.from({ length: count }, (_, i) => i),
      o.concurrency,
      async () => {
        const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
        const c = await docker.createContainer({
          Image: image,
          Entrypoint: [IMAGE_NODE_PATH],
          Cmd: ['-e', 'setTimeout(() => {}, 3600e3)'],
          Labels: label,
          User: '65534:65534',
          HostConfig: { NetworkMode: 'host' },
          abortSignal: signal,
        } as Dockerode.ContainerCreateOptions);
        ids.push(c.id);
        await c.start({ abortSignal: signal } as object);
      },
    );
    o.log(
      `${count} idle containers started in ${((Date.now() - t0) / 1000).toFixed(1)} s (${o.concurrency} at a time)`,
    );
    return set;
  } catch (e) {
    await set.remove();
    throw e;
  }
}
