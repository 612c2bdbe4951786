/**
 * A small JSON Schema checker for faasload's own config files (generation plans, tenants files),
 * driven by the same schema object that docs/ publishes for editors. It reports every problem at
 * once, each with its path (`functions[0].inputs.size`) and, for a key the schema does not know,
 * the nearest known key by edit distance.
 *
 * The subset it understands, and the only one our schemas may use: type (one or a list), enum,
 * const, properties, required, additionalProperties (false or a schema), propertyNames.pattern,
 * items, minItems, maxItems, minimum, maximum, exclusiveMinimum, minLength, pattern, oneOf and
 * $ref to "#/$defs/NAME". Annotations (title, description, default, examples, $schema, $id,
 * markdownDescription) are ignored. Any other keyword throws when checking starts (a schema bug,
 * never a user error).
 */

export interface Schema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Readonly<Record<string, Schema>>;
  title?: string;
  description?: string;
  markdownDescription?: string;
  default?: unknown;
  examples?: readonly unknown[];
  type?: SchemaType | readonly SchemaType[];
  enum?: readonly unknown[];
  const?: unknown;
  properties?: Readonly<Record<string, Schema>>;
  required?: readonly string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: { pattern: string };
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  oneOf?: readonly Schema[];
}

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

/** A path into a document: keys and list positions. */
export type DocPath = readonly (string | number)[];

export interface SchemaProblem {
  path: DocPath;
  message: string;
  /** True when the problem is the key itself (an unknown key): its line is the key's. */
  atKey?: boolean;
}

const KNOWN_KEYWORDS = new Set<string>([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'title',
  'description',
  'markdownDescription',
  'default',
  'examples',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minLength',
  'pattern',
  'oneOf',
]);

/** `functions[0].inputs.size`; '(top)' for the document itself. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(top)' : out;
}

/** Levenshtein distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length]!;
}

/** The known key nearest to `key` (ties: the first listed), or undefined when none is known. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/** The message of an unknown key: names the nearest known one. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = nearestKey(key, known);
  return near === undefined
    ? `unknown key '${key}' (no keys are allowed here)`
    : `unknown key '${key}' (did you mean '${near}'? known: ${known.join(', ')})`;
}

type Dict = Record<string, unknown>;
const isDict = (x: unknown): x is Dict => typeof x === 'object' && x !== null && !Array.isArray(x);

function typeOf(x: unknown): SchemaType | 'other' {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'number') return Number.isInteger(x) ? 'integer' : 'number';
  if (typeof x === 'string' || typeof x === 'boolean' || typeof x === 'object') return typeof x as SchemaType;
  return 'other';
}

function typeMatches(x: unknown, t: SchemaType): boolean {
  const actual = typeOf(x);
  return actual === t || (t === 'number' && actual === 'integer');
}

const A_TYPE: Record<SchemaType, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function describeValue(x: unknown): string {
  const t = typeOf(x);
  if (t === 'object') return 'a mapping';
  if (t === 'array') return 'a list';
  return JSON.stringify(x) ?? String(x);
}

/** Checks `doc` against `root`; every problem, in document order. */
export function checkSchema(doc: unknown, root: Schema): SchemaProblem[] {
  assertSupported(root, '#');
  const problems: SchemaProblem[] = [];
  check(doc, root, root, [], problems);
  return problems;
}

function assertSupported(s: Schema, at: string): void {
  for (const k of Object.keys(s)) {
    if (!KNOWN_KEYWORDS.has(k))
      throw new Error(`schema ${at}: keyword '${k}' is not supported by schema-check`);
  }
  for (const [k, sub] of Object.entries(s.properties ?? {})) assertSupported(sub, `${at}/properties/${k}`);
  for (const [k, sub] of Object.entries(s.$defs ?? {})) assertSupported(sub, `${at}/$defs/${k}`);
  if (s.items) assertSupported(s.items, `${at}/items`);
  if (isDict(s.additionalProperties)) assertSupported(s.additionalProperties, `${at}/additionalProperties`);
  for (const [i, sub] of (s.oneOf ?? []).entries()) assertSupported(sub, `${at}/oneOf/${i}`);
}

function resolveRef(s: Schema, root: Schema): Schema {
  if (s.$ref === undefined) return s;
  const m = /^#\/\$defs\/([\w-]+)$/.exec(s.$ref);
  const target = m ? root.$defs?.[m[1]!] : undefined;
  if (!target) throw new Error(`schema: $ref ${s.$ref} is not a #/$defs/NAME of this schema`);
  return resolveRef(target, root);
}

