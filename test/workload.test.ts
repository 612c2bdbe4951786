/**
 * The function catalog: its entries and host-side API (parameters, input descriptors, input
 * bytes), then every function deployed in a real runtime proxy (one child process per function,
 * through the local platform's Instance), /init once and /run with generated inputs. Results are
 * checked against computations made here on the same input bytes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, crc32, gunzipSync, inflateSync } from 'node:zlib';
import { Instance } from '../src/embedded/local/instance.js';
import { FaasloadError } from '../src/errors.js';
import {
  ACTION_MAIN,
  type ActionResultBase,
  actionValue,
  CATALOG,
  CATALOG_NAMES,
  type CatalogEntry,
  type CompressResult,
  catalogEntry,
  type HashResult,
  type ImageResult,
  inputBytes,
  type JsonGroup,
  type JsonResult,
  type MatmulResult,
  makeInput,
  type ParamInput,
  parseInputId,
  resolveParams,
} from '../src/workload/index.js';
import { SYNTHETIC_ACTION_CODE, type SyntheticResult } from '../src/workload/synthetic-action.js';

const PROXY = fileURLToPath(new URL('../src/embedded/runtime/proxy.js', import.meta.url));
const TEST_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 15_000;
const NEVER = new AbortController().signal;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isUsageError(e: unknown): boolean {
  return e instanceof FaasloadError && e.code === 'E_USAGE';
}

/** A result without its timings: what must repeat exactly. */
/** A result without what varies between equal calls (its timings and costs). */
function stable(result: object): object {
  const { timings: _, usage: __, ...rest } = result as { timings?: unknown; usage?: unknown };
  return rest;
}

