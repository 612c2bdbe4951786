/**
 * The host side of the catalog's inputs and parameters. Inputs never cross HTTP: an action is
 * given (seed, size) and generates its input itself; these functions describe the same input for a
 * dataset row (makeInput), regenerate its bytes (inputBytes), build the /run value (actionValue)
 * and check parameters the way the action will (resolveParams). Both sides run the same code
 * (the prelude's modules, which the actions embed compiled: see prelude.ts), so they agree bit for bit.
 */
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import { catalogEntry } from './catalog.js';
import {
  f64Bytes,
  genBytes,
  genImage,
  genMatrix,
  genRecords,
  genText,
  identity,
} from './prelude/generators.js';
import { describeInput, readParams } from './prelude/params.js';
import { STREAM_MATRIX_A, STREAM_MATRIX_B } from './prelude/rng.js';
import type { CatalogEntry, InputDescriptor, InputKind, ParamValue } from './types.js';

/** Parameters as a caller gives them: typed values, or strings (FaaSLoad traces' PARAM:VALUE). */
export type ParamInput = Readonly<Record<string, unknown>>;

interface Resolved {
  entry: CatalogEntry;
  seed: number;
  size: number;
  params: Record<string, ParamValue>;
}

function resolve(name: string, value: Record<string, unknown>): Resolved {
  const entry = catalogEntry(name);
  try {
    return { entry, ...readParams(entry, value, true) };
  } catch (e) {
    throw new FaasloadError('E_USAGE', `${name}: ${messageOf(e)}`);
  }
}

/**
 * The function's parameters, checked as its action checks them, converted (strings such as '3' or
 * 'true' are read as numbers and booleans) and completed with the defaults, in spec order. Throws
 * E_USAGE on an unknown parameter or an invalid value. `seed` and `size` are accepted and left out.
 */
export function resolveParams(name: string, params: ParamInput = {}): Record<string, ParamValue> {
  return resolve(name, { ...params }).params;
}

/**
 * The descriptor of the input that function `name` generates from (seed, size) with these
 * parameters (only those that shape the input matter, e.g. image's pattern). The action returns
 * the same descriptor in its result's `input`. For `records`, the document is generated here to
 * measure it; other sizes follow from `size`. Throws E_USAGE when seed or size is out of range.
 */
export function makeInput(
  name: string,
  seed: number,
  size: number,
  params: ParamInput = {},
): InputDescriptor {
  const r = resolve(name, { ...params, seed, size });
  return describeInput(r.entry, r.seed, r.size, r.params, sizeBytesOf(r));
}

function sizeBytesOf(r: Resolved): number {
  switch (r.entry.input.kind) {
    case 'none':
      return 0;
    case 'image':
      return 4 * r.size * r.size;
    case 'text':
    case 'bytes':
      return r.size;
    case 'matrices':
      return 16 * r.size * r.size;
    case 'records':
      return genRecords(r.seed, r.size).length;
  }
}

/**
 * The input's bytes exactly as the action holds them (the entry's input.format): RGBA pixels, the
 * text, the JSON document, the data, or A then B as little-endian float64. Empty for `none`.
 */
export function inputBytes(name: string, seed: number, size: number, params: ParamInput = {}): Buffer {
  const r = resolve(name, { ...params, seed, size });
  switch (r.entry.input.kind) {
    case 'none':
      return Buffer.alloc(0);
    case 'image':
      return genImage(r.seed, r.size, String(r.params.pattern)).data;
    case 'text':
      return genText(r.seed, r.size);
    case 'bytes':
      return genBytes(r.seed, r.size);
    case 'records':
      return genRecords(r.seed, r.size);
    case 'matrices': {
      const a = genMatrix(r.seed, r.size, STREAM_MATRIX_A);
      const b = r.params.b === 'identity' ? identity(r.size) : genMatrix(r.seed, r.size, STREAM_MATRIX_B);
      return Buffer.concat([f64Bytes(a), f64Bytes(b)]);
    }
  }
}

/**
 * The /run value for one invocation: {seed, size, ...every parameter} (defaults filled in), or
 * just the parameters for a function without input. Throws E_USAGE as resolveParams does.
 */
export function actionValue(
  name: string,
  input: { seed: number; size: number },
  params: ParamInput = {},
): Record<string, ParamValue> {
  const r = resolve(name, { ...params, seed: input.seed, size: input.size });
  return r.entry.input.kind === 'none' ? r.params : { seed: r.seed, size: r.size, ...r.params };
}

const INPUT_ID = /^(image|text|records|bytes|matrices)((?:\.[^.\s-]+)*)-(\d+)-(\d+)$/;

/** An input id split into its parts (variant: the input-shaping parameter values), or undefined. */
export function parseInputId(
  id: string,
): { kind: InputKind; variant: string[]; seed: number; size: number } | undefined {
  if (id === 'none') return { kind: 'none', variant: [], seed: 0, size: 0 };
  const m = INPUT_ID.exec(id);
  if (m === null) return undefined;
  const seed = Number(m[3]);
  const size = Number(m[4]);
  if (seed > 0xffffffff || !Number.isSafeInteger(size)) return undefined;
  return { kind: m[1] as InputKind, variant: m[2] ? m[2].slice(1).split('.') : [], seed, size };
}
