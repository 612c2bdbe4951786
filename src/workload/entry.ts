/** Builds a catalog entry from a function's spec and its main: prelude + spec as data + main. */
import { PRELUDE_JS } from './prelude.js';
import type { CatalogEntry, CatalogFunctionSpec } from './types.js';

/** The name of the function that every generated action defines. */
export const ACTION_MAIN = 'main';

/**
 * Wraps main so that every result says what the call cost the instance: CPU time (user and
 * system, microseconds, from process.cpuUsage over the call: exact when the instance runs one
 * activation at a time) and memory (resident set after the call, and the process's peak).
 */
const MEASURED = `{
  const inner = main;
  main = async function measured(value) {
    const cpu0 = process.cpuUsage();
    const result = await inner(value);
    const cpu = process.cpuUsage(cpu0);
    result.usage = {
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: process.memoryUsage.rss(),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    return result;
  };
}`;

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
    code: `${PRELUDE_JS}\nconst SPEC = ${JSON.stringify(spec)};\n\n${mainJs}\n${MEASURED}`,
  };
}
