/**
 * The perf monitor follows the Docker engine's events through the same source as the container
 * monitor (src/monitor/engine-events.ts): when the event stream breaks mid-run it opens a gap,
 * reconnects, and closes the gap once the engine answers again (it used to stop following
 * containers for the rest of the run). The engine going away is simulated by cutting a socket
 * relay between the monitor and the engine, as in monitor-container.test.ts. perf itself is not
 * needed: the probe is given, and no instance is counted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectDocker } from '../src/embedded/docker/index.js';
import { PerfMonitor, type PerfProbe } from '../src/monitor/perf.js';
import { dockerEngine } from './helpers/cannot-run.js';
import { relayEngine } from './helpers/engine-relay.js';

const { engine } = await dockerEngine('PERF MONITOR ON A BROKEN ENGINE EVENT STREAM');

describe('perf monitor and the engine events', {
  skip: engine.available ? false : 'no Docker engine (see above)',
  timeout: 60_000,
}, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faasload-perf-events-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a broken event stream is a gap that closes when the engine answers again', async () => {
    const socketPath = join(dir, 'relay.sock');
    let relay = await relayEngine(socketPath);
    // cgroup v2 here names no cgroup on a v1 host and the v2 cgroup on a v2 one: either way
    // /bin/true as perf counts nothing and exits at once.
    const probe: PerfProbe = {
      perfPath: '/bin/true',
      version: 'perf version test',
      requested: ['task-clock'],
      supported: ['task-clock'],
      unsupported: [],
      systemWide: true,
      mount: { path: dir, version: 2 },
    };
    const monitor = new PerfMonitor({
      probe,
      docker: connectDocker({ socketPath }),
      processScope: 'pid',
      reconnectMs: 200,
    });
    const logs: string[] = [];
    await monitor.start({ dir, runId: 'test', log: (l) => logs.push(l) });
    await sleep(300);
    const cutAtUs = Date.now() * 1000;
    await relay.cut();
    await sleep(800);
    relay = await relayEngine(socketPath);
    const backAtUs = Date.now() * 1000;
    await sleep(1_000);
    const summary = await monitor.stop();
    await relay.cut();
    const gaps = summary.gaps.filter((g) => g.target === 'docker events');
    assert.equal(gaps.length, 1, JSON.stringify(summary.gaps));
    const gap = gaps[0]!;
    assert.ok(gap.fromUs >= cutAtUs - 100_000, JSON.stringify(gap));
    assert.ok(
      gap.toUs !== undefined && gap.toUs >= backAtUs - 50_000,
      `the gap is closed: ${JSON.stringify(gap)}`,
    );
    assert.ok(
      logs.some((l) => l.includes('docker events answer again')),
      logs.join('\n'),
    );
  });
});
