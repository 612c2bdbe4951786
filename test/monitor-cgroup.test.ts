/**
 * The cgroup reader on file trees laid out as cgroup v2 and v1 (this machine's engine is v1 only,
 * so v2 is checked on a copy of its layout): where a container's cgroup is found, what each
 * measure is read from (fewest files: the tests leave out the files it must not need), that a
 * reused row is overwritten whole, and that a removed cgroup is "gone". The byte parsers of
 * kernel text are checked on the odd lines the kernel writes.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CgroupReader,
  cgroupVersion,
  IDLE_REFRESH_MS,
  parseBlkioV1,
  parseIoStatV2,
  sumUsageAll,
} from '../src/monitor/cgroup.js';
import { LineKeys, latin1, lineValues, scan, uintAt } from '../src/monitor/kernel-text.js';
import { emptyMeasures, isGone, type Measures } from '../src/monitor/measures.js';

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
  assert.deepEqual(
    parseBlkioV1(
      '8:0 Read 100\n8:0 Write 7\n8:0 Sync 107\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 107\n' +
        '8:16 Read 20\n8:16 Write 3\n8:16 Total 23\nTotal 130\n',
    ),
    { read: 120, write: 10 },
    'Read and Write lines summed over devices; Sync, Total and the last line not counted again',
  );
  assert.deepEqual(
    parseIoStatV2(
      '8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=99 dios=1\n8:16 rbytes=5 wbytes=0 rios=1 wios=0\n',
    ),
    { read: 15, write: 20 },
    'dbytes (discards) and the io counts are not bytes read or written',
  );
});

test('kernel text parsers: numbers in place, keys with a space or a colon, absent keys NaN', () => {
  const b = latin1('  12345 678\n');
  assert.equal(uintAt(b, 0, b.length), 12345);
  assert.equal(scan.end, 7);
  assert.equal(uintAt(b, scan.end, b.length), 678);
  assert.ok(Number.isNaN(uintAt(latin1('max\n'), 0, 4)), "cgroup v2 'max' has no digits");
  assert.equal(uintAt(latin1('9007199254740991'), 0, 16), 2 ** 53 - 1, 'exact up to 2^53');
  const out = new Float64Array(4);
  const keys = new LineKeys(['rss', 'total_rss', 'read_bytes', 'absent']);
  const text = latin1('rss_huge 1\nrss 2\ntotal_rss 3\nrss 99\nread_bytes: 4096\n');
  lineValues(text, text.length, keys, out);
  assert.deepEqual([...out.subarray(0, 3)], [2, 3, 4096], 'a key is a whole word; the first occurrence wins');
  assert.ok(Number.isNaN(out[3]!));
  // Only the bytes given count: what lies after n (an earlier, longer read) is ignored.
  lineValues(text, 6, keys, out);
  assert.ok(Number.isNaN(out[0]!), "'rss_hu' is no key");
  const all = latin1('cpu user system\n0 100 10\n1 200 20\n');
  const pair = new Float64Array(2);
  assert.equal(sumUsageAll(all, all.length, pair), 2);
  assert.deepEqual([...pair], [300, 30]);
});

/** A v1 tree for ID with the given files per controller (cgroup.procs added). */
async function v1Tree(name: string, content: Record<string, Record<string, string>>): Promise<string> {
  const v1 = join(root, name);
  for (const [controller, entries] of Object.entries(content)) {
    await files(join(v1, controller, 'docker', ID), { 'cgroup.procs': '1\n', ...entries });
  }
  return v1;
}

test('cgroup v1 (current kernels): user and system from cpuacct.usage_all, the limit from memory.stat', async () => {
  // No cpuacct.usage_user/usage_sys nor memory.limit_in_bytes: the reader must not need them.
  const v1 = await v1Tree('v1-current', {
    cpuacct: {
      'cpuacct.usage': '72743259\n',
      'cpuacct.usage_all': 'cpu user system\n0 28000000 12000000\n1 20000000 8000000\n',
    },
    memory: {
      'memory.usage_in_bytes': '9719808\n',
      'memory.stat':
        'cache 3000\nrss 5000\nrss_huge 0\nhierarchical_memory_limit 268435456\n' +
        'hierarchical_memsw_limit 9223372036854771712\ntotal_cache 3428352\ntotal_rss 5353472\n',
    },
    pids: { 'pids.current': '7\n' },
    cpu: { 'cpu.stat': 'nr_periods 12\nnr_throttled 2\nthrottled_time 3500000\nnr_bursts 0\nburst_time 0\n' },
    blkio: {
      'blkio.throttle.io_service_bytes': '8:0 Read 4096\n8:0 Write 512\n8:0 Total 4608\nTotal 4608\n',
    },
  });
  const reader = CgroupReader.open(ID, undefined, v1);
  assert.ok(reader);
  // A row reused from another sample: every measure must be overwritten.
  const row: Measures & { time: number } = { ...emptyMeasures('stats'), time: 1 };
  for (const k of Object.keys(row) as (keyof Measures)[]) if (k !== 'source') (row[k] as number) = -1;
  assert.equal(reader.read(row), row, 'read() fills the object it is given');
  assert.deepEqual(row, {
    time: -1,
    source: 'cgroup-v1',
    cpu_user_ns: 48_000_000,
    cpu_system_ns: 20_000_000,
    cpu_total_ns: 72_743_259,
    memory_usage_bytes: 9_719_808,
    memory_rss_bytes: 5_353_472,
    memory_cache_bytes: 3_428_352,
    memory_limit_bytes: 268_435_456,
    pids: 7,
    cpu_periods: 12,
    cpu_throttled_periods: 2,
    cpu_throttled_ns: 3_500_000,
    io_read_bytes: 4096,
    io_write_bytes: 512,
  });
  // The files stay open: a new content is seen by the next read.
  await writeFile(join(v1, 'cpuacct', 'docker', ID, 'cpuacct.usage'), '80000000\n');
  assert.equal(reader.read().cpu_total_ns, 80_000_000);
  reader.close();
});

