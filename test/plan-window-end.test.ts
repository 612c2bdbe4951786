import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspectTrace } from '../src/report/inspect.js';
import { loadPlan, type TracePlanOptions } from '../src/run/load-plan.js';
import { replay } from '../src/run/replay.js';
import { readTrace } from '../src/trace/read.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

/*
 * The end of the window: a trace's last arrival may lie at its very end (an Azure 2021 row of
 * duration 0 ends the trace), and the default window, or --to at or past the end, must plan and
 * send it. For every format: trace inspect's count = planned = rows replayed = requests received.
 * An explicit --to inside the trace stays exclusive.
 */

let dir: string;
let sink: Server;
let received = 0;
let url: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-window-end-'));
  sink = createServer((req, res) => {
    received++;
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/{function}`;
});
after(async () => {
  sink.closeAllConnections();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
  await removeTmpTraces();
});

interface Case {
  name: string;
  /** The trace and how to read it. */
  make(): Promise<Omit<TracePlanOptions, 'speed'>>;
  /** Replay speed that makes the run last well under a second. */
  speed: number;
  /** Trace time (µs) of the last arrival, or of the last bin's start, and what is there. */
  lastUs: number;
  atLast: number;
  /** An explicit --to inside the trace, at an arrival or a bin's start, and what is before it. */
  cut: [toUs: number, before: number];
}

const ten = Array.from({ length: 10 }, (_, i) => i);

const CASES: Case[] = [
  {
    name: 'azure2021, rows of duration 0',
    make: async () => {
      const rows = ten.map((i) => `a,${i % 2 ? 'f' : 'g'},${2 * i}.5,0`);
      const d = await tmpTrace({ 't.csv': ['app,func,end_timestamp,duration', ...rows].join('\n') });
      return { trace: join(d, 't.csv') };
    },
    speed: 100,
    lastUs: 18.5e6,
    cut: [16.5e6, 8],
    atLast: 1,
  },
  {
    name: 'csv',
    make: async () => {
      const rows = ten.map((i) => `${i * 1.5},${i % 3}`);
      const d = await tmpTrace({ 't.csv': ['time,fn', ...rows].join('\n') });
      return {
        trace: join(d, 't.csv'),
        format: 'csv',
        csv: { timeColumn: 'time', timeUnit: 's', functionColumn: 'fn' },
      };
    },
    speed: 100,
    lastUs: 13.5e6,
    cut: [13.5e6, 9],
    atLast: 1,
  },
  {
    name: 'faasload workload, the last arrival at the end of the duration in the file name',
    make: async () => {
      const d = await tmpTrace({
        'user001-resize-128-1-20': '0\ta.png\n20\tb.png\n20\tc.png\n20\td.png\n',
        'user002-blur-256-1-30': '0\tx.jpg\n30\ty.jpg\n',
      });
      return { trace: d };
    },
    speed: 600,
    lastUs: 60e6,
    cut: [60e6, 5],
    atLast: 1,
  },
  {
    name: 'azure2019 per-minute counts',
    make: async () => {
      const d = await tmpTrace({
        'invocations.csv': [
          'HashOwner,HashApp,HashFunction,Trigger,1,2,3',
          'o,a,f,http,2,0,3',
          'o,a,g,timer,1,1,1',
        ].join('\n'),
      });
      return { trace: d };
    },
    speed: 1200,
    lastUs: 120e6,
    cut: [120e6, 4],
    atLast: 4,
  },
  {
    name: 'huawei2023 per-second counts',
    make: async () => {
      const d = await tmpTrace({ 'day_00.csv': ['day,time,0,1', '0,0,2,', '0,1,,3', '0,2,1,2'].join('\n') });
      return { trace: join(d, 'day_00.csv') };
    },
    speed: 20,
    lastUs: 2e6,
    cut: [2e6, 5],
    atLast: 3,
  },
  {
    name: 'huawei2023 per-minute counts',
    make: async () => {
      const d = await tmpTrace({
        'day_00.csv': ['day,time,0,1', '0,0,2,', '0,60,,3', '0,120,1,2'].join('\n'),
      });
      return { trace: join(d, 'day_00.csv') };
    },
    speed: 1200,
    lastUs: 120e6,
    cut: [120e6, 5],
    atLast: 3,
  },
];

async function planned(o: Omit<TracePlanOptions, 'speed'>, extra: Partial<TracePlanOptions> = {}) {
  return (await loadPlan({ ...o, ...extra })).plan.count();
}

describe('the window keeps the trace last arrival', () => {
  for (const c of CASES) {
    it(`${c.name}: inspect = planned = replayed, the default window and --to at or past the end`, async () => {
      const o = await c.make();
      const trace = await readTrace(o.trace, {
        ...(o.format ? { format: o.format } : {}),
        ...(o.csv ? { csv: o.csv } : {}),
      });
      const inspected = inspectTrace(trace).invocations;
      assert.ok(inspected >= 6, `${inspected} invocations in the fixture`);

      assert.equal(await planned(o), inspected, 'the default window');
      assert.equal(await planned(o, { toUs: trace.spanUs }), inspected, '--to at the end');
      assert.equal(await planned(o, { toUs: trace.spanUs + 60e6 }), inspected, '--to past the end');
      assert.equal(await planned(o, { fromUs: c.lastUs }), c.atLast, '--from at the last arrival keeps it');
      assert.equal(
        await planned(o, { toUs: c.cut[0] }),
        c.cut[1],
        'an explicit --to inside the trace is exclusive',
      );

      const before = received;
      const out = join(dir, c.name.replace(/\W+/g, '-'));
      const r = await replay({ ...o, speed: c.speed, platform: 'http', http: { url }, out });
      assert.equal(r.summary.planned, inspected);
      assert.equal(received - before, inspected, 'requests the sink received');
      const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
      assert.equal(rows.length, inspected);
      assert.equal(rows.filter((x) => x.outcome === 'ok').length, inspected);
    });
  }

  it('azure2021 through the CLI: trace inspect, schedule and replay count the same 10', async () => {
    const d = await tmpTrace({
      'ten.csv': ['app,func,end_timestamp,duration', ...ten.map((i) => `a,f,${2 * i}.5,0`)].join('\n'),
    });
    const file = join(d, 'ten.csv');
    const inspect = await runCli(['trace', 'inspect', file, '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).invocations, 10);
    for (const to of [[], ['--to', '18.5s']]) {
      const s = await runCli(['schedule', file, ...to, '--out', join(dir, 'ten.parquet'), '--json']);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(JSON.parse(s.stdout).rows, 10, `schedule ${to.join(' ')}`);
    }
    const before = received;
    const out = join(dir, 'ten-cli');
    const r = await runCli([
      'replay',
      file,
      '--speed',
      '100',
      '--platform',
      'http',
      '--url',
      url,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(received - before, 10);
    assert.equal(rowsOf(await readParquetTable(join(out, 'invocations.parquet'))).length, 10);
  });
});
