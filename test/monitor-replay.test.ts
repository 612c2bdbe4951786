/**
 * Monitors inside a replay on the embedded platform: on the docker runtime, every instance's
 * lifecycle events and samples every interval while it lives, joinable to its invocations by
 * instance_id and time (CPU of a busy warm invocation, memory of a memory-touching one); on the
 * process runtime the same from /proc; the flags. The docker part needs an engine: without one
 * it says so loudly and skips, under CI it fails.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Manifest } from '../src/dataset/manifest.js';
import { replay } from '../src/run/replay.js';
import { dockerEngine } from './helpers/cannot-run.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const { engine } = await dockerEngine('MONITOR REPLAY DOCKER TESTS');

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v);
const INTERVAL_MS = 50;
let dir: string;
let tracePath: string;

// busy: 800 ms, then 600 ms on the same (prewarmed) instance; mem: touches 96 MB for 300 ms.
const TRACE = ['time,fn,ms,mb', '0.0,busy,800,0', '0.1,mem,300,96', '2.5,busy,600,0'].join('\n');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-monitor-replay-'));
  tracePath = join(dir, 'trace.csv');
  await writeFile(tracePath, `${TRACE}\n`);
});
after(() => rm(dir, { recursive: true, force: true }));

async function run(runtime: 'docker' | 'process', out: string) {
  const result = await replay({
    trace: tracePath,
    format: 'csv',
    csv: { timeColumn: 'time', functionColumn: 'fn', durationColumn: 'ms', memoryColumn: 'mb' },
    runtime,
    out,
    monitor: { sampleIntervalMs: INTERVAL_MS },
    // An idle instance of each function before firing: on a loaded machine a cold start takes
    // seconds, and the second busy invocation must find the first one's instance free.
    prewarm: 1,
    invokeTimeoutMs: 60_000,
  });
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
  const invocations = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
  assert.deepEqual(
    invocations.filter((r) => r.outcome !== 'ok').map((r) => `${r.seq}: ${r.error}`),
    [],
  );
  return { result, manifest, invocations };
}

/** The samples of one instance just before `fromMs` and just after `toMs` (epoch ms). */
function around(samples: Row[], fromMs: number, toMs: number): [Row, Row] {
  const before = samples.filter((s) => n(s.time) <= fromMs).at(-1);
  const after = samples.find((s) => n(s.time) >= toMs);
  assert.ok(before && after, 'samples on both sides of the invocation');
  return [before, after];
}

/** What must hold on either runtime for the samples of each instance. */
function checkSamples(invocations: Row[], samples: Row[]) {
  const busy = invocations.filter((r) => r.function === 'busy' || String(r.target).includes('busy'));
  const warm = invocations.filter((r) => r.cold_start === false && n(r.requested_duration_ms) > 0).at(-1);
  assert.ok(warm, 'a busy invocation ran warm');
  const ofInstance = (id: unknown) => samples.filter((s) => s.instance_id === id);
  for (const inv of invocations) {
    const s = ofInstance(inv.instance_id);
    assert.ok(s.length > 0, `instance ${inv.instance_id} sampled`);
    // Every interval while it lives: the median spacing is the interval (a loaded machine may
    // stretch a few ticks; the sampler skips rather than bunches them).
    const gaps = s.slice(1).map((r, i) => n(r.time) - n(s[i]!.time));
    gaps.sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    assert.ok(median < 2 * INTERVAL_MS, `median spacing ${median} ms at ${INTERVAL_MS} ms`);
  }
  // The warm busy invocation: CPU between the samples around it, against the CPU the function
  // says the call used (process.cpuUsage in the action; invocations.cpu_ms). That is its duration
  // when it has a core to itself; on a loaded machine the niced busy loop gets less of the wall
  // time, and what is checked is that the monitor sees what the process burnt: within 10%, plus
  // the proxy's own handling of the request inside the sampling window.
  const s = ofInstance(warm.instance_id);
  const [b, a] = around(s, n(warm.sent_at), n(warm.ended_at));
  const cpuMs = (n(a.cpu_total_ns) - n(b.cpu_total_ns)) / 1e6;
  const fnCpuMs = n(warm.cpu_ms);
  const execMs = n(warm.exec_ms);
  assert.ok(
    fnCpuMs > 0 && fnCpuMs <= 1.1 * execMs + 10,
    `the function reports ${fnCpuMs} ms of CPU in ${execMs} ms`,
  );
  assert.ok(
    Math.abs(cpuMs - fnCpuMs) <= 0.1 * fnCpuMs + 20,
    `warm busy invocation: ${cpuMs.toFixed(0)} ms of CPU sampled, ${fnCpuMs.toFixed(0)} ms by its own account, over ${execMs.toFixed(0)} ms of execution`,
  );
  assert.ok(busy.length >= 2);
  const mem = invocations.find((r) => n(r.requested_memory_mb) === 96)!;
  const peak = Math.max(...ofInstance(mem.instance_id).map((r) => n(r.memory_rss_bytes)));
  // The trace's memory is the instance's footprint while it runs, runtime included (within 8 MB).
  assert.ok(
    Math.abs(peak - 96 * 2 ** 20) <= 8 * 2 ** 20,
    `the 96 MB invocation's instance peaks at ${(peak / 2 ** 20).toFixed(0)} MB rss`,
  );
  return { cpuMs, fnCpuMs, execMs };
}

