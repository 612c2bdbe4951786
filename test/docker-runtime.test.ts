/**
 * The Docker runtime for instances (src/embedded/docker), against the real engine that
 * scripts/ensure-docker.sh starts. Without an engine these tests say so loudly and skip; under
 * CI they fail instead.
 */

import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  buildRuntimeImage,
  CONTENT_HASH_LABEL,
  DockerInstance,
  type DockerInstanceOptions,
  ensureRuntimeImage,
  FUNCTION_LABEL,
  INSTANCE_LABEL_VALUE,
  KIND_LABEL,
  listInstances,
  OWNER_LABEL,
  RUNTIME_IMAGE_REPO,
  RUNTIME_LABEL_VALUE,
  type RuntimeImage,
  removeInstances,
} from '../src/embedded/docker/index.js';
import { InstanceFailure } from '../src/embedded/local/instance.js';
import type { SyntheticResult } from '../src/workload/synthetic-action.js';
import { SYNTHETIC_ACTION_CODE, SYNTHETIC_ACTION_MAIN } from '../src/workload/synthetic-action.js';
import { dockerEngine } from './helpers/cannot-run.js';

const { docker, engine } = await dockerEngine('DOCKER RUNTIME TESTS');

const READY_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 30_000;
const never = new AbortController().signal;
const INIT = { value: { name: 'fn', main: SYNTHETIC_ACTION_MAIN, code: SYNTHETIC_ACTION_CODE, env: {} } };

function proxyPath(): string {
  return fileURLToPath(new URL('../src/embedded/runtime/proxy.js', import.meta.url));
}

async function containerExists(id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: unknown }).statusCode === 404) return false;
    throw e;
  }
}

/** A pid that no process has now (for a container "left by a crashed run"). */
function deadPid(): number {
  for (let pid = 4_000_000; ; pid--) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}

