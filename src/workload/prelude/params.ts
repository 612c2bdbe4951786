/**
 * The parameter reader and the input descriptor: the action checks its /run value with them, and
 * the host checks a plan's parameters with the very same rules. Part of the workload prelude (see
 * ../prelude.ts).
 */
import type { CatalogFunctionSpec, InputDescriptor, ParamSpec, ParamValue } from '../types.js';

/** What reading one value needs of a parameter. */
type ValueRule = Pick<ParamSpec, 'name' | 'type' | 'range' | 'rangeBy' | 'choices'>;

/** A /run value's parameters, read: seed and size of the input, the others in spec order. */
export interface ReadParams {
  seed: number;
  size: number;
  params: Record<string, ParamValue>;
}

const SEED_RULE: ValueRule = { name: 'seed', type: 'integer', range: [0, 4294967295] };

function paramError(name: string, message: string): Error {
  return new Error(`parameter ${name}: ${message}`);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function isMissing(x: unknown): boolean {
  return x === undefined || x === null || x === '';
}

function readBoolean(p: ValueRule, x: unknown): boolean {
  if (x === true || x === 1 || x === 'true' || x === '1') return true;
  if (x === false || x === 0 || x === 'false' || x === '0') return false;
  throw paramError(p.name, `${JSON.stringify(x)} is not a boolean`);
}

function readString(p: ValueRule, x: unknown): string {
  const s = typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
  if (s === undefined || (p.choices && !p.choices.includes(s))) {
    throw paramError(p.name, `${JSON.stringify(x)} is not one of ${(p.choices ?? []).join(', ')}`);
  }
  return s;
}

/**
 * A number or integer: numbers, or strings that read as one; within `range`, or within the range
 * `rangeBy` names for the value `others` already holds for its parameter.
 */
function readNumber(p: ValueRule, x: unknown, others?: Record<string, ParamValue>): number {
  const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : Number.NaN;
  if (!Number.isFinite(n)) throw paramError(p.name, `${JSON.stringify(x)} is not a number`);
  if (p.type === 'integer' && !Number.isInteger(n)) {
    throw paramError(p.name, `${JSON.stringify(x)} is not an integer`);
  }
  let range = p.range;
  let when = '';
  const by = p.rangeBy;
  if (by !== undefined && others !== undefined) {
    const key = String(others[by.param]);
    if (Object.hasOwn(by.ranges, key)) {
      range = by.ranges[key];
      when = range === p.range ? '' : ` for ${by.param} ${key}`;
    }
  }
  if (range && (n < range[0] || n > range[1])) {
    throw paramError(p.name, `${n} is outside [${range[0]}, ${range[1]}]${when}`);
  }
  return n;
}

function readValue(p: ValueRule, x: unknown, others: Record<string, ParamValue>): ParamValue {
  if (p.type === 'boolean') return readBoolean(p, x);
  if (p.type === 'string') return readString(p, x);
  return readNumber(p, x, others);
}

/**
 * Reads a /run value: every parameter of `spec` (missing ones take their default; those with a
 * `rangeBy` are read after the others), then `seed` (default 1) and `size` (the input's default),
 * both 0 for a function without input. `strict`: an unknown key is an error (the host's check;
 * actions ignore extra keys). Throws an Error naming the parameter.
 */
export function readParams(spec: CatalogFunctionSpec, value: unknown, strict: boolean): ReadParams {
  const v = isPlainObject(value) ? value : {};
  const params: Record<string, ParamValue> = {};
  const ranged: ParamSpec[] = [];
  for (const p of spec.params) {
    if (p.rangeBy) ranged.push(p);
    else params[p.name] = isMissing(v[p.name]) ? p.default : readValue(p, v[p.name], params);
  }
  for (const p of ranged) params[p.name] = readValue(p, isMissing(v[p.name]) ? p.default : v[p.name], params);
  const ordered: Record<string, ParamValue> = {};
  for (const p of spec.params) {
    const read = params[p.name];
    if (read !== undefined) ordered[p.name] = read;
  }
  const noInput = spec.input.kind === 'none';
  const seed = noInput ? 0 : isMissing(v.seed) ? 1 : readNumber(SEED_RULE, v.seed);
  const sizeRule: ValueRule = { name: 'size', type: 'integer', range: spec.input.size.range };
  const size = noInput ? 0 : readNumber(sizeRule, isMissing(v.size) ? spec.input.size.default : v.size);
  if (strict) {
    for (const k of Object.keys(v)) {
      if (k === 'seed' || k === 'size' || spec.params.some((p) => p.name === k)) continue;
      const known = ['seed', 'size', ...spec.params.map((p) => p.name)].join(', ');
      throw new Error(`${spec.name} takes no parameter ${k} (it takes ${known})`);
    }
  }
  return { seed, size, params: ordered };
}

/** `KIND[.VARIANT]-SEED-SIZE` (see InputDescriptor), or `none`. */
function inputId(
  spec: CatalogFunctionSpec,
  seed: number,
  size: number,
  params: Record<string, ParamValue>,
): string {
  if (spec.input.kind === 'none') return 'none';
  const variant = spec.params.filter((p) => p.shapesInput).map((p) => String(params[p.name]));
  return `${spec.input.kind}${variant.length > 0 ? `.${variant.join('.')}` : ''}-${seed}-${size}`;
}

export function describeInput(
  spec: CatalogFunctionSpec,
  seed: number,
  size: number,
  params: Record<string, ParamValue>,
  sizeBytes: number,
): InputDescriptor {
  return { kind: spec.input.kind, id: inputId(spec, seed, size, params), seed, size, sizeBytes };
}
