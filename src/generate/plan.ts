/**
 * A generation plan (YAML): which functions to run, how many times, on which inputs and with
 * which parameters, all drawn from one seed. Its format is a JSON Schema (plan-schema.ts,
 * published as docs/generate-plan.schema.json); docs/generate.md explains it. Example:
 *
 *   seed: 42
 *   concurrency: 2
 *   functions:
 *     - name: image                       # a catalog function
 *       runs: 200
 *       inputs: { count: 100, size: { range_int: [64, 256] }, distinct: true }
 *       settings: [ { op: resize }, { op: blur } ]
 *     - name: wordcount                   # a user function: a folder with package.json
 *       path: functions/wordcount
 *       runs: 100
 *       inputs: { generator: text, count: 100, size: { range_int: [1024, 65536] } }
 *       params: { lower: { ensemble: [true, false] } }
 *
 * parsePlanDocument checks the whole plan before anything runs: first against the schema (every
 * unknown or misspelled key at any depth, every type and range, all at once, each as
 * `file:line: path: what`, an unknown key naming the nearest valid one), then against the catalog
 * and the user functions' folders.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FaasloadError } from '../errors.js';
import { errnoCodeOf, messageOf } from '../util/message.js';
import { checkSchema, type DocPath, nearestKey, type SchemaProblem } from '../util/schema-check.js';
import { formatProblems, type LinedDocument, parseYamlWithLines } from '../util/yaml-lines.js';
import { CATALOG_NAMES, findCatalogEntry, INPUT_KIND_ENTRY } from '../workload/catalog.js';
import { resolveParams } from '../workload/inputs.js';
import type { CatalogEntry, InputKind, ParamValue } from '../workload/types.js';
import { PLAN_SCHEMA } from './plan-schema.js';

export type ValueSpec =
  | { constant: ParamValue }
  | { range_int: readonly [number, number] }
  | { range_float: readonly [number, number] }
  | { ensemble: readonly [ParamValue, ...ParamValue[]] };

/** Where a function's code comes from. */
export type FunctionSource =
  | { kind: 'catalog'; entry: CatalogEntry }
  /** A user function folder: its entry file's source, deployed as an OpenWhisk Node.js action. */
  | { kind: 'folder'; dir: string; entryFile: string; code: string }
  /** An action already on the platform, invoked by name and never deployed or removed. */
  | { kind: 'action'; action: string };

/** The column type of a parameter. */
export type ParamColumnType = 'int64' | 'float64' | 'utf8' | 'bool';

export interface FunctionPlan {
  name: string;
  source: FunctionSource;
  runs: number;
  memoryMb: number | undefined;
  inputs: {
    /** The input generator (a catalog function's own kind for catalog functions). */
    generator: InputKind;
    count: number;
    size: ValueSpec;
    /** Without replacement: input slots walk a seeded permutation of the count inputs. */
    distinct: boolean;
  };
  params: Readonly<Record<string, ValueSpec>>;
  /** Parameter settings crossed with the input slots (see plan-schema.ts); [] for none. */
  settings: readonly Readonly<Record<string, ValueSpec>>[];
}

export interface GeneratePlan {
  seed: number;
  concurrency: number;
  /** Executions started per second at most; undefined: as fast as concurrency allows. */
  ratePerS: number | undefined;
  tenants: 'per-function' | 'shared';
  functions: readonly FunctionPlan[];
  /** Every parameter of every function, with its column type, in first-seen order. */
  paramColumns: readonly { name: string; type: ParamColumnType }[];
}

/** Distinct inputs are walked through a permutation held in memory: at most this many per function. */
export const MAX_DISTINCT_INPUTS = 1 << 24;

type Dict = Record<string, unknown>;
const isDict = (x: unknown): x is Dict => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The plan in a file, checked, and the file's sha256 (a resumed generation must use the same). */
export async function readGeneratePlan(
  path: string,
): Promise<{ plan: GeneratePlan; sha256: string; document: unknown }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new FaasloadError('E_USAGE', `${path}: cannot read the plan (${messageOf(e)})`);
  }
  const doc = parseYamlWithLines(text, path);
  return {
    plan: parsePlanDocument(doc, path, dirname(resolve(path))),
    sha256: createHash('sha256').update(text).digest('hex'),
    document: doc.value,
  };
}

