/**
 * The execution's own targets in the row, on every platform generate runs on: peak memory reset
 * per execution (a warm instance that ran a large input and then a small one reports the small
 * one's peak, on both runtimes of the embedded platform), CPU time, faults and I/O measured around
 * the call; a user function folder run with typed parameters and generated inputs; the same
 * targets through the OpenWhisk API (faasload's embedded server on 127.0.0.1); and a platform
 * that hands back no answer (Knative, a fake ingress on 127.0.0.1) leaving them null.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parquetBatches } from '../src/dataset/parquet-read.js';
import { type OpenWhiskServer, startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import { executions } from '../src/generate/executions.js';
import { parseGeneratePlan } from '../src/generate/plan.js';
import { generate } from '../src/generate/run.js';
import { PERF_DEFAULT_EVENTS } from '../src/monitor/perf.js';
import { dockerEngine, need } from './helpers/cannot-run.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { REPO_ROOT } from './helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'faasload-generate-targets-'));
const WORDCOUNT = join(REPO_ROOT, 'docs', 'generate-example', 'functions', 'wordcount');
const LARGE = 96 * 1024 * 1024;
const SMALL = 1024;

type Row = Record<string, unknown>;

async function readRows(out: string): Promise<Row[]> {
  const rows: Row[] = [];
  const parts = join(out, 'executions');
  for (const file of readdirSync(parts).filter((f) => f.endsWith('.parquet'))) {
    for await (const batch of parquetBatches(join(parts, file))) {
      for (const r of batch) rows.push(r!.toJSON() as Row);
    }
  }
  return rows.sort((a, b) => Number(a.index) - Number(b.index));
}

/**
 * A plan whose first execution hashes a 96 MB input and whose second a 1 KB one: the sizes are
 * drawn, so the seed is searched (and the order checked) rather than assumed.
 */
function largeThenSmallPlan(): string {
  const text = (seed: number) => `seed: ${seed}
functions:
  - name: hash
    runs: 2
    inputs: { count: 2, distinct: true, size: { ensemble: [${LARGE}, ${SMALL}] } }
`;
  for (let seed = 1; seed < 1000; seed++) {
    const doc = {
      seed,
      functions: [
        { name: 'hash', runs: 2, inputs: { count: 2, distinct: true, size: { ensemble: [LARGE, SMALL] } } },
      ],
    };
    const sizes = [...executions(parseGeneratePlan(doc))].map((e) => e.input.size);
    if (sizes[0] === LARGE && sizes[1] === SMALL) return text(seed);
  }
  throw new Error('no seed gives a large then a small input');
}

/** The warm large-then-small check on one runtime. */
async function largeThenSmall(runtime: 'process' | 'docker'): Promise<void> {
  const planPath = join(dir, `large-small-${runtime}.yaml`);
  writeFileSync(planPath, largeThenSmallPlan());
  const out = join(dir, `large-small-${runtime}`);
  const r = await generate({ planPath, out, platformOptions: { runtime }, monitor: { monitors: 'none' } });
  assert.equal(r.status, 'complete');
  const [large, small] = await readRows(out);
  assert.equal(large!.outcome, 'ok', String(large!.error));
  assert.equal(small!.outcome, 'ok', String(small!.error));
  assert.equal(Number(large!.input_size), LARGE);
  assert.equal(Number(small!.input_size), SMALL);
  assert.equal(small!.instance_id, large!.instance_id, 'the same instance');
  assert.equal(small!.cold_start, false, 'warm');
  assert.equal(large!.peak_rss_method, 'reset');
  assert.equal(small!.peak_rss_method, 'reset');
  const largePeak = Number(large!.peak_rss_bytes);
  const smallPeak = Number(small!.peak_rss_bytes);
  // The large execution held its 96 MB input; the small one's peak is its own, not the instance's so far.
  assert.ok(Number(large!.peak_rss_delta_bytes) > 0.9 * LARGE, `large delta ${large!.peak_rss_delta_bytes}`);
  assert.ok(smallPeak < largePeak - 0.8 * LARGE, `small peak ${smallPeak} vs large ${largePeak}`);
  assert.ok(
    Number(small!.peak_rss_delta_bytes) < 8 * 1024 * 1024,
    `small delta ${small!.peak_rss_delta_bytes}`,
  );
  if (runtime === 'process' && process.getuid?.() === 0) {
    // As root each instance has its own memory cgroup: its peak is reset per execution too.
    const [cgLarge, cgSmall] = [Number(large!.cgroup_peak_bytes), Number(small!.cgroup_peak_bytes)];
    assert.ok(cgLarge > LARGE, `cgroup peak of the large execution ${large!.cgroup_peak_bytes}`);
    assert.ok(cgSmall > 0 && cgSmall < cgLarge - 0.8 * LARGE, `cgroup peaks ${cgSmall} vs ${cgLarge}`);
  }
  if (runtime === 'docker') assert.equal(small!.cgroup_peak_bytes, null, 'no cgroup peak on docker');
  for (const row of [large!, small!]) {
    assert.ok(Number(row.function_ms) > 0);
    assert.ok(Number(row.cpu_user_us) + Number(row.cpu_system_us) > 0);
    assert.ok(Number(row.minor_faults) >= 0 && row.block_read_bytes !== null);
    assert.equal(row.net_rx_bytes, null, 'instances share the host network: no per-execution bytes');
  }
  assert.ok(Number(large!.minor_faults) > LARGE / 4096 / 2, 'touching 96 MB faults its pages in');
}

