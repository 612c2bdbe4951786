/**
 * Dataset generation: plans checked against the catalog (the schema: generate-plan.test.ts), executions as pure functions of
 * (plan, index), and generations on the embedded platform that are stopped (gracefully, and by
 * kill -9) and resumed, ending with the rows an uninterrupted generation gives, read back by
 * pyarrow as one table.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parquetBatches } from '../src/dataset/parquet-read.js';
import { executions } from '../src/generate/executions.js';
import { parseGeneratePlan } from '../src/generate/plan.js';
import { generate } from '../src/generate/run.js';

const BIN = fileURLToPath(new URL('../../bin/faasload.js', import.meta.url));
const PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'faasload-generate-'));

/** Five real catalog functions, 50 inputs each, small sizes so that an execution takes milliseconds. */
const PLAN = `
seed: 7
concurrency: 2
tenants: per-function
functions:
  - name: hash
    runs: 50
    inputs: { count: 50, size: { range_int: [1024, 65536] }, distinct: true }
    params: { algorithm: { ensemble: [sha256, md5] }, rounds: { range_int: [1, 3] } }
  - name: compress
    runs: 50
    inputs: { count: 50, size: { range_int: [1024, 32768] }, distinct: true }
    params: { algorithm: { ensemble: [gzip, brotli] }, level: { range_int: [1, 5] } }
  - name: json
    runs: 50
    inputs: { count: 50, size: { range_int: [10, 300] }, distinct: true }
  - name: matmul
    runs: 50
    inputs: { count: 50, size: { range_int: [4, 40] }, distinct: true }
  - name: image
    runs: 50
    inputs: { count: 50, size: { range_int: [8, 64] }, distinct: true }
    params: { op: { ensemble: [resize, blur] }, radius: { range_int: [1, 3] } }
`;
const planPath = join(dir, 'plan.yaml');
writeFileSync(planPath, PLAN);

interface Row {
  index: number;
  function: string;
  input_id: string;
  params: string;
  outcome: string;
  session: number;
}

async function readRows(out: string): Promise<Row[]> {
  const rows: Row[] = [];
  const parts = join(out, 'executions');
  for (const file of readdirSync(parts).filter((f) => f.endsWith('.parquet'))) {
    for await (const batch of parquetBatches(join(parts, file))) {
      for (const r of batch) {
        const o = r!.toJSON() as Record<string, unknown>;
        // The parameters, from their typed columns.
        const params = Object.keys(o)
          .filter((k) => k.startsWith('param_') && o[k] !== null)
          .map((k) => `${k}=${String(o[k])}`)
          .join(',');
        rows.push({
          index: Number(o.index),
          function: String(o.function),
          input_id: String(o.input_id),
          params,
          outcome: String(o.outcome),
          session: Number(o.session),
        });
      }
    }
  }
  return rows.sort((a, b) => a.index - b.index);
}

const key = (r: Row) => `${r.index} ${r.function} ${r.input_id} ${r.params}`;

