/**
 * The types of the function catalog: what a function takes (its parameters and its input), what a
 * catalog entry deploys (an OpenWhisk Node.js action: main + code) and how an input is described
 * in a dataset row.
 */

/** What an action's generated input is. `none`: the function takes no input (the synthetic one). */
export type InputKind = 'none' | 'image' | 'text' | 'records' | 'bytes' | 'matrices';

export type ParamType = 'integer' | 'number' | 'string' | 'boolean';
export type ParamValue = number | string | boolean;

/** One parameter of a catalog function, as the action reads it from its /run value. */
export interface ParamSpec {
  name: string;
  type: ParamType;
  default: ParamValue;
  /** Inclusive bounds of a number or integer. */
  range?: readonly [number, number];
  /** Bounds that depend on another (string) parameter's value; they replace `range` when it matches. */
  rangeBy?: { param: string; ranges: Readonly<Record<string, readonly [number, number]>> };
  /** The allowed values of a string. */
  choices?: readonly string[];
  meaning: string;
  /** True when the parameter shapes the generated input: its value is part of the input's id. */
  shapesInput?: boolean;
}

/** How a function's input is made: generated from (seed, size) inside the action, and on the host. */
export interface InputSpec {
  kind: InputKind;
  /** The layout of the input's bytes, as the function holds them and as inputBytes() returns them. */
  format: string;
  size: {
    /** The unit of `size` (e.g. 'pixels per side', 'bytes', 'records'). */
    unit: string;
    default: number;
    range: readonly [number, number];
    meaning: string;
  };
}

/** A catalog function without its code: what a dataset or a CLI needs to know about it. */
export interface CatalogFunctionSpec {
  /** The action's name: word characters only (usable as FaaSLoad's ACTION and as a platform name). */
  name: string;
  description: string;
  params: readonly ParamSpec[];
  input: InputSpec;
}

/** A deployable catalog function: POST /init {value: {name, main, code}} to an action proxy. */
export interface CatalogEntry extends CatalogFunctionSpec {
  kind: 'nodejs:20';
  /** The name of the function that `code` defines. */
  main: string;
  /** The action's source: plain JavaScript using only Node built-ins (require('node:...')). */
  code: string;
}

/**
 * One input, as a dataset row records it beside the parameters. The same id always denotes the
 * same bytes: `KIND[.VARIANT]-SEED-SIZE`, VARIANT being the values of the parameters that shape the
 * input (e.g. `image.noise-7-256`, `text-1-65536`, `none` for the synthetic function).
 */
export interface InputDescriptor {
  kind: InputKind;
  id: string;
  /** The generator's seed: an unsigned 32-bit integer. */
  seed: number;
  /** The size in the input's own unit (InputSpec.size.unit). */
  size: number;
  /** The bytes of the input as the function holds it (InputSpec.format). */
  sizeBytes: number;
}

/** Times measured inside the action with performance.now(), in milliseconds. */
export interface Timings {
  /** Making the input from its seed (the analogue of fetching it from storage). */
  generateMs: number;
  /** The function's work proper. */
  computeMs: number;
  /** Encoding the output (image only). */
  encodeMs?: number;
  /** The whole call, parameter checks included. */
  totalMs: number;
}

/** What every catalog function but the synthetic one returns, beside its own fields. */
export interface ActionResultBase {
  input: InputDescriptor;
  /**
   * sha256 (hex) of the function's output, or the final digest for `hash`: equal inputs and
   * parameters give equal checksums.
   */
  checksum: string;
  timings: Timings;
  /** What the call cost the instance (added around every catalog main, see entry.ts). */
  usage: Usage;
}

export interface Usage {
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Resident set after the call, and the instance process's peak resident set so far. */
  rssBytes: number;
  maxRssBytes: number;
}

export interface ImageResult extends ActionResultBase {
  op: string;
  width: number;
  height: number;
  format: string;
  outputBytes: number;
  /** sha256 of the output pixels as raw RGBA, whatever the format. */
  rgbaChecksum: string;
  /** The encoded output, base64, with emit=true. */
  output?: string;
}

export interface CompressResult extends ActionResultBase {
  algorithm: string;
  level: number;
  inputBytes: number;
  outputBytes: number;
  /** outputBytes / inputBytes. */
  ratio: number;
  /** With verify=true: the output decompressed back to the input. */
  verified?: boolean;
  output?: string;
}

export interface JsonGroup {
  key: string;
  count: number;
  /** Sum of `amount`, exact to the cent. */
  amount: number;
  /** amount / count, rounded to the cent. */
  mean: number;
  min: number;
  max: number;
  quantity: number;
}

export interface JsonResult extends ActionResultBase {
  records: number;
  kept: number;
  groupBy: string;
  groups: JsonGroup[];
  outputBytes: number;
}

export interface HashResult extends ActionResultBase {
  algorithm: string;
  rounds: number;
  bytesHashed: number;
}

export interface MatmulResult extends ActionResultBase {
  n: number;
  b: string;
  /** Sum of C's diagonal. */
  trace: number;
  /** Sum of C's elements in row-major order. */
  sum: number;
}