interface Action {
  entry: CatalogEntry;
  /** POST /run {value}; asserts a 200 and returns the body. */
  run<T>(value: Record<string, unknown>): Promise<T>;
  /** POST /run {value}; returns the status and body as they are. */
  answer(value: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** actionValue(name, {seed, size}, params), run. */
  call<T>(seed: number, size: number, params?: ParamInput): Promise<T>;
}

/** Deploys one catalog function in its own proxy for a describe block; killed after it. */
function deploy(name: string): Action {
  const entry = catalogEntry(name);
  let instance: Instance | undefined;
  const answer = async (value: Record<string, unknown>) => {
    assert.ok(instance, 'the instance is started');
    const a = await instance.post('/run', { value }, REQUEST_TIMEOUT_MS, NEVER);
    return { status: a.status, body: a.body as Record<string, unknown> };
  };
  const run = async <T>(value: Record<string, unknown>): Promise<T> => {
    const a = await answer(value);
    assert.equal(a.status, 200, `${name} ${JSON.stringify(value)}: ${JSON.stringify(a.body)}`);
    return a.body as T;
  };
  before(async () => {
    instance = new Instance({
      id: `${name}-test`,
      functionName: name,
      nodePath: process.execPath,
      proxyPath: PROXY,
    });
    await instance.ready(REQUEST_TIMEOUT_MS, NEVER);
    const init = await instance.post(
      '/init',
      { value: { name, main: entry.main, code: entry.code } },
      REQUEST_TIMEOUT_MS,
      NEVER,
    );
    assert.equal(init.status, 200, `/init ${name}: ${JSON.stringify(init.body)}`);
  });
  after(async () => {
    await instance?.kill(1000);
  });
  return {
    entry,
    run,
    answer,
    call: <T>(seed: number, size: number, params: ParamInput = {}) =>
      run<T>(actionValue(name, { seed, size }, params)),
  };
}

/** Runs the same call twice and with another seed: equal results, then a different checksum. */
async function assertDeterministic(
  action: Action,
  seed: number,
  size: number,
  params: ParamInput = {},
): Promise<void> {
  const first = await action.call<ActionResultBase>(seed, size, params);
  const second = await action.call<ActionResultBase>(seed, size, params);
  assert.deepEqual(stable(second), stable(first));
  assert.deepEqual(first.input, makeInput(action.entry.name, seed, size, params));
  assert.match(first.checksum, /^[0-9a-f]+$/);
  const other = await action.call<ActionResultBase>(seed + 1, size, params);
  assert.notEqual(other.checksum, first.checksum);
  for (const key of ['generateMs', 'computeMs', 'totalMs'] as const) {
    assert.ok(first.timings[key] >= 0 && Number.isFinite(first.timings[key]), key);
  }
  assert.ok(first.timings.totalMs >= first.timings.computeMs);
  // What the call cost: CPU time, and memory no lower than the input it held.
  assert.ok(first.usage.cpuUserUs + first.usage.cpuSystemUs > 0, JSON.stringify(first.usage));
  assert.ok(
    first.usage.maxRssBytes >= first.usage.rssBytes - 4096 * 1024 &&
      first.usage.rssBytes > first.input.sizeBytes,
  );
}

describe('function catalog: entries and host API', { timeout: TEST_TIMEOUT_MS }, () => {
  test('has the synthetic function and five real ones, each deployable as a nodejs:20 action', () => {
    assert.deepEqual(CATALOG_NAMES, ['synthetic', 'image', 'compress', 'json', 'hash', 'matmul']);
    assert.equal(new Set(CATALOG_NAMES).size, CATALOG.length);
    for (const entry of CATALOG) {
      assert.match(entry.name, /^\w+$/);
      assert.equal(entry.kind, 'nodejs:20');
      assert.ok(entry.description.length > 0);
      assert.ok(entry.code.includes(`function ${entry.main}(`), `${entry.name} defines ${entry.main}`);
      assert.doesNotMatch(entry.code, /require\((?!'node:)/, `${entry.name} requires only node: built-ins`);
    }
    const synthetic = catalogEntry('synthetic');
    assert.equal(synthetic.code, SYNTHETIC_ACTION_CODE);
    assert.equal(synthetic.input.kind, 'none');
    assert.equal(catalogEntry('image').main, ACTION_MAIN);
  });

  test('every default is a valid value, and resolveParams fills the defaults in', () => {
    for (const entry of CATALOG) {
      const defaults = Object.fromEntries(entry.params.map((p) => [p.name, p.default]));
      assert.deepEqual(resolveParams(entry.name), defaults);
      for (const p of entry.params) {
        assert.ok(p.meaning.length > 0, `${entry.name}.${p.name} has a meaning`);
        if (p.choices) assert.ok(p.choices.includes(String(p.default)), `${entry.name}.${p.name}`);
        if (p.range) assert.ok(Number(p.default) >= p.range[0] && Number(p.default) <= p.range[1]);
      }
      const { range } = entry.input.size;
      assert.ok(entry.input.size.default >= range[0] && entry.input.size.default <= range[1]);
    }
  });

  test('resolveParams reads strings as FaaSLoad traces give them, and rejects bad values', () => {
    assert.deepEqual(resolveParams('image', { radius: '5', emit: 'true', scale: '0.25', seed: 3 }), {
      ...resolveParams('image'),
      radius: 5,
      emit: true,
      scale: 0.25,
    });
    assert.equal(resolveParams('json', { activeOnly: '0' }).activeOnly, false);
    assert.throws(
      () => resolveParams('image', { radus: 3 }),
      (e) => isUsageError(e) && /radus/.test(String(e)),
    );
    assert.throws(() => resolveParams('image', { kernel: 'median' }), /kernel: "median" is not one of/);
    assert.throws(() => resolveParams('image', { radius: 2.5 }), /radius: 2.5 is not an integer/);
    assert.throws(() => resolveParams('image', { radius: 33 }), /radius: 33 is outside \[0, 32\]/);
    assert.throws(() => resolveParams('hash', { rounds: 'many' }), /rounds: "many" is not a number/);
    assert.throws(() => resolveParams('json', { activeOnly: 'yes' }), /activeOnly: "yes" is not a boolean/);
    // The level's bounds depend on the algorithm.
    assert.throws(
      () => resolveParams('compress', { level: 10 }),
      /level: 10 is outside \[0, 9\] for algorithm gzip/,
    );
    assert.equal(resolveParams('compress', { level: '10', algorithm: 'brotli' }).level, 10);
    assert.throws(
      () => catalogEntry('nope'),
      (e) => isUsageError(e) && /image, compress/.test(String(e)),
    );
  });

  test('makeInput describes the bytes inputBytes makes; ids name them and parse back', () => {
    const cases: [string, number, ParamInput][] = [
      ['image', 9, { pattern: 'noise' }],
      ['image', 9, {}],
      ['compress', 1001, {}],
      ['json', 40, {}],
      ['hash', 1003, {}],
      ['matmul', 5, { b: 'identity' }],
      ['matmul', 5, {}],
    ];
    const ids = new Set<string>();
    for (const [name, size, params] of cases) {
      const input = makeInput(name, 77, size, params);
      assert.equal(input.sizeBytes, inputBytes(name, 77, size, params).length, `${name} sizeBytes`);
      assert.equal(input.kind, catalogEntry(name).input.kind);
      assert.deepEqual(makeInput(name, 77, size, params), input);
      const parsed = parseInputId(input.id);
      assert.ok(parsed, input.id);
      assert.deepEqual([parsed.kind, parsed.seed, parsed.size], [input.kind, 77, size]);
      ids.add(input.id);
    }
    assert.equal(ids.size, cases.length, 'the input-shaping parameters are in the id');
    assert.equal(makeInput('image', 7, 256, { pattern: 'noise', radius: 9 }).id, 'image.noise-7-256');
    assert.deepEqual(parseInputId('image.noise-7-256'), {
      kind: 'image',
      variant: ['noise'],
      seed: 7,
      size: 256,
    });
    assert.deepEqual(makeInput('synthetic', 5, 0), {
      kind: 'none',
      id: 'none',
      seed: 0,
      size: 0,
      sizeBytes: 0,
    });
    assert.equal(parseInputId('picture-1-2'), undefined);
    assert.equal(parseInputId('text-99999999999-2'), undefined);
    assert.throws(() => makeInput('image', 1, 5000), /size: 5000 is outside \[1, 4096\]/);
    assert.throws(() => makeInput('hash', -1, 10), /seed: -1 is outside/);
    assert.throws(() => makeInput('hash', 2 ** 32, 10), /seed/);
  });

  test('inputs are pure functions of the seed: text is exact-length prose, records are JSON', () => {
    const text = inputBytes('compress', 3, 5000);
    assert.equal(text.length, 5000);
    assert.deepEqual(inputBytes('compress', 3, 5000), text);
    assert.notDeepEqual(inputBytes('compress', 4, 5000), text);
    assert.deepEqual(inputBytes('compress', 3, 100), text.subarray(0, 100), 'a shorter text is a prefix');
    assert.match(text.toString('latin1'), /^[A-Z][a-z]+[ ,][a-zA-Z ,.\n]+$/);
    const words =
      inputBytes('compress', 3, 50_000)
        .toString('latin1')
        .toLowerCase()
        .match(/[a-z]+/g) ?? [];
    const counts = new Map<string, number>();
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    assert.ok(
      counts.size > 1000 && counts.size < words.length / 2,
      `${counts.size} distinct of ${words.length}`,
    );
    assert.ok(
      Math.max(...counts.values()) > 0.03 * words.length,
      'the most frequent word is frequent (Zipf-like)',
    );
    const records = JSON.parse(inputBytes('json', 3, 50).toString('utf8')) as { id: number; ts: string }[];
    assert.equal(records.length, 50);
    assert.deepEqual(
      records.map((r) => r.id),
      Array.from({ length: 50 }, (_, i) => i),
    );
    for (const r of records) assert.equal(new Date(r.ts).toISOString(), r.ts);
    assert.equal(inputBytes('json', 3, 0).toString(), '[]\n');
    const bytes = inputBytes('hash', 3, 4099);
    assert.deepEqual(inputBytes('hash', 3, 4096), bytes.subarray(0, 4096));
    assert.ok(new Set(bytes).size > 250, 'the bytes cover the byte values');
  });
});

describe('catalog function synthetic', { timeout: TEST_TIMEOUT_MS * 2 }, () => {
  const action = deploy('synthetic');
  test('runs for the duration and touches the memory it is given', async () => {
    const value = actionValue('synthetic', { seed: 1, size: 0 }, { durationMs: '30', memoryMb: 2 });
    assert.deepEqual(value, { durationMs: 30, memoryMb: 2 });
    const result = await action.run<SyntheticResult>(value);
    assert.ok(result.execMs >= 30, String(result.execMs));
    // 2 MB is below the runtime's own footprint: nothing to add to it.
    assert.equal(result.writtenMb, 0);
    assert.ok(result.runtimeMb > 2, String(result.runtimeMb));
  });
});

/** One pass of a box blur over a square RGBA image, in floating point, edges clamped. */
function boxBlur(src: Buffer, side: number, radius: number, horizontal: boolean): Buffer {
  const out = Buffer.alloc(src.length);
  const clamp = (v: number) => Math.min(side - 1, Math.max(0, v));
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) {
          const at = horizontal ? y * side + clamp(x + k) : clamp(y + k) * side + x;
          sum += src[at * 4 + c]!;
        }
        out[(y * side + x) * 4 + c] = Math.round(sum / (2 * radius + 1));
      }
    }
  }
  return out;
}