/** Checks a parsed plan (plain data, no lines: errors say `<where>: <path>: what`). */
export function parseGeneratePlan(value: unknown, where = 'plan', baseDir = process.cwd()): GeneratePlan {
  return parsePlanDocument({ value, lineOf: () => 0 }, where, baseDir);
}

/**
 * Checks a plan document; every problem in one E_USAGE error, a line each. User function folders
 * are relative to baseDir (the plan's folder).
 */
export function parsePlanDocument(doc: LinedDocument, where: string, baseDir: string): GeneratePlan {
  const fail = (problems: readonly SchemaProblem[]): never => {
    const formatted = formatProblems(problems, doc, where);
    // A document without lines (JSON on one line) has no line to name.
    const lines =
      doc.lineOf([]) === 0 ? formatted.map((line) => line.replace(`${where}:0:`, `${where}:`)) : formatted;
    const [only, ...more] = lines;
    throw new FaasloadError(
      'E_USAGE',
      only !== undefined && more.length === 0
        ? only
        : `${where}: ${lines.length} problems:\n  ${lines.join('\n  ')}`,
    );
  };
  const schemaProblems = checkSchema(doc.value, PLAN_SCHEMA);
  if (schemaProblems.length > 0) fail(schemaProblems);
  const x = doc.value as Dict;
  const problems: SchemaProblem[] = [];
  const functions = (x.functions as unknown[]).map((f, i) =>
    functionPlan(f as Dict, ['functions', i], baseDir, problems),
  );
  const names = new Map<string, number>();
  functions.forEach((f, i) => {
    const first = names.get(f.name);
    if (first !== undefined) {
      problems.push({
        path: ['functions', i, 'name'],
        message: `'${f.name}' is also functions[${first}]'s name`,
      });
    }
    names.set(f.name, i);
  });
  const paramColumns = paramColumnsOf(functions, problems);
  if (problems.length > 0) fail(problems);
  return {
    seed: (x.seed as number | undefined) ?? 1,
    concurrency: (x.concurrency as number | undefined) ?? 1,
    ratePerS: x.rate as number | undefined,
    tenants: (x.tenants as GeneratePlan['tenants'] | undefined) ?? 'per-function',
    functions,
    paramColumns,
  };
}

/** A catalog function with inputs of this kind: its size unit and range stand for the generator's. */
export function generatorEntry(kind: InputKind): CatalogEntry {
  return INPUT_KIND_ENTRY[kind];
}

