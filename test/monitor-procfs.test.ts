/**
 * The process reader (/proc/<pid>/stat, statm, io parsed as bytes): on a fake /proc whose command
 * name holds spaces and parentheses, on a real busy child process (its CPU and memory show, then
 * it exits and reads say gone), and the process monitor keeping a vanished instance out of its
 * table without failing.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { announceInstance } from '../src/embedded/local/instance-channel.js';
import { emptyMeasures, isGone } from '../src/monitor/measures.js';
import { ProcessMonitor } from '../src/monitor/process.js';
import { ProcessReader } from '../src/monitor/procfs.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-procfs-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('a fake /proc/<pid>: fields after the last parenthesis, pages into bytes, io by key', async () => {
  const proc = join(dir, 'proc');
  await mkdir(join(proc, '4242'), { recursive: true });
  // comm `a) b (c`: the name ends at the last ')'. utime 250, stime 50 ticks, 3 threads.
  const fields = ['S', '1', '4242', '4242', '0', '-1', '4194560', '100', '0', '0', '0', '250', '50'];
  fields.push('0', '0', '20', '0', '3', '0', '12345', '4096000', '200');
  await writeFile(join(proc, '4242', 'stat'), `4242 (a) b (c) ${fields.join(' ')}\n`);
  await writeFile(join(proc, '4242', 'statm'), '1000 200 50 10 0 150 0\n');
  await writeFile(
    join(proc, '4242', 'io'),
    'rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 8192\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n',
  );
  const reader = new ProcessReader(4242, proc);
  const row = { time: 7, ...emptyMeasures('stats'), memory_limit_bytes: 5 };
  assert.equal(reader.read(row), row);
  assert.deepEqual(row, {
    time: 7,
    source: 'proc',
    cpu_user_ns: 2_500_000_000,
    cpu_system_ns: 500_000_000,
    cpu_total_ns: 3_000_000_000,
    memory_usage_bytes: 200 * 4096,
    memory_rss_bytes: 150 * 4096,
    memory_cache_bytes: 50 * 4096,
    memory_limit_bytes: null,
    pids: 3,
    cpu_periods: null,
    cpu_throttled_periods: null,
    cpu_throttled_ns: null,
    io_read_bytes: 8192,
    io_write_bytes: 4096,
  });
  reader.close();
});

test('a real process: its CPU and memory show while it lives; once it is gone a read says so', async (t) => {
  // Burns 400 ms of its own CPU time (not wall time: the machine may be busy) with 64 MiB
  // touched, then waits to be killed; killed whatever the assertions say, so a failure cannot
  // leave it holding the test runner open.
  const child = spawn(
    process.execPath,
    [
      '-e',
      'const b = Buffer.alloc(64 * 2 ** 20, 1); while (process.cpuUsage().user + process.cpuUsage().system < 400e3); console.log(b[0]); setInterval(() => {}, 1000);',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  t.after(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const reader = new ProcessReader(child.pid!);
  const m = reader.read();
  assert.ok(m.cpu_total_ns! >= 300e6, `cpu ${m.cpu_total_ns} ns after burning 400 ms`);
  assert.equal(m.cpu_total_ns, m.cpu_user_ns! + m.cpu_system_ns!);
  assert.ok(
    m.memory_usage_bytes! >= 64 * 2 ** 20,
    `resident ${m.memory_usage_bytes} bytes with 64 MiB touched`,
  );
  assert.ok(m.memory_rss_bytes! >= 60 * 2 ** 20, 'the buffer is anonymous memory');
  assert.ok(m.pids! >= 2, 'node runs several threads');
  assert.notEqual(m.io_read_bytes, null, 'our own child: io is readable');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.throws(
    () => reader.read(),
    (e) => isGone(e),
  );
  reader.close();
});

test('the process monitor: an instance that exits unannounced is dropped and counted, the others sampled', async () => {
  const runDir = await mkdtemp(join(dir, 'run-'));
  const keep = spawn('sleep', ['30'], { stdio: 'ignore' });
  const gone = spawn('sleep', ['30'], { stdio: 'ignore' });
  const monitor = new ProcessMonitor({ intervalMs: 20 });
  await monitor.start({ dir: runDir, runId: 'test', log: () => undefined });
  try {
    announceInstance({ t: 'start', id: 'procfs-keep', functionName: 'f', pid: keep.pid });
    announceInstance({ t: 'start', id: 'procfs-gone', functionName: 'g', pid: gone.pid });
    await sleep(150);
    const exited = new Promise((resolve) => gone.once('exit', resolve));
    gone.kill('SIGKILL');
    await exited;
    await sleep(150);
  } finally {
    keep.kill();
  }
  const summary = await monitor.stop();
  assert.equal(summary.counts.vanished, 1);
  const rows = rowsOf(await readParquetTable(join(runDir, 'process_samples.parquet')));
  const of = (id: string) => rows.filter((r) => r.instance_id === id);
  assert.ok(of('procfs-keep').length >= 10, `${of('procfs-keep').length} samples of the live instance`);
  assert.ok(of('procfs-gone').length >= 3, 'the other one was sampled while it lived');
  const times = of('procfs-keep').map((r) => Number(r.time));
  assert.ok(
    times.every((t, i) => i === 0 || t > times[i - 1]!),
    'reused rows: each sample has its own time',
  );
  assert.ok(of('procfs-keep').every((r) => r.function === 'f' && Number(r.pid) === keep.pid));
  assert.equal(summary.targetSamples, rows.length);
});