describe('catalog function image', { timeout: TEST_TIMEOUT_MS * 4 }, () => {
  const action = deploy('image');

  test('is deterministic for a seed and parameters, and another seed changes it', async () => {
    await assertDeterministic(action, 11, 40);
    await assertDeterministic(action, 11, 33, { op: 'blur', kernel: 'box', radius: 2, format: 'ppm' });
  });

  test('a blur leaves a constant image unchanged and changes a noisy one', async () => {
    for (const kernel of ['box', 'gaussian']) {
      for (const radius of [1, 4, 32]) {
        const params = { op: 'blur', kernel, radius, format: 'rgba' };
        const constant = await action.call<ImageResult>(5, 24, { ...params, pattern: 'constant' });
        assert.equal(constant.checksum, sha256(inputBytes('image', 5, 24, { pattern: 'constant' })));
        const noise = await action.call<ImageResult>(5, 24, { ...params, pattern: 'noise' });
        assert.notEqual(noise.checksum, sha256(inputBytes('image', 5, 24, { pattern: 'noise' })));
      }
    }
    const none = await action.call<ImageResult>(5, 24, {
      op: 'blur',
      radius: 0,
      format: 'rgba',
      pattern: 'noise',
    });
    assert.equal(
      none.checksum,
      sha256(inputBytes('image', 5, 24, { pattern: 'noise' })),
      'radius 0 is no blur',
    );
  });

  test('a box blur agrees with a plain floating-point box blur, edges clamped', async () => {
    const side = 23;
    const src = inputBytes('image', 6, side, { pattern: 'noise' });
    for (const radius of [1, 3, 30]) {
      const r = await action.call<ImageResult>(6, side, {
        pattern: 'noise',
        op: 'blur',
        kernel: 'box',
        radius,
        format: 'rgba',
        emit: true,
      });
      const out = Buffer.from(r.output!, 'base64');
      const expected = boxBlur(boxBlur(src, side, radius, true), side, radius, false);
      let total = 0;
      for (let i = 0; i < out.length; i++) {
        const diff = Math.abs(out[i]! - expected[i]!);
        assert.ok(diff <= 1, `radius ${radius}, byte ${i}: ${out[i]} against ${expected[i]}`);
        total += diff;
      }
      assert.ok(total / out.length < 0.1, `radius ${radius}: mean difference ${total / out.length}`);
    }
  });

  test('a constant image stays the same color through resize and blur', async () => {
    const input = inputBytes('image', 8, 30, { pattern: 'constant' });
    const r = await action.call<ImageResult>(8, 30, {
      pattern: 'constant',
      width: 17,
      height: 45,
      format: 'rgba',
      emit: true,
    });
    assert.deepEqual([r.width, r.height, r.outputBytes], [17, 45, 17 * 45 * 4]);
    const out = Buffer.from(r.output!, 'base64');
    for (let i = 0; i < out.length; i += 4) assert.deepEqual(out.subarray(i, i + 4), input.subarray(0, 4));
  });

  test('output sizes follow width, height and scale', async () => {
    const size = async (params: ParamInput) => {
      const r = await action.call<ImageResult>(1, 48, { ...params, format: 'rgba', radius: 1 });
      assert.equal(r.outputBytes, r.width * r.height * 4);
      return [r.width, r.height];
    };
    assert.deepEqual(await size({}), [24, 24]);
    assert.deepEqual(await size({ scale: 0.25 }), [12, 12]);
    assert.deepEqual(await size({ scale: 2, op: 'resize' }), [96, 96]);
    assert.deepEqual(await size({ width: 10 }), [10, 10]);
    assert.deepEqual(await size({ width: 10, height: 7 }), [10, 7]);
    assert.deepEqual(await size({ op: 'blur', width: 10 }), [48, 48]);
  });

  test('the PNG it encodes is valid and holds the RGBA pixels; PPM has its size', async () => {
    const params = { pattern: 'shapes', width: 21, height: 13 };
    const png = await action.call<ImageResult>(4, 40, { ...params, emit: true });
    const rgba = await action.call<ImageResult>(4, 40, { ...params, format: 'rgba' });
    assert.equal(png.rgbaChecksum, rgba.checksum);
    const bytes = Buffer.from(png.output!, 'base64');
    assert.equal(bytes.length, png.outputBytes);
    assert.equal(sha256(bytes), png.checksum);
    assert.deepEqual(bytes.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const chunks: { type: string; data: Buffer }[] = [];
    for (let at = 8; at < bytes.length; ) {
      const length = bytes.readUInt32BE(at);
      const type = bytes.toString('latin1', at + 4, at + 8);
      const data = bytes.subarray(at + 8, at + 8 + length);
      assert.equal(bytes.readUInt32BE(at + 8 + length), crc32(bytes.subarray(at + 4, at + 8 + length)), type);
      chunks.push({ type, data });
      at += 12 + length;
    }
    assert.deepEqual(
      chunks.map((c) => c.type),
      ['IHDR', 'IDAT', 'IEND'],
    );
    const ihdr = chunks[0]!.data;
    assert.deepEqual([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]], [21, 13, 8, 6]);
    const raw = inflateSync(chunks[1]!.data);
    const stride = 21 * 4 + 1;
    assert.equal(raw.length, stride * 13);
    const rows: Buffer[] = [];
    for (let y = 0; y < 13; y++) {
      assert.equal(raw[y * stride], 0, 'filter type None');
      rows.push(raw.subarray(y * stride + 1, (y + 1) * stride));
    }
    assert.equal(sha256(Buffer.concat(rows)), rgba.checksum);

    const ppm = await action.call<ImageResult>(4, 40, { ...params, format: 'ppm', emit: true });
    const ppmBytes = Buffer.from(ppm.output!, 'base64');
    const header = 'P6\n21 13\n255\n';
    assert.equal(ppmBytes.toString('latin1', 0, header.length), header);
    assert.equal(ppm.outputBytes, header.length + 21 * 13 * 3);
    assert.equal(rgba.output, undefined, 'no output without emit');
  });

  test('rejects a bad parameter with an error naming it, and ignores unknown ones', async () => {
    const bad = await action.answer({ seed: 1, size: 8, kernel: 'median' });
    assert.equal(bad.status, 502);
    assert.match(String(bad.body.error), /kernel/);
    const big = await action.answer({ seed: 1, size: 4097 });
    assert.equal(big.status, 502);
    assert.match(String(big.body.error), /size: 4097 is outside/);
    const extra = await action.run<ImageResult>({ seed: 1, size: 8, durationMs: 5 });
    assert.equal(extra.input.id, 'image.mixed-1-8');
  });
});