test('cgroup v1 on a host with many CPUs: usage_all once, then usage_user and usage_sys', async () => {
  const lines = Array.from({ length: 12 }, (_, cpu) => `${cpu} 1000 100`).join('\n');
  const v1 = await v1Tree('v1-many-cpus', {
    cpuacct: {
      'cpuacct.usage': '20000\n',
      'cpuacct.usage_all': `cpu user system\n${lines}\n`,
      'cpuacct.usage_user': '12000\n',
      'cpuacct.usage_sys': '1200\n',
    },
    memory: {
      'memory.usage_in_bytes': '1\n',
      'memory.limit_in_bytes': '4096\n',
      'memory.stat': 'rss 1\ncache 0\n',
    },
  });
  const reader = CgroupReader.open(ID, undefined, v1);
  assert.ok(reader);
  const first = reader.read();
  assert.equal(first.cpu_user_ns, 12_000);
  assert.equal(first.memory_limit_bytes, 4096, 'an old memory.stat without the limit: limit_in_bytes');
  assert.equal(first.pids, null, 'no pids controller: null');
  assert.equal(first.io_read_bytes, null, 'no blkio controller: null');
  // From now on the two short files are read: usage_all's new values are not.
  await writeFile(join(v1, 'cpuacct', 'docker', ID, 'cpuacct.usage_all'), 'cpu user system\n0 1 1\n');
  await writeFile(join(v1, 'cpuacct', 'docker', ID, 'cpuacct.usage_user'), '15000\n');
  await writeFile(join(v1, 'cpuacct', 'docker', ID, 'cpuacct.usage'), '36200\n'); // it ran
  const second = reader.read();
  assert.equal(second.cpu_user_ns, 15_000);
  assert.equal(second.cpu_system_ns, 1_200);
  reader.close();
});

test('cgroup v1 throttling: cpu.stat at every sample with a CPU quota, once a second without', async () => {
  const v1 = await v1Tree('v1-quota', {
    cpuacct: { 'cpuacct.usage': '1\n', 'cpuacct.usage_all': 'cpu user system\n0 1 0\n' },
    memory: {
      'memory.usage_in_bytes': '1\n',
      'memory.stat': 'rss 1\ncache 0\nhierarchical_memory_limit 4096\n',
    },
    cpu: { 'cpu.cfs_quota_us': '-1\n', 'cpu.stat': 'nr_periods 5\nnr_throttled 1\nthrottled_time 7\n' },
  });
  const cpu = (name: string) => join(v1, 'cpu', 'docker', ID, name);
  const reader = CgroupReader.open(ID, undefined, v1);
  assert.ok(reader);
  assert.equal(reader.read().cpu_periods, 5, 'read at the first sample');
  // Without a quota the kernel does not move these counters: the file is not re-read at once.
  await writeFile(cpu('cpu.stat'), 'nr_periods 9\nnr_throttled 2\nthrottled_time 8\n');
  assert.equal(reader.read().cpu_periods, 5);
  await writeFile(cpu('cpu.cfs_quota_us'), '50000\n');
  await new Promise((r) => setTimeout(r, 1100));
  const m = reader.read();
  assert.deepEqual(
    [m.cpu_periods, m.cpu_throttled_periods, m.cpu_throttled_ns],
    [9, 2, 8],
    'quota seen: re-read',
  );
  await writeFile(cpu('cpu.stat'), 'nr_periods 11\nnr_throttled 2\nthrottled_time 8\n');
  assert.equal(reader.read().cpu_periods, 11, 'with a quota: read at every sample');
  reader.close();
});

test('cgroup v2: an empty io.stat (no I/O yet) is zero bytes, not a removed cgroup', async () => {
  const v2 = join(root, 'v2-idle');
  await files(v2, { 'cgroup.controllers': 'cpu memory pids io\n' });
  await files(join(v2, 'docker', ID), {
    'cgroup.procs': '1\n',
    'cpu.stat': 'usage_usec 10\nuser_usec 6\nsystem_usec 4\n',
    'memory.current': '4096\n',
    'memory.max': '268435456\n',
    'memory.stat': 'anon 4096\nfile 0\n',
    'io.stat': '',
  });
  const reader = CgroupReader.open(ID, undefined, v2);
  assert.ok(reader);
  const m = reader.read();
  assert.equal(m.io_read_bytes, 0);
  assert.equal(m.io_write_bytes, 0);
  assert.equal(m.memory_limit_bytes, 268_435_456);
  assert.equal(m.cpu_periods, null, 'no CPU controller figures without a quota line: null');
  assert.equal(m.pids, null, 'no pids.current: null');
  assert.equal(m.cpu_total_ns, 10_000);
  reader.close();
});