describe('Docker runtime for instances', {
  skip: engine.available ? false : 'no Docker engine (see above)',
  timeout: 300_000,
}, () => {
  let image: RuntimeImage;
  const instances: DockerInstance[] = [];
  let n = 0;

  function start(options: Partial<DockerInstanceOptions> = {}): DockerInstance {
    const instance = new DockerInstance({
      id: `test-${process.pid}-${n++}`,
      functionName: 'fn',
      docker,
      image: image.tag,
      ...options,
    });
    instances.push(instance);
    return instance;
  }

  async function startWarm(options: Partial<DockerInstanceOptions> = {}): Promise<DockerInstance> {
    const instance = start(options);
    await instance.ready(READY_TIMEOUT_MS, never);
    const init = await instance.post('/init', INIT, CALL_TIMEOUT_MS, never);
    assert.equal(init.status, 200, JSON.stringify(init.body));
    return instance;
  }

  before(async () => {
    // Containers of crashed earlier runs only: those of live faasload processes stay.
    await removeInstances(docker);
    image = await ensureRuntimeImage(docker);
  });

  after(async () => {
    await Promise.all(instances.map((i) => i.kill()));
  });

  it('builds the runtime image offline, labelled, and a second build reuses it', async (t) => {
    assert.match(image.tag, new RegExp(`^${RUNTIME_IMAGE_REPO}:[0-9a-f]{16}$`));
    const info = await docker.getImage(image.tag).inspect();
    assert.equal(info.Config.Labels?.[KIND_LABEL], RUNTIME_LABEL_VALUE);
    assert.equal(info.Config.Labels?.[CONTENT_HASH_LABEL], image.contentHash);
    assert.ok(image.fileCount <= 16, `${image.fileCount} files: vfs copies each one per container`);
    assert.equal((await ensureRuntimeImage(docker)).id, image.id, 'memoized within the process');

    // A changed project (here: the proxy with one more comment) gets a new image, built for real;
    // building it again reuses it.
    const dir = await mkdtemp(join(tmpdir(), 'faasload-image-'));
    let built: RuntimeImage | undefined;
    try {
      await mkdir(join(dir, 'src', 'runtime'), { recursive: true });
      const changed = join(dir, 'src', 'runtime', 'proxy.js');
      await copyFile(proxyPath(), changed);
      await writeFile(changed, `${await readFile(changed, 'utf8')}\n// changed ${Date.now()}\n`);
      built = await buildRuntimeImage(docker, process.execPath, changed);
      assert.equal(built.built, true);
      assert.notEqual(built.tag, image.tag);
      const again = await buildRuntimeImage(docker, process.execPath, changed);
      assert.equal(again.built, false);
      assert.equal(again.id, built.id);
      t.diagnostic(
        `image: ${(built.sizeBytes / 1e6).toFixed(1)} MB, ${built.fileCount} files; ` +
          `built in ${built.elapsedMs.toFixed(0)} ms, reused in ${again.elapsedMs.toFixed(0)} ms`,
      );
    } finally {
      if (built) await docker.getImage(built.id).remove({ force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts an instance that answers /init with the synthetic function and /run', async (t) => {
    const instance = start({ memoryMb: 256, cpuShares: 512 });
    await instance.ready(READY_TIMEOUT_MS, never);
    const id = instance.containerId;
    assert.ok(id);
    const init = await instance.post('/init', INIT, CALL_TIMEOUT_MS, never);
    assert.deepEqual(init, { status: 200, body: { ok: true } });
    const run = await instance.post(
      '/run',
      { value: { durationMs: 30, memoryMb: 64 } },
      CALL_TIMEOUT_MS,
      never,
    );
    assert.equal(run.status, 200);
    const body = run.body as SyntheticResult;
    assert.ok(body.execMs >= 30, `execMs ${body.execMs}`);
    assert.ok(Math.abs(body.residentMb - 64) <= 8, `resident ${body.residentMb} MiB, 64 asked`);
    assert.equal(body.pid, 1, 'the proxy is the container init process');

    const info = await docker.getContainer(id).inspect();
    assert.equal(info.Config.Labels[KIND_LABEL], INSTANCE_LABEL_VALUE);
    assert.equal(info.Config.Labels[FUNCTION_LABEL], 'fn');
    assert.equal(info.Config.Labels[OWNER_LABEL], String(process.pid));
    assert.equal(info.HostConfig.NetworkMode, 'host');
    assert.equal(info.HostConfig.Memory, 256 * 1024 * 1024);
    assert.equal(info.HostConfig.CpuShares, 512);
    assert.equal(info.HostConfig.AutoRemove, false);
    const timings = instance.timings;
    for (const phase of ['createMs', 'attachMs', 'startMs', 'readyMs', 'totalMs'] as const) {
      assert.ok((timings[phase] ?? -1) >= 0, `${phase}: ${timings[phase]}`);
    }
    t.diagnostic(
      `timings (ms): ${JSON.stringify(timings, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );

    const exit = await instance.kill();
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(exit.removeError, undefined);
    assert.equal(instance.alive, false);
    assert.equal(await containerExists(id), false, 'kill() removes the container');
    await assert.rejects(instance.post('/run', { value: {} }, CALL_TIMEOUT_MS, never), { kind: 'exited' });
  });

  it('stops on SIGTERM (docker stop, a dockerd shutting down) without waiting out the stop timeout', async () => {
    const instance = start({});
    await instance.ready(READY_TIMEOUT_MS, never);
    const container = docker.getContainer(instance.containerId!);
    const t0 = performance.now();
    await container.stop({ t: 10 });
    const stopMs = performance.now() - t0;
    assert.ok(stopMs < 5000, `docker stop took ${stopMs.toFixed(0)} ms (its timeout is 10 s)`);
    assert.equal((await container.inspect()).State.ExitCode, 143);
    await instance.kill();
  });

  it('reports an action that exceeds the memory limit as an OOM kill', async () => {
    const instance = await startWarm({ memoryMb: 128 });
    const id = instance.containerId!;
    const within = await instance.post('/run', { value: { memoryMb: 16 } }, CALL_TIMEOUT_MS, never);
    assert.equal(within.status, 200, 'an action within the limit runs');
    await assert.rejects(
      instance.post('/run', { value: { memoryMb: 400 } }, CALL_TIMEOUT_MS, never),
      (e: unknown) => {
        assert.ok(e instanceof InstanceFailure);
        assert.equal(e.kind, 'oom');
        assert.equal(
          e.message,
          'out of memory: the function exceeded its memory limit of 128 MB and its instance was killed',
        );
        return true;
      },
    );
    const exit = await instance.exited;
    assert.equal(exit.oomKilled, true);
    assert.equal(exit.code, 137);
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(await containerExists(id), false, 'a container that died is removed too');
  });

  it('kill() during the launch removes the container all the same', async () => {
    const instance = start();
    const readiness = instance.ready(READY_TIMEOUT_MS, never).then(
      () => undefined,
      (e: unknown) => e,
    );
    const exit = await instance.kill();
    const failure = await readiness;
    assert.ok(failure instanceof InstanceFailure, String(failure));
    assert.equal(exit.removeError, undefined);
    assert.equal(instance.alive, false);
    if (instance.containerId) assert.equal(await containerExists(instance.containerId), false);
  });

  it('reports an engine refusal as a failed start', async () => {
    const instance = start({ image: `${RUNTIME_IMAGE_REPO}:no-such-tag` });
    await assert.rejects(instance.ready(READY_TIMEOUT_MS, never), (e: unknown) => {
      assert.ok(e instanceof InstanceFailure);
      assert.equal(e.kind, 'start');
      assert.match(e.message, /docker create/);
      return true;
    });
    const exit = await instance.exited;
    assert.ok(exit.error);
    assert.equal(instance.containerId, undefined);
  });

  it('runs two instances at once', async () => {
    const [a, b] = await Promise.all([startWarm({ memoryMb: 128 }), startWarm({ memoryMb: 128 })]);
    assert.notEqual(a.containerId, b.containerId);
    const [ra, rb] = await Promise.all([
      a.post('/run', { value: { durationMs: 100 } }, CALL_TIMEOUT_MS, never),
      b.post('/run', { value: { durationMs: 100 } }, CALL_TIMEOUT_MS, never),
    ]);
    assert.equal(ra.status, 200);
    assert.equal(rb.status, 200);
    assert.equal((await listInstances(docker, process.pid)).filter((c) => c.State === 'running').length, 2);
    await Promise.all([a.kill(), b.kill()]);
  });

  it('removeInstances() removes a crashed run’s containers and keeps a live run’s', async () => {
    const orphan = await docker.createContainer({
      Image: image.tag,
      Labels: { [KIND_LABEL]: INSTANCE_LABEL_VALUE, [OWNER_LABEL]: String(deadPid()) },
      HostConfig: { NetworkMode: 'host' },
    });
    const live = start();
    await live.ready(READY_TIMEOUT_MS, never);
    assert.equal(await removeInstances(docker), 1);
    assert.equal(await containerExists(orphan.id), false);
    assert.equal(await containerExists(live.containerId!), true);
    await live.kill();
  });

  it('leaves no container labelled faasload=instance behind', async () => {
    await Promise.all(instances.map((i) => i.kill()));
    assert.deepEqual(
      (await listInstances(docker, process.pid)).map((c) => c.Id),
      [],
    );
    assert.deepEqual(
      (await listInstances(docker)).map((c) => `${c.Id} owner ${c.Labels[OWNER_LABEL]}`),
      [],
      'none of any faasload process either',
    );
  });
});