describe('monitors in a replay on the docker runtime', {
  skip: engine.available ? false : 'no Docker engine (see above)',
  timeout: 300_000,
}, () => {
  test('every instance: lifecycle events and samples every interval, joinable by instance_id', async () => {
    const out = join(dir, 'docker');
    const { manifest, invocations } = await run('docker', out);
    assert.deepEqual([...manifest.monitors!.selected].sort(), ['container', 'host']);
    for (const t of ['container_events', 'container_samples', 'host_samples']) {
      assert.ok(manifest.tables[t]!.rows > 0, `${t} has rows`);
    }
    const events = rowsOf(await readParquetTable(join(out, 'container_events.parquet')));
    const samples = rowsOf(await readParquetTable(join(out, 'container_samples.parquet')));
    const instances = new Set(invocations.map((r) => r.instance_id));
    assert.equal(instances.size, 2, 'one prewarmed instance of busy, one of mem');
    for (const id of instances) {
      const life = events.filter((e) => e.instance_id === id).map((e) => e.event);
      for (const e of ['create', 'start', 'die', 'destroy'])
        assert.ok(life.includes(e), `${id}: ${e} in ${life.join(' ')}`);
      const die = events.find((e) => e.instance_id === id && e.event === 'die')!;
      assert.ok(die.exit_code !== null, 'die has an exit code');
      // The invocations ran between its start and its death.
      const start = n(events.find((e) => e.instance_id === id && e.event === 'start')!.time);
      for (const inv of invocations.filter((r) => r.instance_id === id)) {
        assert.ok(n(inv.ended_at) <= n(die.time) && n(inv.ended_at) >= start);
      }
    }
    const ours = samples.filter((s) => s.matched_by === 'label');
    assert.ok(ours.every((s) => /^cgroup-v[12]$/.test(String(s.source))));
    const { cpuMs, fnCpuMs, execMs } = checkSamples(invocations, ours);
    console.error(
      `docker: warm busy invocation ${cpuMs.toFixed(0)} ms CPU sampled / ${fnCpuMs.toFixed(0)} ms reported / ${execMs.toFixed(0)} ms exec`,
    );
    const m = manifest.monitors!;
    assert.ok(m.selfCpuS !== null && m.selfCpuS >= 0 && m.selfCpuUsPerTargetSample! > 0);
    assert.deepEqual(m.gaps, []);
  });
});

describe('monitors in a replay on the process runtime', { timeout: 120_000 }, () => {
  test('process samples of every instance from /proc, joinable by instance_id', async () => {
    const out = join(dir, 'process');
    const { manifest, invocations } = await run('process', out);
    assert.deepEqual([...manifest.monitors!.selected].sort(), ['host', 'process']);
    const samples = rowsOf(await readParquetTable(join(out, 'process_samples.parquet')));
    assert.ok(samples.every((s) => s.source === 'proc' && n(s.pid) > 0));
    const { cpuMs, fnCpuMs, execMs } = checkSamples(invocations, samples);
    console.error(
      `process: warm busy invocation ${cpuMs.toFixed(0)} ms CPU sampled / ${fnCpuMs.toFixed(0)} ms reported / ${execMs.toFixed(0)} ms exec`,
    );
    assert.equal(manifest.tables.process_samples!.rows, samples.length);
    assert.ok(manifest.tables.process_samples!.columns.every((c) => c.doc.length > 0));
  });
});

describe('monitor flags', () => {
  test('an unknown monitor, prometheus without --scrape and a bad interval are usage errors (exit 2)', async () => {
    const r = await runCli([
      'replay',
      tracePath,
      '--format',
      'csv',
      '--function-column',
      'fn',
      '--monitor',
      'host,bogus',
      '--out',
      join(dir, 'never'),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--monitor: unknown monitor 'bogus'/);
    const p = await runCli([
      'replay',
      tracePath,
      '--format',
      'csv',
      '--monitor',
      'prometheus',
      '--sample-interval',
      '1ms',
    ]);
    assert.equal(p.code, 2, p.stderr);
    assert.match(p.stderr, /--monitor prometheus needs --scrape/);
    const i = await runCli(['replay', tracePath, '--format', 'csv', '--sample-interval', '1ms']);
    assert.equal(i.code, 2, i.stderr);
    assert.match(i.stderr, /--sample-interval: at least 5ms, got 1ms/);
  });

  test('--help lists the monitoring flags', async () => {
    const r = await runCli(['replay', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--monitor', '--sample-interval', '--scrape', '--scrape-interval', '--host-interval'])
      assert.ok(r.stdout.includes(flag), flag);
  });
});