describe('catalog function compress', { timeout: TEST_TIMEOUT_MS * 4 }, () => {
  const action = deploy('compress');
  const decompress: Record<string, (b: Buffer) => Buffer> = {
    gzip: gunzipSync,
    deflate: inflateSync,
    brotli: brotliDecompressSync,
  };

  test('is deterministic for a seed and parameters, and another seed changes it', async () => {
    await assertDeterministic(action, 21, 30_000);
    await assertDeterministic(action, 21, 30_000, { algorithm: 'brotli', level: 5 });
  });

  test('decompressing the output gives back the text, for every algorithm', async () => {
    const text = inputBytes('compress', 12, 40_000);
    const sizes: Record<string, number> = {};
    for (const [algorithm, level] of [
      ['gzip', 1],
      ['gzip', 9],
      ['deflate', 0],
      ['deflate', 6],
      ['brotli', 1],
      ['brotli', 11],
    ] as const) {
      const r = await action.call<CompressResult>(12, 40_000, { algorithm, level, emit: true, verify: true });
      const out = Buffer.from(r.output!, 'base64');
      assert.equal(out.length, r.outputBytes);
      assert.equal(sha256(out), r.checksum);
      assert.deepEqual(decompress[algorithm]!(out), text, `${algorithm} ${level}`);
      assert.equal(r.verified, true);
      assert.equal(r.inputBytes, 40_000);
      assert.equal(r.ratio, r.outputBytes / r.inputBytes);
      sizes[`${algorithm}${level}`] = r.outputBytes;
    }
    assert.ok(sizes.deflate0! > 40_000, 'level 0 stores');
    assert.ok(sizes.gzip9! < sizes.gzip1! && sizes.gzip1! < 0.6 * 40_000, JSON.stringify(sizes));
    assert.ok(sizes.brotli11! < sizes.gzip9!, JSON.stringify(sizes));
  });

  test('a level past the algorithm range is an error', async () => {
    const bad = await action.answer(
      actionValue('compress', { seed: 1, size: 10 }, { algorithm: 'brotli', level: 11 }),
    );
    assert.equal(bad.status, 200);
    const gzip = await action.answer({ seed: 1, size: 10, algorithm: 'gzip', level: 11 });
    assert.equal(gzip.status, 502);
    assert.match(String(gzip.body.error), /level: 11 is outside \[0, 9\] for algorithm gzip/);
  });
});

