/**
 * A generation plan (YAML): which catalog functions to run, how many times, on which inputs and
 * with which parameters, all drawn from one seed. Example:
 *
 *   seed: 42
 *   concurrency: 2          # executions in flight at once (default 1)
 *   rate: 20                # at most this many started per second (default: no bound)
 *   tenants: per-function   # one user per function, as FaaSLoad did; or shared
 *   functions:
 *     - name: image
 *       runs: 100
 *       inputs: { count: 50, size: { range_int: [64, 256] } }
 *       params:
 *         op: { ensemble: [resize, blur, resize-blur] }
 *         radius: { range_int: [1, 4] }
 *
 * A value is a constant, `range_int: [min, max]` (inclusive), `range_float: [min, max]` or
 * `ensemble: [v, ...]`. parseGeneratePlan checks everything against the catalog before anything
 * runs, and names the key that is wrong.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { FaasloadError } from '../errors.js';
import { catalogEntry } from '../workload/catalog.js';
import { resolveParams } from '../workload/inputs.js';
import type { ParamValue } from '../workload/types.js';

export type ValueSpec =
  | { constant: ParamValue }
  | { range_int: readonly [number, number] }
  | { range_float: readonly [number, number] }
  | { ensemble: readonly ParamValue[] };

export interface FunctionPlan {
  name: string;
  runs: number;
  /** Executions draw their input among `count` inputs, each of a size drawn from `size`. */
  inputs: { count: number; size: ValueSpec };
  params: Readonly<Record<string, ValueSpec>>;
}

export interface GeneratePlan {
  seed: number;
  concurrency: number;
  /** Executions started per second at most; undefined: as fast as concurrency allows. */
  ratePerS: number | undefined;
  tenants: 'per-function' | 'shared';
  functions: readonly FunctionPlan[];
}

type Dict = Record<string, unknown>;
const isDict = (x: unknown): x is Dict => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The plan in a file, checked, and the file's sha256 (a resumed generation must use the same). */
export async function readGeneratePlan(path: string): Promise<{ plan: GeneratePlan; sha256: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new FaasloadError('E_USAGE', `${path}: cannot read the plan (${(e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new FaasloadError('E_USAGE', `${path}: not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  return { plan: parseGeneratePlan(doc, path), sha256: createHash('sha256').update(text).digest('hex') };
}

/** Checks a parsed plan; errors say `<where>: <key>: what is wrong`. */
export function parseGeneratePlan(doc: unknown, where = 'plan'): GeneratePlan {
  const fail = (key: string, what: string): never => {
    throw new FaasloadError('E_USAGE', `${where}: ${key}: ${what}`);
  };
  if (!isDict(doc)) return fail('(top)', 'the plan must be a mapping');
  const known = ['seed', 'concurrency', 'rate', 'tenants', 'functions'];
  for (const key of Object.keys(doc))
    if (!known.includes(key)) fail(key, `unknown key (known: ${known.join(', ')})`);
  const seed = doc.seed ?? 1;
  if (!Number.isInteger(seed) || (seed as number) < 0 || (seed as number) > 0xffffffff) {
    fail('seed', 'an integer in [0, 2^32) is needed');
  }
  const concurrency = doc.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || (concurrency as number) < 1)
    fail('concurrency', 'a positive integer is needed');
  const rate = doc.rate;
  if (rate !== undefined && !(typeof rate === 'number' && rate > 0))
    fail('rate', 'a positive number is needed');
  const tenants = doc.tenants ?? 'per-function';
  if (tenants !== 'per-function' && tenants !== 'shared') fail('tenants', "'per-function' or 'shared'");
  if (!Array.isArray(doc.functions) || doc.functions.length === 0)
    fail('functions', 'a non-empty list is needed');
  const functions = (doc.functions as unknown[]).map((f, i) => functionPlan(f, `functions[${i}]`, fail));
  const names = new Set<string>();
  for (const f of functions) {
    if (names.has(f.name)) fail('functions', `'${f.name}' is listed twice`);
    names.add(f.name);
  }
  return {
    seed: seed as number,
    concurrency: concurrency as number,
    ratePerS: rate as number | undefined,
    tenants: tenants as GeneratePlan['tenants'],
    functions,
  };
}

