/**
 * Container sampling against real containers: the cgroup reader keeps its files open, so a
 * container removed after it was located must read as gone (not as zeros, not as a crash); and
 * the container monitor, told by its engine that a container still runs while the container is in
 * fact removed (a listing older than the removal), drops it and counts it as vanished, keeping its
 * earlier samples. The engine the monitor talks to in that test is a small loopback HTTP server
 * speaking the three Engine API calls it makes (events, list, inspect), so that the listing can be
 * stale on purpose; the container itself is real. Without a Docker engine these tests say so
 * loudly and skip; under CI they fail instead.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { ensureRuntimeImage, IMAGE_NODE_PATH } from '../src/embedded/docker/index.js';
import { CgroupReader } from '../src/monitor/cgroup.js';
import { ContainerMonitor } from '../src/monitor/container.js';
import { isGone } from '../src/monitor/measures.js';
import { dockerEngine } from './helpers/cannot-run.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const { docker, engine } = await dockerEngine('CONTAINER SAMPLING TESTS');

const TEST_LABEL = 'faasload.test';
const TEST_LABEL_VALUE = `sampling-${process.pid}`;
let image = '';
let dir: string;

async function removeOurs(): Promise<void> {
  const ours = await docker.listContainers({
    all: true,
    filters: { label: [`${TEST_LABEL}=${TEST_LABEL_VALUE}`] },
  });
  await Promise.all(
    ours.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** A running container of the runtime image; `script` runs in its node. */
async function run(script: string): Promise<Dockerode.Container> {
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: [IMAGE_NODE_PATH],
    Cmd: ['-e', script],
    Labels: { [TEST_LABEL]: TEST_LABEL_VALUE, 'faasload.instance': 'sampling-1', 'faasload.function': 'fn' },
    User: '65534:65534',
    HostConfig: { NetworkMode: 'host' },
  });
  await c.start();
  return c;
}

/**
 * A loopback stand-in for the engine: lists `listed` as running (whatever has become of it),
 * holds the event stream open without events, and answers 404 to inspect.
 */
async function staleEngine(
  listed: Dockerode.ContainerInfo[],
): Promise<{ server: Server; client: Dockerode }> {
  const streams: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!.replace(/^\/v[\d.]+/, '');
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      streams.push(res);
    } else if (path === '/containers/json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(listed));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'No such container' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  server.on('close', () => {
    for (const s of streams) s.destroy();
  });
  return { server, client: new Dockerode({ host: '127.0.0.1', port, protocol: 'http' }) };
}

describe('container sampling on real containers', {
  skip: engine.available ? false : 'no Docker engine (see above)',
  timeout: 120_000,
}, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faasload-sampling-'));
    image = (await ensureRuntimeImage(docker)).tag;
  });
  after(async () => {
    await removeOurs();
    await rm(dir, { recursive: true, force: true });
  });

  test('a located cgroup: its measures while the container runs, gone (not zeros) once it is removed', async () => {
    // 300 ms of the container's own CPU time (not wall time: the machine may be busy).
    const c = await run(
      'while (process.cpuUsage().user + process.cpuUsage().system < 300e3); setInterval(() => {}, 1000);',
    );
    await sleep(500);
    const reader = CgroupReader.open(c.id);
    assert.ok(reader, 'the container has a readable cgroup on this host');
    try {
      let m = reader.read();
      for (const deadline = Date.now() + 20_000; m.cpu_total_ns! < 250e6 && Date.now() < deadline; ) {
        await sleep(100);
        m = reader.read();
      }
      assert.match(m.source, /^cgroup-v[12]$/);
      assert.ok(m.cpu_total_ns! >= 250e6, `cpu ${m.cpu_total_ns} ns after a 300 ms busy loop`);
      assert.ok(m.cpu_user_ns! + m.cpu_system_ns! > 0, 'user and system time are there');
      assert.ok(m.memory_usage_bytes! > 1e6, `memory ${m.memory_usage_bytes} bytes`);
      assert.ok(m.pids! >= 1);
      assert.equal(m.memory_limit_bytes, null, 'no limit was set');
      await c.remove({ force: true });
      assert.throws(
        () => reader.read(),
        (e) => isGone(e),
        'the files opened before the removal say gone',
      );
    } finally {
      reader.close();
    }
  });

  test('a container removed while the listing still shows it: dropped, counted as vanished, no failure', async () => {
    const c = await run('setInterval(() => {}, 1000);');
    const info = (await docker.listContainers({ filters: { id: [c.id] } }))[0];
    assert.ok(info, 'the engine lists the container');
    const { server, client } = await staleEngine([info]);
    const runDir = await mkdtemp(join(dir, 'run-'));
    const logs: string[] = [];
    const monitor = new ContainerMonitor({ docker: client, intervalMs: 20, listIntervalMs: 60_000 });
    let summary: Awaited<ReturnType<ContainerMonitor['stop']>>;
    try {
      await monitor.start({ dir: runDir, runId: 'test', log: (l) => logs.push(l) });
      await sleep(300);
      await c.remove({ force: true });
      await sleep(300);
    } finally {
      summary = await monitor.stop();
      server.closeAllConnections();
      server.close();
    }
    assert.equal(summary.counts.vanished, 1, logs.join('\n'));
    assert.equal(summary.counts.statsFallbacks, 0, 'sampled from the cgroup files');
    const samples = rowsOf(await readParquetTable(join(runDir, 'container_samples.parquet')));
    assert.ok(samples.length >= 5, `${samples.length} samples before the removal`);
    assert.ok(
      samples.every((s) => s.container_id === c.id && s.instance_id === 'sampling-1' && s.function === 'fn'),
    );
    assert.ok(
      samples.every((s) => Number(s.memory_usage_bytes) > 0),
      'no zero row for the removed container',
    );
  });
});