describe('per-execution targets on the embedded platform', { timeout: 300_000 }, () => {
  test('process runtime: a warm instance runs a large input then a small one; the second row has the small peak', async () => {
    await largeThenSmall('process');
  });

  test('docker runtime: the same', async (t) => {
    const { engine } = await dockerEngine('GENERATE ON THE DOCKER RUNTIME');
    if (!engine.available) {
      t.skip(engine.reason);
      return;
    }
    await largeThenSmall('docker');
  });

  test('a user function folder: typed parameters, generated inputs, its own targets', async () => {
    const planPath = join(dir, 'user.yaml');
    writeFileSync(
      planPath,
      `seed: 2
functions:
  - name: wordcount
    path: ${WORDCOUNT}
    runs: 6
    inputs: { generator: text, count: 3, size: { range_int: [2048, 65536] }, distinct: true }
    params: { top: { range_int: [1, 5] } }
    settings: [ { lower: true }, { lower: false } ]
`,
    );
    const out = join(dir, 'user');
    const r = await generate({
      planPath,
      out,
      platformOptions: { runtime: 'process' },
      monitor: { monitors: 'none' },
    });
    assert.equal(r.status, 'complete');
    const rows = await readRows(out);
    assert.deepEqual(
      rows.map((x) => x.outcome),
      Array(6).fill('ok'),
      JSON.stringify(rows.find((x) => x.outcome !== 'ok')),
    );
    assert.ok(rows.every((x) => x.source === 'folder' && x.input_kind === 'text' && x.input_rank === 1));
    assert.ok(rows.every((x) => Number(x.input_dim0) === Number(x.input_bytes)));
    assert.deepEqual(
      rows.map((x) => x.param_lower),
      [true, false, true, false, true, false],
    );
    assert.ok(rows.every((x) => typeof x.param_top === 'bigint' || typeof x.param_top === 'number'));
    assert.equal(new Set(rows.map((x) => x.input_id)).size, 3);
    assert.ok(rows.every((x) => Number(x.function_ms) > 0 && Number(x.peak_rss_bytes) > 0));
    assert.ok(rows.every((x) => x.input_sampling === 'distinct'));
  });
});

describe('--monitor perf: the counters of each execution', {
  skip: (await need('perf', 'GENERATE WITH PERF COUNTERS')) ?? false,
  timeout: 300_000,
}, () => {
  test("each execution's row holds its counters (perf_<event>), as invocation_counters has them", async () => {
    const planPath = join(dir, 'perf.yaml');
    writeFileSync(
      planPath,
      'functions:\n  - { name: hash, runs: 4, inputs: { count: 4, distinct: true, size: { range_int: [65536, 1048576] } } }\n',
    );
    const out = join(dir, 'perf');
    const r = await generate({
      planPath,
      out,
      platformOptions: { runtime: 'process' },
      monitor: { monitors: 'perf' },
    });
    assert.equal(r.status, 'complete');
    const rows = await readRows(out);
    const counters = rowsOf(
      await readParquetTable(join(out, 'monitors', 'session-0001', 'invocation_counters.parquet')),
    );
    assert.equal(rows.length, 4);
    for (const x of rows) {
      const mine = counters.filter((c) => c.activation_id === x.activation_id);
      const clock = mine.find((c) => c.event === 'task-clock');
      assert.ok(clock, `execution ${x.index} has its task-clock`);
      assert.ok(Number(clock.value) > 0 && mine.every((c) => c.instance_id === x.instance_id));
      // The same counts in the row, one typed column per event, null for an event not counted.
      assert.equal(x.perf_task_clock, clock.value, `execution ${x.index}: perf_task_clock`);
      for (const event of PERF_DEFAULT_EVENTS) {
        const column = `perf_${event.replace(/-/g, '_')}`;
        assert.ok(column in x, `the row has ${column}`);
        const counted = mine.find((c) => c.event === event);
        assert.equal(x[column], counted ? counted.value : null, `execution ${x.index}: ${column}`);
      }
    }
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.tables.executions.schemaVersion, '3');
    const perfColumns = manifest.tables.executions.columns.filter((c: { name: string }) =>
      c.name.startsWith('perf_'),
    );
    assert.deepEqual(
      perfColumns.map((c: { name: string; kind: string }) => [c.name, c.kind]),
      PERF_DEFAULT_EVENTS.map((e) => [`perf_${e.replace(/-/g, '_')}`, 'float64']),
    );
  });
});