interface SaleRecord {
  user: string;
  category: string;
  region: string;
  amount: number;
  quantity: number;
  active: boolean;
  ts: string;
}

/** The aggregate, computed here on the parsed input (sums in cents, as documented). */
function expectedGroups(
  records: SaleRecord[],
  p: Record<string, unknown>,
): { kept: number; groups: JsonGroup[] } {
  const minAmount = Number(p.minAmount ?? 0);
  const groupBy = String(p.groupBy ?? 'category');
  const kept = records.filter(
    (r) =>
      r.amount >= minAmount &&
      (p.activeOnly !== true || r.active) &&
      (p.category === undefined || r.category === p.category),
  );
  const groups = new Map<string, { count: number; cents: number; amounts: number[]; quantity: number }>();
  for (const r of kept) {
    const key = groupBy === 'month' ? r.ts.slice(0, 7) : String(r[groupBy as keyof SaleRecord]);
    const g = groups.get(key) ?? { count: 0, cents: 0, amounts: [], quantity: 0 };
    g.count += 1;
    g.cents += Math.round(r.amount * 100);
    g.amounts.push(r.amount);
    g.quantity += r.quantity;
    groups.set(key, g);
  }
  let out = [...groups.entries()].map(([key, g]) => ({
    key,
    count: g.count,
    amount: g.cents / 100,
    mean: Math.round(g.cents / g.count) / 100,
    min: Math.min(...g.amounts),
    max: Math.max(...g.amounts),
    quantity: g.quantity,
  }));
  const byKey = (a: JsonGroup, b: JsonGroup) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  if (p.sort === 'count') out.sort((a, b) => b.count - a.count || byKey(a, b));
  else if (p.sort === 'amount') out.sort((a, b) => b.amount - a.amount || byKey(a, b));
  else out.sort(byKey);
  if (typeof p.top === 'number' && p.top > 0) out = out.slice(0, p.top);
  return { kept: kept.length, groups: out };
}

