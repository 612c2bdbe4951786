/**
 * The container monitor against the real Docker engine: lifecycle events with exit codes and
 * matching (faasload labels, OpenWhisk names), CPU time of a busy container within 10% of what
 * it burnt, memory touched, an OOM kill, the stats-stream fallback, and the engine going away
 * and coming back (simulated between the monitor and the engine by a socket relay that is cut:
 * stopping the shared dockerd would break every other user of this engine). Without an engine
 * these tests say so loudly and skip; under CI they fail instead.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { connectDocker, ensureRuntimeImage, IMAGE_NODE_PATH } from '../src/embedded/docker/index.js';
import { ContainerMonitor } from '../src/monitor/container.js';
import type { MonitorSummary } from '../src/monitor/types.js';
import { dockerEngine } from './helpers/cannot-run.js';
import { relayEngine } from './helpers/engine-relay.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const { docker, engine } = await dockerEngine('MONITOR CONTAINER TESTS');

/** Our test containers carry this label (not faasload=instance: other tests remove those). */
const TEST_LABEL = 'faasload.test';
const TEST_LABEL_VALUE = `monitor-${process.pid}`;

type Row = Record<string, unknown>;
let image = '';
let dir: string;

async function removeOurs(client: Dockerode = docker): Promise<void> {
  const ours = await client.listContainers({
    all: true,
    filters: { label: [`${TEST_LABEL}=${TEST_LABEL_VALUE}`] },
  });
  await Promise.all(
    ours.map((c) =>
      client
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** Creates and starts a container running `script` with the runtime image's node. */
async function run(
  script: string,
  o: { labels?: Record<string, string>; name?: string; memoryMb?: number } = {},
): Promise<Dockerode.Container> {
  const memory =
    o.memoryMb === undefined ? {} : { Memory: o.memoryMb * 2 ** 20, MemorySwap: o.memoryMb * 2 ** 20 };
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: [IMAGE_NODE_PATH],
    Cmd: ['-e', script],
    Labels: { [TEST_LABEL]: TEST_LABEL_VALUE, ...o.labels },
    User: '65534:65534',
    Tty: true,
    ...(o.name ? { name: o.name } : {}),
    HostConfig: { NetworkMode: 'host', ...memory },
  });
  await c.start();
  return c;
}

/**
 * The container's output so far (Tty: raw text). The client parses an output that happens to be
 * JSON into an object, so scripts prefix their report lines.
 */
async function logsOf(c: Dockerode.Container): Promise<string> {
  const answer = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown;
  return Buffer.isBuffer(answer) ? answer.toString() : JSON.stringify(answer);
}

/** Runs a monitor around `body`, returns its summary and tables. */
async function monitored(
  options: Partial<ConstructorParameters<typeof ContainerMonitor>[0]>,
  body: () => Promise<void>,
): Promise<{ summary: MonitorSummary; events: Row[]; samples: Row[]; logs: string[] }> {
  const runDir = await mkdtemp(join(dir, 'run-'));
  const logs: string[] = [];
  const monitor = new ContainerMonitor({ docker, intervalMs: 50, ...options });
  await monitor.start({ dir: runDir, runId: 'test', log: (l) => logs.push(l) });
  const failure = await body().then(
    () => undefined,
    (e: unknown) => e ?? new Error('failed'),
  );
  const summary = await monitor.stop();
  if (failure) throw failure;
  const events = rowsOf(await readParquetTable(join(runDir, 'container_events.parquet')));
  const samples = rowsOf(await readParquetTable(join(runDir, 'container_samples.parquet')));
  return { summary, events, samples, logs };
}

const n = (v: unknown) => Number(v);

/** The lifecycle events of one container, in the order recorded. */
const lifecycleOf = (events: Row[], id: string) =>
  events
    .filter((e) => e.container_id === id)
    .map((e) => e.event)
    .filter((e) => ['create', 'start', 'die', 'destroy'].includes(String(e)));

describe('container monitor on the Docker engine', {
  skip: engine.available ? false : 'no Docker engine (see above)',
  timeout: 300_000,
}, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faasload-monitor-container-'));
    image = (await ensureRuntimeImage(docker)).tag;
  });
  after(async () => {
    await removeOurs();
    await rm(dir, { recursive: true, force: true });
  });

  test('a container started and stopped appears in the events, with its exit code and its match', async () => {
    let ids: string[] = [];
    const { events, samples } = await monitored({}, async () => {
      const ours = await run('setTimeout(() => process.exit(3), 1000)', {
        labels: { 'faasload.instance': 'fn-a-7', 'faasload.function': 'fn-a' },
      });
      const owName = `wsk0_${process.pid}_guest_hello`;
      const theirs = await run('setTimeout(() => process.exit(0), 1000)', { name: owName });
      ids = [ours.id, theirs.id];
      await Promise.all([ours.wait(), theirs.wait()]);
      await Promise.all([ours.remove(), theirs.remove()]);
      await sleep(300);
    });
    const of = (id: string) => events.filter((e) => e.container_id === id);
    const ours = of(ids[0]!);
    assert.deepEqual(lifecycleOf(events, ids[0]!), ['create', 'start', 'die', 'destroy']);
    assert.equal(ours.find((e) => e.event === 'die')!.exit_code, 3);
    assert.ok(
      ours.every((e) => e.instance_id === 'fn-a-7' && e.function === 'fn-a' && e.matched_by === 'label'),
    );
    for (let i = 1; i < ours.length; i++) {
      const t = (e: Row) => n(e.time) * 1e6 + n(e.time_ns_frac); // epoch ms → ns (exact enough to order)
      assert.ok(t(ours[i]!) >= t(ours[i - 1]!), 'events in time order');
    }
    const theirs = of(ids[1]!);
    assert.equal(theirs.find((e) => e.event === 'die')!.exit_code, 0);
    assert.ok(theirs.every((e) => e.matched_by === 'openwhisk-name' && e.function === 'guest_hello'));
    assert.ok(theirs.every((e) => e.instance_id === `wsk0_${process.pid}_guest_hello`));
    // Both were sampled while they lived (1 s at 50 ms; 3 samples leave room for a late start event).
    for (const id of ids) {
      const s = samples.filter((r) => r.container_id === id);
      assert.ok(s.length >= 3, `${s.length} samples of ${id.slice(0, 12)}`);
      assert.match(String(s[0]!.source), /^cgroup-v[12]$/);
    }
  });

  test('CPU time of a busy container is within 10% of the CPU it burnt; memory touched shows', async () => {
    // Idle 600 ms, then burn 1000 ms of its own CPU time and touch 96 MB, then report and idle.
    const script = `
      setTimeout(() => {
        const t0 = Date.now(), c0 = process.cpuUsage();
        let x = 0;
        while ((process.cpuUsage(c0).user + process.cpuUsage(c0).system) < 1e6) x++;
        const t1 = Date.now();
        const cpuUs = process.cpuUsage(c0).user + process.cpuUsage(c0).system;
        const b = Buffer.alloc(96 * 1024 * 1024, 1);
        console.log('report ' + JSON.stringify({ t0, t1, cpuUs, x: x > 0, b: b.length }));
        setTimeout(() => {}, 60000);
      }, 600);`;
    let c: Dockerode.Container | undefined;
    const { samples } = await monitored({}, async () => {
      c = await run(script);
      for (let i = 0; i < 100 && !(await logsOf(c)).includes('cpuUs'); i++) await sleep(100);
      await sleep(300);
    });
    const output = await logsOf(c!);
    await c!.remove({ force: true });
    const line = output.split(/\r?\n/).find((l) => l.startsWith('report '));
    assert.ok(line, `the container reported its busy phase: ${output}`);
    const report = JSON.parse(line.slice('report '.length)) as { t0: number; t1: number; cpuUs: number };
    const s = samples.filter((r) => r.container_id === c!.id);
    const before = s.filter((r) => n(r.time) <= report.t0).at(-1);
    const afterBusy = s.find((r) => n(r.time) >= report.t1);
    assert.ok(before && afterBusy, 'samples on both sides of the busy phase');
    const cgroupCpuMs = (n(afterBusy.cpu_total_ns) - n(before.cpu_total_ns)) / 1e6;
    const burntMs = report.cpuUs / 1000;
    assert.ok(
      Math.abs(cgroupCpuMs - burntMs) <= 0.1 * burntMs,
      `cgroup CPU ${cgroupCpuMs.toFixed(0)} ms over the busy phase, the process burnt ${burntMs.toFixed(0)} ms`,
    );
    assert.ok(n(afterBusy.cpu_user_ns) > n(before.cpu_user_ns), 'user time rises');
    const peakRss = Math.max(...s.map((r) => n(r.memory_rss_bytes)));
    assert.ok(peakRss >= 96 * 2 ** 20, `peak rss ${(peakRss / 2 ** 20).toFixed(0)} MB after touching 96 MB`);
    assert.ok(s.every((r) => n(r.pids) >= 1));
  });

  test('an OOM kill is recorded: the oom event and a die with exit code 137', async () => {
    let id = '';
    const { events } = await monitored({}, async () => {
      const c = await run('const a = []; for (;;) a.push(Buffer.alloc(8 * 1024 * 1024, 1));', {
        memoryMb: 48,
      });
      id = c.id;
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      assert.equal(StatusCode, 137);
      await sleep(300);
      await c.remove();
    });
    const mine = events.filter((e) => e.container_id === id);
    assert.ok(
      mine.some((e) => e.event === 'oom'),
      `events: ${mine.map((e) => e.event).join(' ')}`,
    );
    assert.equal(mine.find((e) => e.event === 'die')!.exit_code, 137);
  });

  test("the engine's stats stream, when the cgroup files are not used", async () => {
    let id = '';
    const { samples, summary } = await monitored({ source: 'stats' }, async () => {
      const c = await run('let x = 0; setInterval(() => { for (let i = 0; i < 1e6; i++) x++; }, 10);');
      id = c.id;
      await sleep(3500);
      await c.remove({ force: true });
    });
    const s = samples.filter((r) => r.container_id === id);
    assert.ok(s.length > 10, `${s.length} samples`);
    assert.ok(s.every((r) => r.source === 'stats'));
    assert.ok(n(s.at(-1)!.cpu_total_ns) > n(s[0]!.cpu_total_ns), 'CPU rises');
    assert.ok(n(s.at(-1)!.memory_usage_bytes) > 0);
    // Every running container on the engine is sampled, ours among them.
    assert.ok(summary.counts.statsFallbacks! >= 1);
  });

  test('events the live stream has not delivered by the stop are read at the stop', async () => {
    // A relay that holds back the live event stream, as a loaded host lags behind the engine;
    // every other request (and the bounded read at the stop) goes through.
    const live: Socket[] = [];
    let boundedReads = 0;
    const relay = await relayEngine(join(dir, 'lag.sock'), (client, upstream) =>
      client.on('data', (chunk: Buffer) => {
        const head = chunk.toString('latin1', 0, 512);
        if (!/^GET \S*\/events\?/.test(head)) return;
        if (head.includes('until=')) boundedReads++;
        else live.push(upstream);
      }),
    );
    let id = '';
    try {
      const { summary, events } = await monitored(
        { docker: connectDocker({ socketPath: join(dir, 'lag.sock') }), listIntervalMs: 60_000 },
        async () => {
          assert.equal(live.length, 1, 'the live stream went through the relay');
          live[0]!.pause(); // its bytes stay in the engine's socket
          const c = await run('setTimeout(() => process.exit(4), 100)');
          id = c.id;
          await c.wait();
          await c.remove();
        },
      );
      assert.deepEqual(lifecycleOf(events, id), ['create', 'start', 'die', 'destroy']);
      assert.equal(events.find((e) => e.container_id === id && e.event === 'die')!.exit_code, 4);
      assert.equal(boundedReads, 1, 'one bounded read at the stop');
      assert.deepEqual(summary.gaps, []);
    } finally {
      await relay.cut();
    }
  });

  test('the engine going away and coming back: a gap, recorded and closed, events in it recovered', async () => {
    // Cutting the relay is, to the monitor, the engine going away.
    const socketPath = join(dir, 'relay.sock');
    let relay = await relayEngine(socketPath);
    let during = '';
    let living = '';
    let gapFromUs = 0;
    let gapToUs = 0;
    const relayed = connectDocker({ socketPath });
    const { summary, events, samples, logs } = await monitored(
      { docker: relayed, reconnectMs: 200 },
      async () => {
        const c1 = await run('setTimeout(() => {}, 60000)');
        living = c1.id;
        await sleep(500);
        await relay.cut();
        gapFromUs = Date.now() * 1000;
        // While the monitor cannot reach the engine: a whole container life.
        const c2 = await run('setTimeout(() => process.exit(5), 100)');
        during = c2.id;
        await c2.wait();
        await sleep(800);
        relay = await relayEngine(socketPath);
        gapToUs = Date.now() * 1000;
        await sleep(1000);
        await c2.remove();
        await c1.remove({ force: true });
        await sleep(300);
      },
    );
    await relay.cut();
    assert.equal(summary.gaps.length, 1, JSON.stringify(summary.gaps));
    const gap = summary.gaps[0]!;
    assert.equal(gap.target, 'docker events');
    assert.ok(gap.toUs !== undefined, 'the gap is closed');
    assert.ok(gap.fromUs >= gapFromUs - 500_000 && gap.toUs >= gapToUs - 50_000, JSON.stringify(gap));
    assert.ok(summary.counts.reconnects! >= 1);
    assert.ok(logs.some((l) => l.includes('answers again')));
    const lost = events.filter((e) => e.container_id === during).map((e) => e.event);
    for (const e of ['create', 'start', 'die'])
      assert.ok(lost.includes(e), `${e} recovered: ${lost.join(' ')}`);
    assert.equal(events.find((e) => e.container_id === during && e.event === 'die')!.exit_code, 5);
    // The cgroup files do not go through the engine: the living container was sampled throughout.
    const inGap = samples.filter(
      (r) => r.container_id === living && n(r.time) * 1000 > gapFromUs && n(r.time) * 1000 < gapToUs,
    );
    assert.ok(inGap.length >= 5, `${inGap.length} samples during the gap`);
  });
});