function functionPlan(x: Dict, at: DocPath, baseDir: string, problems: SchemaProblem[]): FunctionPlan {
  const name = x.name as string;
  const path = x.path as string | undefined;
  const action = x.action as string | undefined;
  const inputsX = (x.inputs as Dict | undefined) ?? {};
  const params = specsOf(x.params as Dict | undefined);
  const settings = ((x.settings as Dict[] | undefined) ?? []).map((s) => specsOf(s));
  const ordered = (spec: ValueSpec, path: DocPath) => {
    const range = 'range_int' in spec ? spec.range_int : 'range_float' in spec ? spec.range_float : undefined;
    if (range && range[0] > range[1])
      problems.push({ path, message: `[min, max] with min <= max is needed` });
  };
  for (const [p, spec] of Object.entries(params)) ordered(spec, [...at, 'params', p]);
  settings.forEach((s, i) => {
    for (const [p, spec] of Object.entries(s)) ordered(spec, [...at, 'settings', i, p]);
  });
  if (inputsX.size !== undefined) ordered(valueSpec(inputsX.size), [...at, 'inputs', 'size']);
  let source: FunctionSource;
  if (path !== undefined && action !== undefined) {
    problems.push({ path: [...at, 'action'], message: 'a function has a path or an action, not both' });
  }
  if (path !== undefined) {
    source = userFolder(resolve(baseDir, path), [...at, 'path'], problems);
  } else if (action !== undefined) {
    source = { kind: 'action', action };
  } else {
    const entry = findCatalogEntry(name);
    if (entry === undefined) {
      problems.push({
        path: [...at, 'name'],
        message: `no function '${name}' in the catalog (did you mean '${nearest(name, CATALOG_NAMES)}'? it has ${CATALOG_NAMES.join(', ')}); a user function needs path:, a deployed action action:`,
      });
      source = { kind: 'action', action: name };
    } else {
      source = { kind: 'catalog', entry };
    }
  }
  let generator: InputKind;
  if (source.kind === 'catalog') {
    generator = source.entry.input.kind;
    if (inputsX.generator !== undefined && inputsX.generator !== generator) {
      problems.push({
        path: [...at, 'inputs', 'generator'],
        message: `${name} makes its own ${generator} inputs; leave generator out`,
      });
    }
  } else {
    generator = (inputsX.generator as InputKind | undefined) ?? 'none';
  }
  const gen = source.kind === 'catalog' ? source.entry : generatorEntry(generator);
  const size = valueSpec(inputsX.size ?? gen.input.size.default);
  const count = (inputsX.count as number | undefined) ?? 1;
  const distinct = (inputsX.distinct as boolean | undefined) ?? false;
  if (distinct && count > MAX_DISTINCT_INPUTS) {
    problems.push({
      path: [...at, 'inputs', 'count'],
      message: `distinct inputs: at most ${MAX_DISTINCT_INPUTS} per function`,
    });
  }
  if ('range_float' in size) {
    problems.push({ path: [...at, 'inputs', 'size'], message: 'a size takes range_int, not range_float' });
  }
  const [lo, hi] = gen.input.size.range;
  for (const v of extremes(size)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      problems.push({
        path: [...at, 'inputs', 'size'],
        message: `${String(v)} is outside [${lo}, ${hi}] ${gen.input.size.unit} (${generator} inputs)`,
      });
    }
  }
  if (source.kind === 'catalog') {
    const entry = source.entry;
    const check = (specs: Record<string, ValueSpec>, where: DocPath) => {
      for (const [p, spec] of Object.entries(specs)) {
        const declared = entry.params.find((d) => d.name === p);
        if (declared === undefined) {
          const known = entry.params.map((d) => d.name);
          problems.push({
            path: [...where, p],
            atKey: true,
            message: `${entry.name} has no parameter '${p}'${known.length > 0 ? ` (did you mean '${nearest(p, known)}'? it has ${known.join(', ')})` : ' (it takes none)'}`,
          });
          continue;
        }
        if ('range_float' in spec && declared.type === 'integer') {
          problems.push({
            path: [...where, p],
            message: 'an integer parameter takes range_int, not range_float',
          });
        }
        // Every value the spec can give must be one the function accepts.
        for (const value of extremes(spec)) {
          try {
            resolveParams(entry.name, { [p]: value });
          } catch (e) {
            problems.push({ path: [...where, p], message: messageOf(e) });
          }
        }
      }
    };
    check(params, [...at, 'params']);
    for (const [i, s] of settings.entries()) check(s, [...at, 'settings', i]);
  }
  return {
    name,
    source,
    runs: x.runs as number,
    memoryMb: x.memory_mb as number | undefined,
    inputs: { generator, count, size, distinct },
    params,
    settings,
  };
}

function nearest(key: string, known: readonly string[]): string {
  return nearestKey(key, known) ?? '';
}

/** A user function folder: package.json (its `main`, default index.js) and that entry file. */
function userFolder(dir: string, at: DocPath, problems: SchemaProblem[]): FunctionSource {
  const none: FunctionSource = { kind: 'folder', dir, entryFile: '', code: '' };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    problems.push({ path: at, message: `${dir} is not a folder` });
    return none;
  }
  const pkgPath = join(dir, 'package.json');
  let main = 'index.js';
  try {
    const pkg: unknown = JSON.parse(readFileSync(pkgPath, 'utf8'));
    if (isDict(pkg) && pkg.main !== undefined) {
      if (typeof pkg.main !== 'string') {
        problems.push({ path: at, message: `${pkgPath}: 'main' must be a file name` });
        return none;
      }
      main = pkg.main;
    }
  } catch (e) {
    problems.push({
      path: at,
      message: `${pkgPath}: ${errnoCodeOf(e) ?? messageOf(e)}`,
    });
    return none;
  }
  const entryFile = resolve(dir, main);
  let code: string;
  try {
    code = readFileSync(entryFile, 'utf8');
  } catch (e) {
    problems.push({
      path: at,
      message: `${entryFile}: ${errnoCodeOf(e) ?? messageOf(e)}`,
    });
    return none;
  }
  if (!/\bmain\b/.test(code)) {
    problems.push({ path: at, message: `${entryFile} defines no main (function main, or exports.main)` });
  }
  return { kind: 'folder', dir, entryFile, code };
}