test('an idle cgroup (v1 and v2): what only moves with its tasks is carried over, for at most IDLE_REFRESH_MS', async () => {
  const v1 = join(root, 'v1-carry');
  const v2 = join(root, 'v2-carry');
  await files(v2, { 'cgroup.controllers': 'cpu memory pids io\n' });
  const at1 = (c: string, name: string) => join(v1, c, 'docker', ID, name);
  const at2 = (name: string) => join(v2, 'docker', ID, name);
  for (const c of ['cpuacct', 'memory', 'pids', 'blkio'])
    await files(join(v1, c, 'docker', ID), { 'cgroup.procs': '1\n' });
  await files(join(v2, 'docker', ID), { 'cgroup.procs': '1\n', 'memory.max': '65536\n' });
  // Generation k of each file: the CPU total, the memory charge, pids, and the files an idle
  // cgroup's sample does not read (rss 4096·k, read bytes 10+k, and on v1 user time 60+k).
  const cases = [
    {
      cpu: (k: number) => [at1('cpuacct', 'cpuacct.usage'), `${100 + k}\n`],
      memory: (k: number) => [at1('memory', 'memory.usage_in_bytes'), `${8192 * k}\n`],
      pids: (k: number) => [at1('pids', 'pids.current'), `${k}\n`],
      slow: (k: number) => [
        [at1('cpuacct', 'cpuacct.usage_all'), `cpu user system\n0 ${60 + k} 40\n`],
        [
          at1('memory', 'memory.stat'),
          `total_rss ${4096 * k}\ntotal_cache 0\nhierarchical_memory_limit 65536\n`,
        ],
        [at1('blkio', 'blkio.throttle.io_service_bytes'), `8:0 Read ${10 + k}\n8:0 Write 20\n`],
      ],
      root: v1,
    },
    {
      cpu: (k: number) => [at2('cpu.stat'), `usage_usec ${k}\nuser_usec ${k}\nsystem_usec 0\n`],
      memory: (k: number) => [at2('memory.current'), `${8192 * k}\n`],
      pids: (k: number) => [at2('pids.current'), `${k}\n`],
      slow: (k: number) => [
        [at2('memory.stat'), `anon ${4096 * k}\nfile 0\n`],
        [at2('io.stat'), `8:0 rbytes=${10 + k} wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n`],
      ],
      root: v2,
    },
  ];
  for (const c of cases) {
    const write = async (...each: string[][]) => {
      for (const [path, text] of each) await writeFile(path!, text!);
    };
    await write(c.cpu(1), c.memory(1), c.pids(1), ...c.slow(1));
    const reader = CgroupReader.open(ID, undefined, c.root);
    assert.ok(reader);
    const v = `v${reader.version}`;
    /** The generation of the slow files a sample shows. */
    const generation = (m: Measures) => {
      const k = m.memory_rss_bytes! / 4096;
      assert.equal(m.io_read_bytes, 10 + k, `${v}: one generation`);
      if (reader.version === 1) assert.equal(m.cpu_user_ns, 60 + k, `${v}: one generation`);
      return k;
    };
    const full = { ...reader.read() };
    assert.equal(generation(full), 1);
    await write(c.pids(2), ...c.slow(2));
    // A reused row whose carried measures were overwritten meanwhile: they are set again.
    const idle = reader.read(emptyMeasures('stats'));
    assert.deepEqual({ ...idle, pids: 1 }, full, `${v}: while idle, the same sample as the full read`);
    assert.equal(idle.pids, 2, `${v}: pids.current is read at every sample`);
    // The CPU total moves (a task ran), then the memory charge alone: each time a full read,
    // which is then carried over.
    await write(c.cpu(2));
    assert.equal(generation(reader.read()), 2, `${v}: CPU moved`);
    await write(...c.slow(3));
    assert.equal(generation(reader.read()), 2, `${v}: carried`);
    await write(c.memory(2));
    assert.equal(generation(reader.read()), 3, `${v}: memory moved`);
    await write(...c.slow(4));
    assert.equal(generation(reader.read()), 3, `${v}: carried`);
    // Nothing moves, but the last full read is IDLE_REFRESH_MS old: read again.
    await new Promise((r) => setTimeout(r, IDLE_REFRESH_MS + 50));
    assert.equal(generation(reader.read()), 4, `${v}: refreshed`);
    reader.close();
    // idleRefreshMs 0: every file at every sample.
    const every = CgroupReader.open(ID, undefined, c.root, 0)!;
    assert.equal(generation(every.read()), 4);
    await write(...c.slow(5));
    assert.equal(generation(every.read()), 5, `${v}: read again with idleRefreshMs 0`);
    every.close();
  }
});
