/**
 * The function catalog: every function faasload can deploy, each an OpenWhisk Node.js action
 * (POST /init {value: {name, main, code}}) that generates its own input from (seed, size) and
 * returns a small JSON object. `synthetic` is the trace function; the others do real work (image
 * pixels, compression, a JSON transform, hashing, matrix multiplication), in the spirit of
 * FaaSLoad's ETL actions.
 */
import { FaasloadError } from '../errors.js';
import { COMPRESS_ENTRY } from './functions/compress.js';
import { HASH_ENTRY } from './functions/hash.js';
import { IMAGE_ENTRY } from './functions/image.js';
import { JSON_ENTRY } from './functions/json.js';
import { MATMUL_ENTRY } from './functions/matmul.js';
import { SYNTHETIC_ENTRY } from './functions/synthetic.js';
import type { CatalogEntry, InputKind } from './types.js';

export const CATALOG: readonly CatalogEntry[] = Object.freeze([
  SYNTHETIC_ENTRY,
  IMAGE_ENTRY,
  COMPRESS_ENTRY,
  JSON_ENTRY,
  HASH_ENTRY,
  MATMUL_ENTRY,
]);

/**
 * The catalog function that makes each kind of input: a generation's user functions take their
 * inputs from its generator, with its size unit and range.
 */
export const INPUT_KIND_ENTRY: Readonly<Record<InputKind, CatalogEntry>> = Object.freeze({
  none: SYNTHETIC_ENTRY,
  image: IMAGE_ENTRY,
  text: COMPRESS_ENTRY,
  records: JSON_ENTRY,
  bytes: HASH_ENTRY,
  matrices: MATMUL_ENTRY,
});

/** The catalog's function names, in catalog order. */
export const CATALOG_NAMES: readonly string[] = Object.freeze(CATALOG.map((e) => e.name));

/** The entry named `name`, or undefined. */
export function findCatalogEntry(name: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.name === name);
}

/** The entry named `name`; throws E_USAGE naming the catalog's functions when there is none. */
export function catalogEntry(name: string): CatalogEntry {
  const entry = findCatalogEntry(name);
  if (entry === undefined) {
    throw new FaasloadError(
      'E_USAGE',
      `no function '${name}' in the catalog (it has ${CATALOG_NAMES.join(', ')})`,
    );
  }
  return entry;
}