function specsOf(x: Dict | undefined): Record<string, ValueSpec> {
  const out: Record<string, ValueSpec> = {};
  for (const [k, v] of Object.entries(x ?? {})) out[k] = valueSpec(v);
  return out;
}

/** A schema-checked value as a ValueSpec. */
function valueSpec(x: unknown): ValueSpec {
  if (!isDict(x)) return { constant: x as ParamValue };
  if ('range_int' in x) return { range_int: x.range_int as [number, number] };
  if ('range_float' in x) return { range_float: x.range_float as [number, number] };
  return { ensemble: x.ensemble as [ParamValue, ...ParamValue[]] };
}

/** The column type of the values a spec can give; undefined when they mix kinds. */
function typeOfSpec(spec: ValueSpec): ParamColumnType | undefined {
  if ('range_int' in spec) return 'int64';
  if ('range_float' in spec) return 'float64';
  const values = 'constant' in spec ? [spec.constant] : spec.ensemble;
  if (values.every((v) => typeof v === 'number')) return values.every(Number.isInteger) ? 'int64' : 'float64';
  if (values.every((v) => typeof v === 'string')) return 'utf8';
  if (values.every((v) => typeof v === 'boolean')) return 'bool';
  return undefined;
}

const CATALOG_TYPES: Record<string, ParamColumnType> = {
  integer: 'int64',
  number: 'float64',
  string: 'utf8',
  boolean: 'bool',
};

/**
 * One typed column per parameter name across the plan. A catalog parameter has its declared
 * type; a user function's is its values' (integers, numbers, strings or booleans, not mixed). A
 * name with an integer type in one place and a number type in another is float64; other clashes
 * are problems.
 */
function paramColumnsOf(
  functions: readonly FunctionPlan[],
  problems: SchemaProblem[],
): { name: string; type: ParamColumnType }[] {
  const types = new Map<string, { type: ParamColumnType; from: string }>();
  const add = (name: string, type: ParamColumnType | undefined, from: string, path: DocPath) => {
    if (type === undefined) {
      problems.push({
        path,
        message: 'values of one parameter must all be numbers, all strings or all booleans',
      });
      return;
    }
    const seen = types.get(name);
    if (seen === undefined || seen.type === type) {
      if (seen === undefined) types.set(name, { type, from });
      return;
    }
    const numeric = new Set([seen.type, type]);
    if (numeric.has('int64') && numeric.has('float64') && numeric.size === 2) {
      types.set(name, { type: 'float64', from: seen.from });
      return;
    }
    problems.push({ path, message: `param_${name} is ${type} here but ${seen.type} in ${seen.from}` });
  };
  functions.forEach((f, i) => {
    const entry = f.source.kind === 'catalog' ? f.source.entry : undefined;
    const all = [
      ...Object.entries(f.params).map(([n, s]) => [n, s, ['functions', i, 'params', n]] as const),
      ...f.settings.flatMap((s, k) =>
        Object.entries(s).map(([n, spec]) => [n, spec, ['functions', i, 'settings', k, n]] as const),
      ),
    ];
    if (entry) {
      // Every parameter of a catalog function is sent (defaults filled in): every one is a column.
      for (const p of entry.params) add(p.name, CATALOG_TYPES[p.type], f.name, ['functions', i]);
    } else {
      for (const [n, spec, path] of all) add(n, typeOfSpec(spec), f.name, path);
    }
  });
  return [...types].map(([name, t]) => ({ name, type: t.type }));
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
  if ('ensemble' in spec) return spec.ensemble[Math.floor(u * spec.ensemble.length)] ?? spec.ensemble[0];
  if ('range_int' in spec) {
    const [lo, hi] = spec.range_int;
    return lo + Math.floor(u * (hi - lo + 1));
  }
  const [lo, hi] = spec.range_float;
  return lo + u * (hi - lo);
}