function functionPlan(x: unknown, at: string, fail: (key: string, what: string) => never): FunctionPlan {
  if (!isDict(x)) return fail(at, 'a mapping with name, runs, inputs, params is needed');
  if (typeof x.name !== 'string') fail(`${at}.name`, 'a catalog function name is needed');
  let entry: ReturnType<typeof catalogEntry>;
  try {
    entry = catalogEntry(x.name as string);
  } catch (e) {
    return fail(`${at}.name`, (e as Error).message);
  }
  const runs = x.runs;
  if (!Number.isInteger(runs) || (runs as number) < 1) fail(`${at}.runs`, 'a positive integer is needed');
  const inputsX = x.inputs ?? {};
  if (!isDict(inputsX)) return fail(`${at}.inputs`, 'a mapping {count, size} is needed');
  const count = inputsX.count ?? 1;
  if (!Number.isInteger(count) || (count as number) < 1)
    fail(`${at}.inputs.count`, 'a positive integer is needed');
  const size = valueSpec(inputsX.size ?? entry.input.size.default, `${at}.inputs.size`, fail);
  const [lo, hi] = entry.input.size.range;
  for (const v of extremes(size)) {
    if (typeof v !== 'number' || v < lo || v > hi) {
      fail(`${at}.inputs.size`, `${String(v)} is outside [${lo}, ${hi}] ${entry.input.size.unit}`);
    }
  }
  const paramsX = x.params ?? {};
  if (!isDict(paramsX)) return fail(`${at}.params`, 'a mapping of parameter to value is needed');
  const params: Record<string, ValueSpec> = {};
  for (const [name, v] of Object.entries(paramsX)) {
    params[name] = valueSpec(v, `${at}.params.${name}`, fail);
    if ('range_float' in params[name]! && entry.params.find((p) => p.name === name)?.type === 'integer') {
      fail(`${at}.params.${name}`, 'an integer parameter takes range_int, not range_float');
    }
    // Every value the spec can give must be one the function accepts.
    for (const value of extremes(params[name]!)) {
      try {
        resolveParams(entry.name, { [name]: value });
      } catch (e) {
        fail(`${at}.params.${name}`, (e as Error).message);
      }
    }
  }
  return { name: entry.name, runs: runs as number, inputs: { count: count as number, size }, params };
}

function valueSpec(x: unknown, at: string, fail: (key: string, what: string) => never): ValueSpec {
  if (typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean') return { constant: x };
  if (!isDict(x) || Object.keys(x).length !== 1) {
    return fail(at, 'a constant, or one of range_int: [min, max], range_float: [min, max], ensemble: [...]');
  }
  const pair = (v: unknown, integer: boolean): readonly [number, number] => {
    if (
      !Array.isArray(v) ||
      v.length !== 2 ||
      !v.every((n) => typeof n === 'number' && (!integer || Number.isInteger(n))) ||
      v[0] > v[1]
    ) {
      return fail(at, `[min, max] of ${integer ? 'integers' : 'numbers'} with min <= max is needed`);
    }
    return [v[0], v[1]];
  };
  if ('range_int' in x) return { range_int: pair(x.range_int, true) };
  if ('range_float' in x) return { range_float: pair(x.range_float, false) };
  if ('ensemble' in x) {
    const list = x.ensemble;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((v) => ['number', 'string', 'boolean'].includes(typeof v))
    ) {
      return fail(at, 'ensemble: a non-empty list of numbers, strings or booleans is needed');
    }
    return { ensemble: list as ParamValue[] };
  }
  return fail(at, `unknown kind '${Object.keys(x)[0]}' (range_int, range_float, ensemble)`);
}

/** The values that bound what a spec can give (to check them once against the function). */
function extremes(spec: ValueSpec): ParamValue[] {
  if ('constant' in spec) return [spec.constant];
  if ('ensemble' in spec) return [...spec.ensemble];
  const [lo, hi] = 'range_int' in spec ? spec.range_int : spec.range_float;
  return [lo, hi];
}

/** The value of `spec` for a uniform draw u in [0, 1). */
export function drawValue(spec: ValueSpec, u: number): ParamValue {
  if ('constant' in spec) return spec.constant;
  if ('ensemble' in spec) return spec.ensemble[Math.floor(u * spec.ensemble.length)]!;
  if ('range_int' in spec) {
    const [lo, hi] = spec.range_int;
    return lo + Math.floor(u * (hi - lo + 1));
  }
  const [lo, hi] = spec.range_float;
  return lo + u * (hi - lo);
}