describe('catalog function json', { timeout: TEST_TIMEOUT_MS * 4 }, () => {
  const action = deploy('json');

  test('is deterministic for a seed and parameters, and another seed changes it', async () => {
    await assertDeterministic(action, 31, 300);
    await assertDeterministic(action, 31, 300, { groupBy: 'month', sort: 'amount' });
  });

  test('its aggregate matches one computed here on the same document', async () => {
    const seed = 17;
    const n = 2000;
    const records = JSON.parse(inputBytes('json', seed, n).toString('utf8')) as SaleRecord[];
    const cases: Record<string, unknown>[] = [
      {},
      { groupBy: 'region', minAmount: 250.5 },
      { groupBy: 'month', activeOnly: true },
      { groupBy: 'user', category: 'music', sort: 'count', top: 5 },
      { groupBy: 'category', sort: 'amount', minAmount: 999 },
      { minAmount: 1000 },
    ];
    for (const params of cases) {
      const r = await action.call<JsonResult>(seed, n, params as ParamInput);
      const expected = expectedGroups(records, params);
      assert.equal(r.records, n);
      assert.equal(r.kept, expected.kept, JSON.stringify(params));
      assert.deepEqual(r.groups, expected.groups, JSON.stringify(params));
      assert.equal(r.groupBy, params.groupBy ?? 'category');
    }
    const months = await action.call<JsonResult>(seed, n, { groupBy: 'month' });
    assert.deepEqual(
      months.groups.map((g) => g.key),
      Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}`),
    );
  });

  test('an empty document gives no groups', async () => {
    const r = await action.call<JsonResult>(1, 0);
    assert.deepEqual([r.records, r.kept, r.groups], [0, 0, []]);
  });
});

describe('catalog function hash', { timeout: TEST_TIMEOUT_MS * 4 }, () => {
  const action = deploy('hash');

  test('is deterministic for a seed and parameters, and another seed changes it', async () => {
    await assertDeterministic(action, 41, 10_000, { algorithm: 'md5', rounds: 2 });
  });

  test("equals node:crypto's digest of the same generated bytes, over chained rounds", async () => {
    for (const size of [0, 3, 100_003]) {
      const data = inputBytes('hash', 9, size);
      for (const algorithm of ['sha256', 'sha512', 'md5']) {
        for (const rounds of [1, 3]) {
          let digest = createHash(algorithm).update(data).digest();
          for (let k = 1; k < rounds; k++)
            digest = createHash(algorithm).update(digest).update(data).digest();
          const r = await action.call<HashResult>(9, size, { algorithm, rounds });
          assert.equal(r.checksum, digest.toString('hex'), `${algorithm} x${rounds} over ${size} bytes`);
          assert.equal(r.bytesHashed, rounds * size + (rounds - 1) * digest.length);
        }
      }
    }
  });
});

describe('catalog function matmul', { timeout: TEST_TIMEOUT_MS * 4 }, () => {
  const action = deploy('matmul');

  function matrices(seed: number, n: number, b: string): [Float64Array, Float64Array] {
    const bytes = inputBytes('matmul', seed, n, { b });
    const copy = new Float64Array(2 * n * n);
    for (let i = 0; i < copy.length; i++) copy[i] = bytes.readDoubleLE(i * 8);
    return [copy.subarray(0, n * n), copy.subarray(n * n)];
  }

  function bytesOf(m: Float64Array): Buffer {
    const out = Buffer.alloc(m.length * 8);
    for (let i = 0; i < m.length; i++) out.writeDoubleLE(m[i]!, i * 8);
    return out;
  }

  test('is deterministic for a seed and parameters, and another seed changes it', async () => {
    await assertDeterministic(action, 51, 12);
    await assertDeterministic(action, 51, 12, { b: 'identity' });
  });

  test("multiplying by the identity gives the matrix's checksum", async () => {
    for (const n of [1, 7, 32]) {
      const [a, b] = matrices(3, n, 'identity');
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(b[i * n + j], i === j ? 1 : 0);
      const r = await action.call<MatmulResult>(3, n, { b: 'identity' });
      assert.equal(r.checksum, sha256(bytesOf(a)));
      let trace = 0;
      for (let i = 0; i < n; i++) trace += a[i * n + i]!;
      assert.equal(r.trace, trace);
    }
  });

  test('the product matches one computed here, element by element in the same order', async () => {
    const n = 20;
    const [a, b] = matrices(8, n, 'random');
    assert.ok(a.every((x) => x >= -1 && x < 1) && new Set(a).size === n * n);
    const c = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
        c[i * n + j] = s;
      }
    }
    const r = await action.call<MatmulResult>(8, n);
    assert.equal(r.checksum, sha256(bytesOf(c)));
    assert.equal(
      r.sum,
      c.reduce((x, y) => x + y, 0),
    );
    assert.notEqual(r.checksum, (await action.call<MatmulResult>(8, n, { b: 'identity' })).checksum);
  });
});
