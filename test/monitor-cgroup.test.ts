/**
 * The cgroup reader on file trees laid out as cgroup v2 and v1 (this machine's engine is v1 only,
 * so v2 is checked on a copy of its layout): where a container's cgroup is found, what each
 * measure is read from, and that a removed cgroup is "gone".
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CgroupReader, cgroupVersion, parseBlkioV1, parseIoStatV2 } from '../src/monitor/cgroup.js';
import { isGone } from '../src/monitor/measures.js';

const ID = 'a'.repeat(64);
let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'faasload-cgroup-'));
});
after(() => rm(root, { recursive: true, force: true }));

async function files(dir: string, content: Record<string, string>) {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(content)) await writeFile(join(dir, name), text);
}

test('cgroup v2 (systemd driver layout): every measure from its file, max as no limit', async () => {
  const v2 = join(root, 'v2');
  await files(v2, { 'cgroup.controllers': 'cpu memory pids io\n' });
  await files(join(v2, 'system.slice', `docker-${ID}.scope`), {
    'cgroup.procs': '1234\n',
    'cpu.stat':
      'usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\nnr_periods 40\nnr_throttled 3\nthrottled_usec 25000\n',
    'memory.current': '104857600\n',
    'memory.max': 'max\n',
    'memory.stat': 'anon 83886080\nfile 16777216\nkernel 1048576\n',
    'pids.current': '7\n',
    'io.stat':
      '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=100 wbytes=0 rios=1 wios=0\n',
  });
  assert.equal(cgroupVersion(v2), 2);
  const reader = CgroupReader.open(ID, undefined, v2);
  assert.ok(reader);
  const m = reader.read();
  assert.deepEqual(m, {
    source: 'cgroup-v2',
    cpu_user_ns: 1e9,
    cpu_system_ns: 5e8,
    cpu_total_ns: 1.5e9,
    memory_usage_bytes: 104857600,
    memory_rss_bytes: 83886080,
    memory_cache_bytes: 16777216,
    memory_limit_bytes: null,
    pids: 7,
    cpu_periods: 40,
    cpu_throttled_periods: 3,
    cpu_throttled_ns: 25_000_000,
    io_read_bytes: 4196,
    io_write_bytes: 8192,
  });
  reader.close();
  assert.equal(CgroupReader.open('b'.repeat(64), undefined, v2), undefined, 'another container: none');
});

test('cgroup v1 (cgroupfs layout, an older kernel without cpuacct.usage_user): ticks into ns', async () => {
  const v1 = join(root, 'v1');
  const dir = (c: string) => join(v1, c, 'docker', ID);
  await files(dir('cpuacct'), {
    'cgroup.procs': '1\n',
    'cpuacct.usage': '2000000000\n',
    'cpuacct.stat': 'user 150\nsystem 50\n',
  });
  await files(dir('memory'), {
    'cgroup.procs': '1\n',
    'memory.usage_in_bytes': '5000\n',
    'memory.limit_in_bytes': '9223372036854771712\n',
    'memory.stat': 'cache 1000\nrss 3000\nrss_huge 0\ntotal_cache 1100\ntotal_rss 3100\n',
  });
  await files(dir('pids'), { 'cgroup.procs': '1\n', 'pids.current': '3\n' });
  await files(dir('blkio'), {
    'cgroup.procs': '1\n',
    'blkio.throttle.io_service_bytes':
      '8:0 Read 512\n8:0 Write 1024\n8:0 Sync 0\n8:0 Total 1536\nTotal 1536\n',
  });
  assert.equal(cgroupVersion(v1), 1);
  const reader = CgroupReader.open(ID, undefined, v1);
  assert.ok(reader);
  const m = reader.read();
  assert.equal(m.source, 'cgroup-v1');
  assert.equal(m.cpu_total_ns, 2e9);
  assert.equal(m.cpu_user_ns, 1.5e9);
  assert.equal(m.cpu_system_ns, 5e8);
  assert.equal(m.memory_limit_bytes, null, 'the v1 "unlimited" number is no limit');
  assert.equal(m.memory_rss_bytes, 3100, 'hierarchical totals first');
  assert.equal(m.memory_cache_bytes, 1100);
  assert.equal(m.pids, 3);
  assert.equal(m.cpu_periods, null, 'no cpu controller here: no throttling figures');
  assert.equal(m.io_read_bytes, 512);
  assert.equal(m.io_write_bytes, 1024);
  // The container goes: its files vanish; the reader says gone.
  await rm(dir('cpuacct'), { recursive: true });
  reader.close();
  assert.throws(
    () => reader.read(),
    (e) => isGone(e),
  );
});

test('block I/O parsers', () => {
  assert.deepEqual(parseBlkioV1('Total 0\n'), { read: 0, write: 0 });
  assert.deepEqual(parseIoStatV2(''), { read: 0, write: 0 });
});
