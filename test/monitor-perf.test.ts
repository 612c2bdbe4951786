/**
 * The perf monitor: perf's CSV lines, the cgroup lookups, the per-activation interpolation, and
 * real counting with the real perf binary of instances of the embedded platform (process runtime
 * here; test/monitor-perf-replay.test.ts for containers): task-clock against the CPU time the
 * action measured itself, page faults against the memory it touched, context switches of a
 * sleeping action, unsupported events absent from the tables.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { connectDocker } from '../src/embedded/docker/index.js';
import { type LocalFunctionSpec, LocalPlatform } from '../src/embedded/local/index.js';
import { PERF_DEFAULT_EVENTS, PerfMonitor, probePerf } from '../src/monitor/perf.js';
import { cgroupName, InstanceCgroups, perfCgroupMount, processCgroup } from '../src/monitor/perf-cgroup.js';
import { parsePerfLine, rejectedEvent, splitEventList } from '../src/monitor/perf-csv.js';
import { joinCounters } from '../src/monitor/perf-invocations.js';
import {
  type ActivationWindow,
  activationWindow,
  CounterJoin,
  type InvocationCounterRow,
} from '../src/monitor/perf-join.js';
import { need } from './helpers/cannot-run.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const never = new AbortController().signal;
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('perf CSV lines', () => {
  test('counted, not counted (idle), not counted (multiplexed out), not supported, with and without a cgroup', () => {
    const counted = parsePerfLine(
      '     0.215318981;31.56;msec;task-clock;g/i1;31557514;100.00;0.158;CPUs utilized',
      true,
    )!;
    assert.deepEqual(
      {
        relS: counted.relS,
        value: counted.value,
        unit: counted.unit,
        event: counted.event,
        cgroup: counted.cgroup,
      },
      { relS: 0.215318981, value: 31.56, unit: 'msec', event: 'task-clock', cgroup: 'g/i1' },
    );
    assert.equal(counted.runningNs, 31557514);
    assert.equal(counted.share, 1);
    const idle = parsePerfLine('1.0;<not counted>;;page-faults;0;100.00;;', false)!;
    assert.equal(idle.status, 'not-counted');
    assert.equal(idle.value, 0, 'enabled = running = 0: the target did not run, a true zero');
    const out = parsePerfLine('1.0;<not counted>;;cache-misses;0;0.00;;', false)!;
    assert.equal(out.value, null, 'multiplexed out for the whole interval: unknown, not zero');
    const unsupported = parsePerfLine('1.0;<not supported>;;cycles;0;100.00;;', false)!;
    assert.equal(unsupported.status, 'not-supported');
    assert.equal(unsupported.value, null);
    const scaled = parsePerfLine('2.0;1000;;instructions;500000;50.00;;', false)!;
    assert.equal(scaled.share, 0.5);
    assert.equal(scaled.enabledNs, 1_000_000);
    assert.equal(parsePerfLine('# started on Sun Nov 29', false), null);
    assert.equal(parsePerfLine('', true), null);
  });

  test('event lists keep perf syntax with commas; unknown events are named', () => {
    assert.deepEqual(splitEventList('cycles, task-clock,cpu/event=0x3c,umask=0/,cycles'), [
      'cycles',
      'task-clock',
      'cpu/event=0x3c,umask=0/',
    ]);
    assert.equal(rejectedEvent("event syntax error: 'bogus-event'\n  \\___ parser error"), 'bogus-event');
  });
});

describe('cgroups for perf -G', () => {
  const hybrid = [
    '30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  const v1 = `${hybrid}\n33 25 0:29 / /sys/fs/cgroup/perf_event rw - cgroup cgroup rw,perf_event`;
  test('the v1 perf_event hierarchy when mounted, else the v2 one', () => {
    assert.deepEqual(perfCgroupMount(hybrid), { path: '/sys/fs/cgroup/unified', version: 2 });
    assert.deepEqual(perfCgroupMount(v1), { path: '/sys/fs/cgroup/perf_event', version: 1 });
    assert.equal(
      perfCgroupMount('30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory'),
      undefined,
    );
  });
  test("a process's cgroup in that hierarchy", () => {
    const proc = '4:memory:/docker/abc\n3:perf_event:/docker/abc\n0::/system.slice/docker-abc.scope';
    assert.equal(processCgroup(1, { path: '/x', version: 1 }, proc), 'docker/abc');
    assert.equal(processCgroup(1, { path: '/x', version: 2 }, proc), 'system.slice/docker-abc.scope');
    assert.equal(processCgroup(1, { path: '/x', version: 1 }, '0::/'), undefined);
    assert.equal(cgroupName('fn/with space-1'), 'fn_with_space-1');
  });
});

describe('per-activation deltas', () => {
  const w = (id: string, startUs: number, endUs: number, instanceId = 'i1'): ActivationWindow => ({
    activationId: id,
    instanceId,
    functionName: 'f',
    startUs,
    endUs,
    source: 'exec',
  });
  const feed = (join: CounterJoin, instanceId: string, values: number[], stepUs = 1000, scaledAt = -1) => {
    for (const [k, value] of values.entries()) {
      join.add({
        timeUs: (k + 1) * stepUs,
        intervalUs: stepUs,
        instanceId,
        event: 'e',
        unit: '',
        value,
        scaled: k === scaledAt,
      });
    }
  };

  test('an interval goes to the windows overlapping it, by their time in it; overlaps flagged; uncovered left out', () => {
    const rows: InvocationCounterRow[] = [];
    const join = new CounterJoin(
      [w('a', 1500, 3250), w('b', 3000, 3500), w('c', 9000, 20_000), w('x', 100, 900, 'other')],
      (r) => rows.push(r),
    );
    feed(join, 'i1', [10, 20, 40, 80, 0, 0, 0, 0, 0, 0], 1000, 2);
    const counts = join.finish();
    const byId = Object.fromEntries(rows.map((r) => [r.activation_id, r]));
    // a is alone in (1000,2000] = 20, though it covers half of it, and in (2000,3000] = 40;
    // (3000,4000] = 80 is shared with b by their time in it, 250 and 500 µs: a third to a.
    assert.equal(byId.a!.value, 20 + 40 + 80 / 3);
    assert.equal(byId.a!.intervals, 3);
    assert.equal(byId.a!.scaled, true, '(2000,3000] was multiplexed');
    assert.equal(byId.b!.value, (80 * 2) / 3);
    assert.equal(byId.a!.concurrent, true);
    assert.equal(byId.b!.concurrent, true);
    assert.equal(byId.c, undefined, 'c ends after the last interval');
    assert.equal(counts.uncovered, 1);
    assert.equal(counts.rows, 2);
    assert.equal(counts.concurrent, 2);
  });

  test('a window before the first interval is uncovered; an unknown interval leaves the window out', () => {
    const rows: InvocationCounterRow[] = [];
    const join = new CounterJoin([w('early', 0, 1500), w('mid', 2100, 2900)], (r) => rows.push(r));
    join.add({
      timeUs: 2000,
      intervalUs: 1000,
      instanceId: 'i1',
      event: 'e',
      unit: '',
      value: 5,
      scaled: false,
    });
    join.add({
      timeUs: 3000,
      intervalUs: 1000,
      instanceId: 'i1',
      event: 'e',
      unit: '',
      value: null,
      scaled: true,
    });
    const counts = join.finish();
    assert.equal(rows.length, 0);
    assert.equal(counts.uncovered, 1);
    assert.equal(counts.unknown, 1);
  });

  test('windows: ended_at - exec_ms when exec_ms is known, else sent_at to ended_at', () => {
    const base = { activationId: 'a', instanceId: 'i', target: 'f', sentUs: 1_000, endedUs: 10_000 };
    assert.deepEqual(
      [
        activationWindow({ ...base, execMs: 4 })?.startUs,
        activationWindow({ ...base, execMs: null })?.source,
      ],
      [6_000, 'client'],
    );
    assert.equal(activationWindow({ ...base, activationId: null, execMs: 4 }), null);
  });
});

/** CPU-bound until the process has used p.cpuMs of CPU; returns the CPU it measured itself. */
const BUSY = `function main(p) {
  const t0 = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
    const d = process.cpuUsage(t0);
    if ((d.user + d.system) / 1000 >= p.cpuMs) return { cpuMs: (d.user + d.system) / 1000, x };
  }
}`;
/** Touches p.mb MiB of fresh memory, one write per 4 KiB page. */
const TOUCH = `function main(p) {
  const b = Buffer.allocUnsafeSlow(p.mb * 1048576);
  for (let i = 0; i < b.length; i += 4096) b[i] = 1;
  return { mb: p.mb };
}`;
/** Sleeps p.n times 5 ms. */
const SLEEPER = `async function main(p) {
  for (let i = 0; i < p.n; i++) await new Promise((r) => setTimeout(r, 5));
  return { n: p.n };
}`;

