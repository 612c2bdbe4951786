/** The function catalog: deployable functions, their parameters, and their generated inputs. */

export { CATALOG, CATALOG_NAMES, catalogEntry, findCatalogEntry } from './catalog.js';
export { ACTION_MAIN } from './entry.js';
export { COMPRESS_SPEC } from './functions/compress.js';
export { HASH_SPEC } from './functions/hash.js';
export { IMAGE_SPEC } from './functions/image.js';
export { JSON_SPEC } from './functions/json.js';
export { MATMUL_SPEC } from './functions/matmul.js';
export { SYNTHETIC_SPEC } from './functions/synthetic.js';
export {
  actionValue,
  inputBytes,
  makeInput,
  type ParamInput,
  parseInputId,
  resolveParams,
} from './inputs.js';
export type * from './types.js';
