/** Builds a catalog entry from a function's spec and its main: prelude + spec as data + main. */
import { PRELUDE_JS } from './prelude.js';
import type { CatalogEntry, CatalogFunctionSpec } from './types.js';

/** The name of the function that every generated action defines. */
export const ACTION_MAIN = 'main';

/**
 * `mainJs` defines `function main(value)` and may use the prelude's functions and `SPEC` (the
 * spec, embedded as a JSON literal so that the action checks its parameters with the same rules
 * as the host).
 */
export function defineEntry(spec: CatalogFunctionSpec, mainJs: string): CatalogEntry {
  return {
    ...spec,
    kind: 'nodejs:20',
    main: ACTION_MAIN,
    code: `${PRELUDE_JS}\nconst SPEC = ${JSON.stringify(spec)};\n\n${mainJs}`,
  };
}
