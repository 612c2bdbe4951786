/**
 * `synthetic`: the trace function every replay deploys (src/workload/synthetic-action.ts), as a catalog
 * entry. Its code is reused as is: it takes no input and no seed, only the trace's duration and
 * memory.
 */
import { SYNTHETIC_ACTION_CODE, SYNTHETIC_ACTION_MAIN } from '../synthetic-action.js';
import type { CatalogEntry, CatalogFunctionSpec } from '../types.js';

export const SYNTHETIC_SPEC: CatalogFunctionSpec = {
  name: 'synthetic',
  description:
    "The trace function: touch memoryMb MiB of the instance's memory, then busy-compute until durationMs have passed",
  params: [
    {
      name: 'durationMs',
      type: 'number',
      default: 0,
      range: [0, 86400000],
      meaning: 'how long the call lasts, from its start, in ms (busy on one core)',
    },
    {
      name: 'memoryMb',
      type: 'number',
      default: 0,
      range: [0, 1048576],
      meaning: 'MiB written, one byte per 4 KiB page, and kept by the instance between calls',
    },
  ],
  input: {
    kind: 'none',
    format: 'no input',
    size: { unit: 'none', default: 0, range: [0, 0], meaning: 'no input: the size is always 0' },
  },
};

export const SYNTHETIC_ENTRY: CatalogEntry = {
  ...SYNTHETIC_SPEC,
  kind: 'nodejs:20',
  main: SYNTHETIC_ACTION_MAIN,
  code: SYNTHETIC_ACTION_CODE,
};