describe('generation plans', () => {
  test('a plan is checked against the catalog, naming the key that is wrong', () => {
    const plan =
      (functions: unknown, extra = {}) =>
      () =>
        parseGeneratePlan({ functions, ...extra }, 'p.yaml');
    assert.throws(plan([{ name: 'resize', runs: 1 }]), /p\.yaml: functions\[0\]\.name: no function 'resize'/);
    assert.throws(plan([{ name: 'hash', runs: 0 }]), /functions\[0\]\.runs: 0 is below the minimum 1/);
    assert.throws(
      plan([{ name: 'hash', runs: 1, params: { rounds: { range_int: [1, 5000] } } }]),
      /params\.rounds: .*5000/,
    );
    assert.throws(plan([{ name: 'hash', runs: 1, params: { colour: 'red' } }]), /params\.colour: .*colour/);
    assert.throws(
      plan([{ name: 'hash', runs: 1, params: { rounds: { range_float: [1, 2] } } }]),
      /takes range_int/,
    );
    assert.throws(
      plan([{ name: 'hash', runs: 1, inputs: { size: { range_int: [0, 1e12] } } }]),
      /inputs\.size: .* outside/,
    );
    assert.throws(plan([{ name: 'hash', runs: 1 }], { sed: 1 }), /sed: unknown key/);
    assert.throws(
      plan([{ name: 'hash', runs: 1, params: { rounds: { between: [1, 2] } } }]),
      /params\.rounds\.between: unknown key 'between' \(did you mean/,
    );
  });

  test('executions are the same for the same seed, interleave functions, and reuse inputs by index', () => {
    const plan = parseGeneratePlan({
      seed: 3,
      functions: [
        {
          name: 'hash',
          runs: 30,
          inputs: { count: 4, size: { range_int: [10, 1000] } },
          params: { rounds: { range_int: [1, 9] } },
        },
        { name: 'json', runs: 2 },
      ],
    });
    const a = [...executions(plan)];
    assert.deepEqual([...executions(plan)], a);
    assert.equal(a.length, 32);
    assert.deepEqual(
      a.slice(0, 4).map((e) => plan.functions[e.fn]!.name),
      ['hash', 'json', 'hash', 'json'],
    );
    const hashes = a.filter((e) => e.fn === 0);
    assert.equal(new Set(hashes.map((e) => e.inputIndex)).size, 4, 'all four inputs are drawn');
    for (const e of hashes) {
      const same = hashes.find((x) => x.inputIndex === e.inputIndex)!;
      assert.equal(e.input.id, same.input.id, 'one input index, one input');
      assert.ok(e.input.size >= 10 && e.input.size <= 1000);
    }
    assert.ok(new Set(hashes.map((e) => e.params.rounds)).size > 3, 'parameters vary');
    const other = [...executions({ ...plan, seed: 4 })];
    assert.notDeepEqual(
      other.map((e) => e.input.id),
      a.map((e) => e.input.id),
    );
  });
});

describe('generation on the embedded platform', { timeout: 600_000 }, () => {
  const full = join(dir, 'full');

  test('5 catalog functions x 50 inputs: every execution ok, one row each, read by pyarrow as one table', async () => {
    const r = await generate({ planPath, out: full, platformOptions: { runtime: 'process' } });
    assert.equal(r.status, 'complete');
    assert.equal(r.total, 250);
    assert.equal(r.rows, 250);
    const rows = await readRows(full);
    assert.deepEqual(
      rows.map((x) => x.index),
      Array.from({ length: 250 }, (_, i) => i),
    );
    assert.deepEqual(
      rows.filter((x) => x.outcome !== 'ok'),
      [],
    );
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        `import pyarrow.dataset as ds, json, sys
t = ds.dataset(sys.argv[1], format="parquet").to_table()
c = t.column("cpu_user_us").to_pylist()
print(json.dumps({"rows": t.num_rows, "functions": sorted(set(t.column("function").to_pylist())),
  "inputs": len(set(t.column("input_id").to_pylist())), "cpu": sum(1 for v in c if v and v > 0),
  "sent": str(t.schema.field("sent_at").type)}))`,
        join(full, 'executions'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
    const facts = JSON.parse(py.stdout) as Record<string, unknown>;
    assert.equal(facts.rows, 250);
    assert.deepEqual(facts.functions, ['compress', 'hash', 'image', 'json', 'matmul']);
    assert.equal(facts.inputs, 250, 'inputs.distinct: each of the 250 executions has its own input');
    assert.ok((facts.cpu as number) > 200, 'CPU time measured for (nearly) every execution');
    assert.equal(facts.sent, 'timestamp[us, tz=UTC]');
    // The process monitor sampled the instances that ran the executions: they join by instance_id.
    const join_ = spawnSync(
      PYTHON,
      [
        '-c',
        `import pyarrow.dataset as ds, pyarrow.parquet as pq, sys
e = set(ds.dataset(sys.argv[1] + "/executions", format="parquet").to_table().column("instance_id").to_pylist())
s = set(pq.read_table(sys.argv[1] + "/monitors/session-0001/process_samples.parquet").column("instance_id").to_pylist())
h = pq.read_table(sys.argv[1] + "/monitors/session-0001/host_samples.parquet").num_rows
print(len(e), len(e & s), h)`,
        full,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(join_.status, 0, join_.stderr);
    const [instances, sampled, hostRows] = join_.stdout.trim().split(' ').map(Number);
    assert.ok(instances! >= 5, `${instances} instances`);
    assert.equal(sampled, instances, 'every instance that ran an execution was sampled');
    assert.ok(hostRows! >= 1);
  });

  test('stopped twice (gracefully) and resumed: the same executions and rows as an uninterrupted generation', async () => {
    const out = join(dir, 'resumed');
    const expected = (await readRows(full)).map(key);
    for (const stopAfter of [40, 120]) {
      const stop = new AbortController();
      const r = await generate({
        planPath,
        out,
        resume: existsSync(out),
        platformOptions: { runtime: 'process' },
        signal: stop.signal,
        progressIntervalMs: 10,
        onProgress: (p) => {
          if (p.done >= stopAfter) stop.abort();
        },
      });
      assert.equal(r.status, 'stopped');
      assert.ok(r.done >= stopAfter && r.done < 250, `done ${r.done}`);
    }
    const last = await generate({ planPath, out, resume: true, platformOptions: { runtime: 'process' } });
    assert.equal(last.status, 'complete');
    assert.equal(last.session, 3);
    const rows = await readRows(out);
    assert.deepEqual(rows.map(key), expected);
    assert.deepEqual([...new Set(rows.map((r) => r.session))].sort(), [1, 2, 3]);
  });

  test('killed with SIGKILL mid-generation, then resumed: complete batches kept, nothing twice, nothing missing', async () => {
    const out = join(dir, 'killed');
    // Paced (the same executions, at most 60 started per second), so that the kill lands mid-run
    // however fast the machine is.
    const paced = join(dir, 'paced.yaml');
    writeFileSync(paced, PLAN.replace('concurrency: 2', 'concurrency: 2\nrate: 60'));
    const child = spawn(process.execPath, [BIN, 'generate', paced, '--out', out, '--runtime', 'process'], {
      stdio: 'ignore',
    });
    const part = join(out, 'executions', 'part-0001.arrows');
    // Wait for a few record batches to be flushed (about one a second), then kill.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(existsSync(part) && statSync(part).size > 20_000)) await sleep(100);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.ok(existsSync(part), 'the killed session left its stream');
    const resumed = spawnSync(
      process.execPath,
      [BIN, 'generate', paced, '--out', out, '--resume', '--runtime', 'process'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, /complete: 250 of 250 executions/);
    const rows = await readRows(out);
    assert.deepEqual(rows.map(key), (await readRows(full)).map(key));
    assert.ok(rows.some((r) => r.session === 1) && rows.some((r) => r.session === 2));
  });

  test('resuming with another plan, or a new generation in a used folder, is refused', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, PLAN.replace('seed: 7', 'seed: 8'));
    await assert.rejects(
      generate({ planPath: other, out: full, resume: true }),
      /is not the plan .* was started with/,
    );
    await assert.rejects(generate({ planPath, out: full }), /not empty; use --resume/);
  });
});
