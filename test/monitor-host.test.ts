/**
 * The host monitor on this machine's /proc: values that agree with what Node's os module says,
 * counters that never go back, and CPU time per state that adds up to the wall time x CPUs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HostMonitor } from '../src/monitor/host.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

let dir: string;
after(() => rm(dir, { recursive: true, force: true }));

test('host samples: sane values, monotonic counters, CPU states adding up to wall time', async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-monitor-host-'));
  const monitor = new HostMonitor({ intervalMs: 200 });
  await monitor.start({ dir, runId: 'test', log: () => {} });
  await sleep(2100);
  const summary = await monitor.stop();
  const rows = rowsOf(await readParquetTable(join(dir, 'host_samples.parquet')));
  assert.equal(rows.length, summary.rows);
  assert.ok(rows.length >= 9 && rows.length <= 12, `${rows.length} rows in 2.1 s at 200 ms`);
  const n = (r: Record<string, unknown>, k: string) => Number(r[k]);
  const first = rows[0]!;
  const last = rows.at(-1)!;
  assert.equal(n(first, 'cpus'), cpus().length);
  assert.equal(n(first, 'mem_total_bytes'), totalmem());
  for (const r of rows) {
    assert.ok(n(r, 'mem_free_bytes') > 0 && n(r, 'mem_free_bytes') <= n(r, 'mem_total_bytes'));
    assert.ok(n(r, 'mem_available_bytes') <= n(r, 'mem_total_bytes'));
    assert.ok(n(r, 'load1') >= 0 && Number.isFinite(n(r, 'load1')));
    assert.ok(n(r, 'procs_running') >= 1, 'this process at least is running');
  }
  const counters = Object.keys(first).filter((k) => /^(cpu_.*_ms|net_|disk_)/.test(k));
  assert.ok(counters.length >= 16);
  for (let i = 1; i < rows.length; i++) {
    for (const k of counters) assert.ok(n(rows[i]!, k) >= n(rows[i - 1]!, k), `${k} went back`);
  }
  // Sampling this machine generates loopback traffic elsewhere; at least the counters exist.
  assert.ok(n(last, 'net_rx_bytes') > 0, 'some bytes received since boot');
  const cpuMs = (r: Record<string, unknown>) =>
    ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'].reduce(
      (s, st) => s + n(r, `cpu_${st}_ms`),
      0,
    );
  const wallMs = n(last, 'time') - n(first, 'time');
  const stateMs = cpuMs(last) - cpuMs(first);
  const expected = wallMs * cpus().length;
  assert.ok(
    Math.abs(stateMs - expected) <= 0.2 * expected + 100,
    `CPU states sum to ${stateMs} ms over ${wallMs} ms x ${cpus().length} CPUs`,
  );
  assert.ok(summary.tickLateUs !== null && summary.tickLateUs.p50 < 50_000);
  assert.deepEqual(summary.gaps, []);
});

test('a /proc that cannot be read is a gap, not a crash', async () => {
  const gapDir = await mkdtemp(join(tmpdir(), 'faasload-monitor-host-gap-'));
  try {
    const monitor = new HostMonitor({ intervalMs: 50, procRoot: join(gapDir, 'no-proc') });
    const logs: string[] = [];
    await monitor.start({ dir: gapDir, runId: 'test', log: (l) => logs.push(l) });
    await sleep(200);
    const summary = await monitor.stop();
    assert.equal(summary.rows, 0);
    assert.equal(summary.gaps.length, 1, 'one gap, however many ticks failed');
    assert.match(summary.gaps[0]!.reason, /ENOENT/);
    assert.equal(logs.length, 1);
  } finally {
    await rm(gapDir, { recursive: true, force: true });
  }
});