describe('generate on OpenWhisk (the embedded server on 127.0.0.1)', { timeout: 300_000 }, () => {
  let server: OpenWhiskServer;
  before(async () => {
    server = await startOpenWhiskServer({ port: 0 });
  });
  after(async () => {
    await server.close();
  });

  test('a catalog and a user function: every row has its platform view and its own targets', async () => {
    const planPath = join(dir, 'ow.yaml');
    writeFileSync(
      planPath,
      `seed: 4
functions:
  - name: json
    runs: 4
    inputs: { count: 4, size: { range_int: [10, 200] }, distinct: true }
  - name: wordcount
    path: ${WORDCOUNT}
    runs: 4
    inputs: { generator: text, count: 4, size: { range_int: [1024, 8192] } }
    params: { top: 3, lower: true }
`,
    );
    const out = join(dir, 'ow');
    const r = await generate({
      planPath,
      out,
      platform: 'openwhisk',
      platformOptions: { openwhisk: { apiHost: server.apiHost, auth: server.auth } },
      monitor: { monitors: 'none' },
    });
    assert.equal(r.status, 'complete');
    const rows = await readRows(out);
    assert.equal(rows.length, 8);
    for (const x of rows) {
      assert.equal(x.outcome, 'ok', String(x.error));
      assert.equal(x.platform, 'openwhisk');
      assert.match(String(x.activation_id), /^[0-9a-f]{32}$/);
      assert.ok(Number(x.exec_ms) > 0);
      assert.equal(x.peak_rss_method, 'reset');
      assert.ok(Number(x.peak_rss_bytes) > 0 && Number(x.function_ms) > 0);
      assert.ok(x.cpu_user_us !== null && x.minor_faults !== null);
    }
    assert.ok(rows.filter((x) => x.function === 'json').every((x) => typeof x.checksum === 'string'));
  });
});

describe('generate on a platform that gives no answer body (Knative, fake ingress on 127.0.0.1)', () => {
  test('rows have the platform view; the in-instance targets are null; a folder function is refused', async () => {
    const bodies: unknown[] = [];
    const srv = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => {
        text += c;
      });
      req.on('end', () => {
        bodies.push(JSON.parse(text));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
      const planPath = join(dir, 'kn.yaml');
      writeFileSync(
        planPath,
        `functions:
  - name: thumbs
    action: thumbs
    runs: 3
    inputs: { generator: image, count: 3, size: 32, distinct: true }
    params: { quality: { range_int: [1, 9] } }
`,
      );
      const out = join(dir, 'kn');
      const r = await generate({
        planPath,
        out,
        platform: 'knative',
        platformOptions: { knative: { ingressUrl: url } },
        monitor: { monitors: 'none' },
      });
      assert.equal(r.status, 'complete');
      const rows = await readRows(out);
      assert.deepEqual(
        rows.map((x) => [x.outcome, x.source, x.peak_rss_bytes, x.cpu_user_us, x.function_ms]),
        Array(3).fill(['ok', 'action', null, null, null]),
      );
      assert.ok(rows.every((x) => Number(x.latency_us) > 0));
      // The function gets the input's seed and size and its parameters.
      for (const b of bodies as Record<string, unknown>[]) {
        assert.equal(b.size, '32');
        assert.match(String(b.seed), /^\d+$/);
        assert.match(String(b.quality), /^[1-9]$/);
      }
      const folder = join(dir, 'kn-folder.yaml');
      writeFileSync(folder, `functions:\n  - { name: wc, path: ${WORDCOUNT}, runs: 1 }\n`);
      await assert.rejects(
        generate({
          planPath: folder,
          out: join(dir, 'kn2'),
          platform: 'knative',
          platformOptions: { knative: { ingressUrl: url } },
        }),
        /function wc: a folder is deployed only on --platform local or openwhisk/,
      );
    } finally {
      srv.close();
    }
  });
});
