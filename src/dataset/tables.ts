import type { ColumnSpec } from './columns.js';
import { INVOCATIONS_COLUMNS, INVOCATIONS_SCHEMA_VERSION } from './invocations.js';
import { TIMELINE_COLUMNS, TIMELINE_SCHEMA_VERSION } from './timeline.js';

/** A table faasload writes: its schema, defined once, and versioned. */
export interface TableDefinition {
  name: string;
  /** Bumped whenever a column is added, removed or changes meaning. */
  version: string;
  /** What one row is. */
  doc: string;
  columns: readonly ColumnSpec[];
}

/**
 * Every table of a run folder. docs/datasets.md is generated from this list
 * (scripts/datasets-doc.ts) and a test fails when the two differ.
 */
export const TABLES: readonly TableDefinition[] = [
  {
    name: 'invocations',
    version: INVOCATIONS_SCHEMA_VERSION,
    doc: 'One row per planned invocation, dropped and cancelled ones included, so that planned = rows.',
    columns: INVOCATIONS_COLUMNS,
  },
  {
    name: 'timeline',
    version: TIMELINE_SCHEMA_VERSION,
    doc: "One row per second of the run: the dispatcher's live accounting.",
    columns: TIMELINE_COLUMNS,
  },
];

export function tableDefinition(name: string): TableDefinition | undefined {
  return TABLES.find((t) => t.name === name);
}

/** Key/value metadata keys written into every table's schema and Parquet footer. */
export const METADATA_KEYS = {
  schemaVersion: 'faasload.schema_version',
  runId: 'faasload.run_id',
  table: 'faasload.table',
} as const;