/** Steal time of all CPUs since boot, ms (/proc/stat, 10 ms ticks). */
function stealMs(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  return Number(cpu[8] ?? 0) * 10;
}

function action(name: string, code: string): LocalFunctionSpec {
  return { id: `app/${name}`, name, memoryMb: 256, action: { code, main: 'main' } };
}

interface CountedRun {
  rows: InvocationCounterRow[];
  results: {
    name: string;
    params: Record<string, unknown>;
    result: Record<string, unknown>;
    activationId: string;
    /** CPU time the hypervisor took from this VM (all CPUs) during the call, ms. */
    steal: number;
  }[];
  summary: Awaited<ReturnType<PerfMonitor['stop']>>;
  counters: Record<string, unknown>[];
}

/** Runs the calls one after the other on a platform of `runtime` under a perf monitor; the deltas per activation. */
async function countedRun(
  runtime: 'process' | 'docker',
  calls: { fn: LocalFunctionSpec; params: Record<string, unknown> }[],
  monitorOptions: ConstructorParameters<typeof PerfMonitor>[0] = {},
): Promise<CountedRun> {
  const dir = await mkdtemp(join(tmpdir(), 'faasload-perf-'));
  dirs.push(dir);
  const monitor = new PerfMonitor({
    intervalMs: 10,
    ...(runtime === 'docker' ? { docker: connectDocker() } : {}),
    ...monitorOptions,
  });
  await monitor.start({ dir, runId: 'test', log: () => {} });
  const platform = new LocalPlatform({ runtime, startTimeoutMs: 30_000 });
  const results: CountedRun['results'] = [];
  const windows: ActivationWindow[] = [];
  try {
    const fns = [...new Map(calls.map((c) => [c.fn.name, c.fn])).values()];
    await platform.deploy(fns, never);
    // A first call per function: the cold start, and perf attached well before the measured calls.
    for (const fn of fns) await platform.run(fn, { cpuMs: 1, mb: 1, n: 1 }, never);
    await new Promise((r) => setTimeout(r, 100));
    for (const c of calls) {
      const stealBefore = stealMs();
      const r = await platform.run(c.fn, c.params, never);
      const steal = stealMs() - stealBefore;
      assert.equal(r.outcome, 'ok', r.error);
      const window = activationWindow({
        activationId: r.activationId!,
        instanceId: r.instanceId!,
        target: c.fn.name,
        sentUs: r.sentAtUs,
        endedUs: r.endedAtUs,
        execMs: r.execMs ?? null,
      })!;
      windows.push(window);
      results.push({
        name: c.fn.name,
        params: c.params,
        result: r.result!,
        activationId: r.activationId!,
        steal,
      });
      // An idle gap between activations, as in a trace: the interval cut at each end holds little else.
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    await platform.teardown();
  }
  const summary = await monitor.stop();
  const rows: InvocationCounterRow[] = [];
  await joinCounters(join(dir, 'counters.parquet'), windows, (r) => rows.push(r));
  const counters = rowsOf(await readParquetTable(join(dir, 'counters.parquet')));
  return { rows, results, summary, counters };
}

function deltaOf(run: CountedRun, activationId: string, event: string): number {
  const row = run.rows.find((r) => r.activation_id === activationId && r.event === event);
  assert.ok(row, `no ${event} row for ${activationId}`);
  return row.value;
}

/** The checks shared by both runtimes. */
async function checkCounting(runtime: 'process' | 'docker'): Promise<void> {
  const busy = action('busy', BUSY);
  const touch = action('touch', TOUCH);
  const sleeper = action('sleeper', SLEEPER);
  const run = await countedRun(runtime, [
    { fn: busy, params: { cpuMs: 300 } },
    { fn: busy, params: { cpuMs: 600 } },
    // Short: a few 10 ms intervals, two of them cut by its window.
    { fn: busy, params: { cpuMs: 40 } },
    { fn: touch, params: { mb: 8 } },
    { fn: touch, params: { mb: 64 } },
    { fn: sleeper, params: { n: 40 } },
  ]);
  const perf = run.summary.perf;
  // Busy: task-clock (ms of CPU) within 10% of the CPU time the action measured. task-clock is
  // the time the task was on a CPU as the guest sees it, hypervisor steal included, which the
  // kernel's CPU time (getrusage) leaves out: on a VM whose host is busy, add the steal. The
  // window also holds the runtime's own handling of /run around the action (HTTP, JSON, log
  // markers), which the action's own measure does not see: a few ms, allowed up to 10 ms.
  for (const r of run.results.filter((x) => x.name === 'busy')) {
    const taskClockMs = deltaOf(run, r.activationId, 'task-clock');
    const cpuMs = Number(r.result.cpuMs);
    console.log(
      `${runtime}: task-clock ${taskClockMs.toFixed(1)} ms, own CPU ${cpuMs.toFixed(1)} ms, steal ${r.steal} ms`,
    );
    assert.ok(
      taskClockMs >= 0.9 * cpuMs && taskClockMs <= 1.1 * cpuMs + 10 + r.steal,
      `task-clock ${taskClockMs.toFixed(1)} ms vs the action's own CPU time ${cpuMs.toFixed(1)} ms (steal ${r.steal} ms)`,
    );
  }
  // Page faults grow with the memory touched: 56 MiB more is 14336 more 4 KiB pages.
  const [small, large] = run.results.filter((x) => x.name === 'touch');
  const faultsSmall = deltaOf(run, small!.activationId, 'page-faults');
  const faultsLarge = deltaOf(run, large!.activationId, 'page-faults');
  assert.ok(
    faultsLarge - faultsSmall >= 0.5 * 14336,
    `page faults: ${faultsSmall} for 8 MiB, ${faultsLarge} for 64 MiB`,
  );
  // A sleeping action switches out at each of its 40 sleeps (the two intervals cut at the ends
  // of its window are interpolated: allow a fifth less).
  const sleeping = run.results.find((x) => x.name === 'sleeper')!;
  const switches = deltaOf(run, sleeping.activationId, 'context-switches');
  console.log(
    `${runtime}: page faults ${faultsSmall} (8 MiB), ${faultsLarge} (64 MiB); ${switches} switches for 40 sleeps`,
  );
  assert.ok(switches >= 32, `${switches} context switches for 40 sleeps`);
  // Unsupported events: named once in the summary, absent from both tables.
  const unsupported = perf.unsupported.map((u) => u.event);
  assert.deepEqual([...perf.counted, ...unsupported].sort(), [...PERF_DEFAULT_EVENTS].sort());
  for (const e of unsupported) {
    assert.equal(run.counters.filter((r) => r.event === e).length, 0, `${e} rows in counters`);
    assert.equal(run.rows.filter((r) => r.event === e).length, 0, `${e} rows in invocation_counters`);
  }
  for (const e of perf.counted)
    assert.ok(
      run.counters.some((r) => r.event === e),
      `no ${e} row`,
    );
  assert.equal(run.rows.filter((r) => r.concurrent).length, 0, 'calls one at a time');
  assert.ok(perf.perfProcesses >= 3, 'one perf process per instance');
}

const WHAT = 'PERF COUNTING TESTS';
const noPerf = await need('perf', WHAT);
const probe = noPerf ? undefined : await probePerf(PERF_DEFAULT_EVENTS);
const mount = perfCgroupMount();
const noDocker = noPerf ?? (await need('docker', `${WHAT} ON DOCKER`));

describe('counting instances of the process runtime', { skip: noPerf ?? false, timeout: 120_000 }, () => {
  test('this machine: hardware events are reported unsupported when perf says so', () => {
    // On a VM without a virtual PMU (this project's CI) cycles and instructions do not count.
    for (const u of probe!.unsupported) assert.match(u.reason, /not supported/);
    assert.ok(probe!.supported.includes('task-clock'), 'software events always count');
  });

  test('task-clock, page faults, context switches per activation, in a cgroup per instance', async () => {
    await checkCounting('process');
  });

  test('perf stat -p when asked: the same deltas without a cgroup', async () => {
    const busy = action('busy', BUSY);
    const run = await countedRun('process', [{ fn: busy, params: { cpuMs: 300 } }], { processScope: 'pid' });
    assert.equal(run.summary.perf.processScope, 'pid');
    assert.ok(run.counters.every((r) => r.scope === 'pid' && r.pid !== null));
    const r = run.results[0]!;
    const taskClockMs = deltaOf(run, r.activationId, 'task-clock');
    assert.ok(
      Math.abs(taskClockMs - Number(r.result.cpuMs)) <= 0.1 * Number(r.result.cpuMs),
      `${taskClockMs}`,
    );
  });

  test('activations overlapping on one instance are flagged concurrent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faasload-perf-'));
    dirs.push(dir);
    const monitor = new PerfMonitor({ intervalMs: 10 });
    await monitor.start({ dir, runId: 'test', log: () => {} });
    const platform = new LocalPlatform({ runtime: 'process', startTimeoutMs: 30_000 });
    const fn: LocalFunctionSpec = { ...action('both', SLEEPER), concurrency: 2 };
    const windows: ActivationWindow[] = [];
    try {
      await platform.deploy([fn], never);
      await platform.run(fn, { n: 1 }, never);
      const both = await Promise.all([
        platform.run(fn, { n: 20 }, never),
        platform.run(fn, { n: 20 }, never),
      ]);
      assert.equal(both[0].instanceId, both[1].instanceId, 'one instance ran both');
      for (const r of both) {
        assert.equal(r.outcome, 'ok', r.error);
        windows.push(
          activationWindow({
            activationId: r.activationId!,
            instanceId: r.instanceId!,
            target: fn.name,
            sentUs: r.sentAtUs,
            endedUs: r.endedAtUs,
            execMs: r.execMs ?? null,
          })!,
        );
      }
    } finally {
      await platform.teardown();
      await monitor.stop();
    }
    const rows: InvocationCounterRow[] = [];
    const counts = await joinCounters(join(dir, 'counters.parquet'), windows, (r) => rows.push(r));
    assert.equal(counts.concurrent, 2);
    assert.ok(rows.length > 0 && rows.every((r) => r.concurrent));
  });

  test('no permission to count: the error names perf_event_paranoid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faasload-perf-'));
    dirs.push(dir);
    // A stand-in for perf answering as it does for a user without the right (the tests run as root).
    const fake = join(dir, 'perf');
    await writeFile(
      fake,
      '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "perf version 6.1"; exit 0; fi\n' +
        'echo "Error:\nAccess to performance monitoring and observability operations is limited." >&2\nexit 255\n',
      { mode: 0o755 },
    );
    await assert.rejects(
      probePerf(['task-clock'], fake),
      /no permission to count events \(kernel\.perf_event_paranoid = /,
    );
  });

  test('empty cgroups left by a crashed run are removed', {
    skip: mount ? false : 'no cgroup hierarchy',
  }, () => {
    const stale = join(mount!.path, processCgroup(process.pid, mount!) ?? '', 'faasload-perf-999999999');
    mkdirSync(join(stale, 'fn-1'), { recursive: true });
    assert.ok(new InstanceCgroups(mount!).usable());
    assert.equal(existsSync(stale), false);
    assert.equal(new InstanceCgroups(mount!).releaseAll().length, 0);
  });

  test('an unknown event or a missing perf binary is a clear error', async () => {
    await assert.rejects(
      probePerf(['task-clock', 'no-such-event']),
      /perf does not know the event 'no-such-event'/,
    );
    await assert.rejects(probePerf(['task-clock'], '/nonexistent/perf'), /no perf binary/);
  });
});

describe('counting instances of the docker runtime', {
  skip: noDocker ?? false,
  timeout: 180_000,
}, () => {
  test("task-clock, page faults, context switches per activation, in each container's cgroup", async () => {
    await checkCounting('docker');
  });
});