function check(x: unknown, schema: Schema, root: Schema, path: DocPath, out: SchemaProblem[]): void {
  const s = resolveRef(schema, root);
  if (s.oneOf) {
    checkOneOf(x, s.oneOf, root, path, out);
    return;
  }
  if (s.type !== undefined) {
    const types = typeof s.type === 'string' ? [s.type] : s.type;
    if (!types.some((t) => typeMatches(x, t))) {
      out.push({
        path,
        message: `${types.map((t) => A_TYPE[t]).join(' or ')} is needed, not ${describeValue(x)}`,
      });
      return;
    }
  }
  if (s.const !== undefined && x !== s.const) {
    out.push({ path, message: `must be ${JSON.stringify(s.const)}` });
    return;
  }
  if (s.enum && !s.enum.includes(x)) {
    const near = typeof x === 'string' ? nearestKey(x, s.enum.map(String)) : undefined;
    out.push({
      path,
      message: `${describeValue(x)} is not one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}${near !== undefined ? ` (did you mean '${near}'?)` : ''}`,
    });
    return;
  }
  if (typeof x === 'number') {
    if (s.minimum !== undefined && x < s.minimum)
      out.push({ path, message: `${x} is below the minimum ${s.minimum}` });
    if (s.maximum !== undefined && x > s.maximum)
      out.push({ path, message: `${x} is above the maximum ${s.maximum}` });
    if (s.exclusiveMinimum !== undefined && x <= s.exclusiveMinimum) {
      out.push({ path, message: `${x} must be above ${s.exclusiveMinimum}` });
    }
  }
  if (typeof x === 'string') {
    if (s.minLength !== undefined && x.length < s.minLength) {
      out.push({ path, message: `at least ${s.minLength} character(s) are needed` });
    }
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(x)) {
      out.push({ path, message: `'${x}' does not match ${s.pattern}` });
    }
  }
  if (Array.isArray(x)) {
    if (s.minItems !== undefined && x.length < s.minItems) {
      out.push({ path, message: `at least ${s.minItems} item(s) are needed, not ${x.length}` });
    }
    if (s.maxItems !== undefined && x.length > s.maxItems) {
      out.push({ path, message: `at most ${s.maxItems} item(s) are allowed, not ${x.length}` });
    }
    if (s.items) for (const [i, v] of x.entries()) check(v, s.items, root, [...path, i], out);
  }
  if (isDict(x)) checkObject(x, s, root, path, out);
}

function checkObject(x: Dict, s: Schema, root: Schema, path: DocPath, out: SchemaProblem[]): void {
  const props = s.properties ?? {};
  const known = Object.keys(props);
  for (const [k, v] of Object.entries(x)) {
    const sub = props[k];
    if (sub) {
      check(v, sub, root, [...path, k], out);
      continue;
    }
    if (s.propertyNames && !new RegExp(s.propertyNames.pattern, 'u').test(k)) {
      out.push({
        path: [...path, k],
        atKey: true,
        message: `'${k}' is not a valid name (${s.propertyNames.pattern})`,
      });
      continue;
    }
    if (s.additionalProperties === false) {
      out.push({ path: [...path, k], atKey: true, message: unknownKeyMessage(k, known) });
    } else if (isDict(s.additionalProperties)) {
      check(v, s.additionalProperties, root, [...path, k], out);
    }
  }
  for (const r of s.required ?? []) {
    if (!(r in x)) out.push({ path, message: `'${r}' is required here` });
  }
}

/**
 * oneOf: exactly one branch must hold. When none does, the problems reported are those of the
 * branch the value most looks like: a branch of its type, and among mappings the one that knows
 * the most of its keys; with no such branch, the value is not any of the branches' kinds.
 */
function checkOneOf(
  x: unknown,
  branches: readonly Schema[],
  root: Schema,
  path: DocPath,
  out: SchemaProblem[],
): void {
  const results = branches.map((b) => {
    const p: SchemaProblem[] = [];
    check(x, b, root, path, p);
    return { b: resolveRef(b, root), p };
  });
  const passing = results.filter((r) => r.p.length === 0);
  if (passing.length === 1) return;
  if (passing.length > 1) {
    out.push({ path, message: `matches ${passing.length} of the allowed forms; it must match one` });
    return;
  }
  const ofType = results.filter((r) => {
    const types = r.b.type === undefined ? [] : typeof r.b.type === 'string' ? [r.b.type] : r.b.type;
    return types.some((t) => typeMatches(x, t));
  });
  if (ofType.length === 0) {
    const forms = branches.map((b) => formOf(resolveRef(b, root))).join('; or ');
    out.push({ path, message: `${describeValue(x)} is not allowed here: ${forms} is needed` });
    return;
  }
  if (isDict(x) && ofType.length > 1) {
    const keys = Object.keys(x);
    const score = (b: Schema) => keys.filter((k) => b.properties?.[k] !== undefined).length;
    const best = Math.max(...ofType.map((r) => score(r.b)));
    if (best === 0) {
      // None knows any of its keys: name the nearest key of any branch.
      const known = ofType.flatMap((r) => Object.keys(r.b.properties ?? {}));
      for (const k of keys)
        out.push({ path: [...path, k], atKey: true, message: unknownKeyMessage(k, known) });
      if (keys.length === 0) out.push({ path, message: `one of ${known.join(', ')} is needed` });
      return;
    }
    out.push(...ofType.find((r) => score(r.b) === best)!.p);
    return;
  }
  out.push(...ofType[0]!.p);
}

/** A short description of what a schema branch takes, for "not allowed here" messages. */
function formOf(s: Schema): string {
  if (s.description !== undefined && s.description.length <= 60) return s.description;
  const types = s.type === undefined ? [] : typeof s.type === 'string' ? [s.type] : s.type;
  if (types.includes('object') && s.properties) return `a mapping {${Object.keys(s.properties).join(', ')}}`;
  return types.map((t) => A_TYPE[t]).join(' or ') || 'a value';
}
