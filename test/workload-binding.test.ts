/**
 * Binding catalog functions to trace functions (--workload): the choice, the binding, each
 * invocation's value, and real catalog functions run by the embedded platform from a binding.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalPlatform } from '../src/embedded/local/index.js';
import type { FunctionSpec } from '../src/platforms/types.js';
import type { Arrival } from '../src/schedule/types.js';
import { bindFunctions, invocationValue, parseWorkloadChoice } from '../src/workload/binding.js';
import { makeInput } from '../src/workload/index.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2021_FILE } from './helpers/paths.js';

const specs: FunctionSpec[] = ['a', 'b', 'c', 'd', 'e'].map((id, i) => ({ id, name: `fn-${i}-${id}` }));
const arrival = (seq: number, params?: Record<string, string>): Arrival => ({
  seq,
  fn: 0,
  atUs: 0,
  durationMs: 5,
  memoryMb: 1,
  ...(params ? { params } : {}),
});

test('--workload: catalog means every real function; names are checked against the catalog', () => {
  assert.deepEqual(parseWorkloadChoice('catalog'), ['image', 'compress', 'json', 'hash', 'matmul']);
  assert.deepEqual(parseWorkloadChoice(' hash, json '), ['hash', 'json']);
  assert.deepEqual(parseWorkloadChoice('synthetic'), ['synthetic']);
  assert.throws(
    () => parseWorkloadChoice('resize'),
    /no function 'resize' in the catalog \(it has synthetic, image/,
  );
  assert.throws(() => parseWorkloadChoice(','), /name at least one/);
});

test('functions are bound in turn, in plan order; synthetic leaves a spec as it is', () => {
  const bound = bindFunctions(specs, ['hash', 'synthetic', 'json'], 7);
  assert.deepEqual(
    bound.map((s) => s.workload?.function),
    ['hash', undefined, 'json', 'hash', undefined],
  );
  assert.equal(bound[1], specs[1]);
  assert.match(bound[0]!.action!.code, /function/);
  assert.equal(bound[0]!.name, specs[0]!.name, "names stay the trace functions'");
  assert.deepEqual(bindFunctions(specs, ['synthetic'], 7), specs);
});

test('an invocation value: synthetic gets duration and memory; a bound one an input seeded by (seed, function, seq)', () => {
  assert.deepEqual(invocationValue(specs[0]!, arrival(3, { x: '1' })), {
    x: '1',
    durationMs: 5,
    memoryMb: 1,
  });
  const [hash] = bindFunctions(specs, ['hash'], 7);
  const v3 = invocationValue(hash!, arrival(3));
  assert.deepEqual(invocationValue(hash!, arrival(3)), v3, 'the same arrival, the same value');
  assert.notEqual(invocationValue(hash!, arrival(4)).seed, v3.seed);
  const [other] = bindFunctions(specs, ['hash'], 8);
  assert.notEqual(invocationValue(other!, arrival(3)).seed, v3.seed, 'another run seed, other inputs');
  assert.equal(v3.size, hash!.workload!.inputSize);
  assert.equal(v3.durationMs, undefined);
  // Trace parameters the function takes are kept; others are left out.
  const withParams = invocationValue(hash!, arrival(3, { rounds: '2', colour: 'red' }));
  assert.equal(withParams.rounds, 2);
  assert.equal(withParams.colour, undefined);
  assert.throws(() => invocationValue(hash!, arrival(3, { rounds: '-5' })), /rounds/);
});

const platform = new LocalPlatform({ runtime: 'process', startTimeoutMs: 30_000 });
after(() => platform.teardown());

test('the embedded platform runs every bound catalog function on the input the value names', {
  timeout: 120_000,
}, async () => {
  const bound = bindFunctions(specs, parseWorkloadChoice('catalog'), 11);
  await platform.deploy(bound, new AbortController().signal);
  for (const [i, fn] of bound.entries()) {
    const a = arrival(100 + i);
    const value = invocationValue(fn, a);
    const r = await platform.invoke(fn, a, new AbortController().signal);
    assert.equal(r.outcome, 'ok', `${fn.workload!.function}: ${r.error}`);
    const input = r.result?.input as { id: string };
    const expected = makeInput(fn.workload!.function, value.seed as number, value.size as number, {});
    assert.equal(input.id, expected.id, fn.workload!.function);
  }
  const bad = await platform.invoke(bound[3]!, arrival(1, { rounds: 'many' }), new AbortController().signal);
  assert.equal(bad.outcome, 'error');
  assert.match(bad.error!, /^parameters: .*rounds/);
});

test('a replay with --workload runs the bound catalog functions, through the CLI', {
  timeout: 180_000,
}, async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'faasload-workload-')), 'run');
  const r = await runCli([
    'replay',
    AZURE2021_FILE,
    '--speed',
    '200',
    '--runtime',
    'process',
    '--workload',
    'hash,json',
    '--monitor',
    'none',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
  assert.equal(rows.length, 199);
  assert.deepEqual(
    rows.filter((x) => x.outcome !== 'ok').map((x) => `${x.seq} ${x.error}`),
    [],
  );
  // Catalog functions report what each call cost (usage): the row keeps its CPU time.
  assert.deepEqual(
    rows.filter((x) => !(typeof x.cpu_ms === 'number' && x.cpu_ms >= 0)).map((x) => x.seq),
    [],
  );
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
    config: { workload: string[] };
  };
  assert.deepEqual(manifest.config.workload, ['hash', 'json']);
  const bad = await runCli(['replay', AZURE2021_FILE, '--workload', 'resize', '--out', `${out}-bad`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no function 'resize' in the catalog/);
});

test('an input the arrival names is the one sent', () => {
  const [hash] = bindFunctions(specs, ['hash'], 7);
  const v = invocationValue(hash!, { ...arrival(3), input: 'bytes-9-1024' });
  assert.deepEqual([v.seed, v.size], [9, 1024]);
});
