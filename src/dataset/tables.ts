import { EXECUTIONS_COLUMNS, EXECUTIONS_SCHEMA_VERSION } from '../generate/table.js';
import type { ColumnSpec } from './columns.js';
import { INSTANCE_EVENTS_COLUMNS, INSTANCE_EVENTS_SCHEMA_VERSION } from './instance-events.js';
import { INVOCATIONS_COLUMNS, INVOCATIONS_SCHEMA_VERSION } from './invocations.js';
import { MONITOR_SCHEMA_VERSION, MONITOR_TABLES } from './monitor-tables.js';
import { PERF_SCHEMA_VERSION, PERF_TABLES } from './perf-tables.js';
import { TIMELINE_COLUMNS, TIMELINE_SCHEMA_VERSION } from './timeline.js';
import { WORKFLOW_STEPS_COLUMNS, WORKFLOW_STEPS_SCHEMA_VERSION } from './workflow-steps.js';

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
 * (`npm run docs:datasets`, src/dataset/doc.ts) and a test fails when the two differ.
 */
export const TABLES: readonly TableDefinition[] = [
  {
    name: 'invocations',
    version: INVOCATIONS_SCHEMA_VERSION,
    doc: 'One row per planned invocation, dropped and cancelled ones included, so that planned = rows.',
    columns: INVOCATIONS_COLUMNS,
  },
  {
    name: 'instance_events',
    version: INSTANCE_EVENTS_SCHEMA_VERSION,
    doc: "One row per lifecycle event of an embedded platform's instance: started, evicted for room, keep-alive expired, crashed, discarded, teardown, with the reason.",
    columns: INSTANCE_EVENTS_COLUMNS,
  },
  {
    name: 'workflow_steps',
    version: WORKFLOW_STEPS_SCHEMA_VERSION,
    doc: 'One row per planned step of every planned workflow (--dag, --dag-shape), joined to invocations by workflow_id = seq.',
    columns: WORKFLOW_STEPS_COLUMNS,
  },
  {
    name: 'timeline',
    version: TIMELINE_SCHEMA_VERSION,
    doc: "One row per second of the run: the dispatcher's live accounting.",
    columns: TIMELINE_COLUMNS,
  },
  ...(
    [
      ['container_events', 'One row per lifecycle event of a container on the host (--monitor container).'],
      [
        'container_samples',
        "One row per container and sample interval: its cgroup's CPU, memory, pids, I/O.",
      ],
      [
        'process_samples',
        "One row per instance process and sample interval, from /proc (the process runtime's instances).",
      ],
      [
        'host_samples',
        'One row per host sample (1 s by default): CPU by state, memory, load, network and disk.',
      ],
      ['metrics', 'One row per scraped Prometheus sample (--scrape): metric, labels, value.'],
    ] as const
  ).map(([name, doc]) => ({ name, version: MONITOR_SCHEMA_VERSION, doc, columns: MONITOR_TABLES[name] })),
  {
    name: 'counters',
    version: PERF_SCHEMA_VERSION,
    doc: 'One row per instance, perf event and interval (--monitor perf).',
    columns: PERF_TABLES.counters,
  },
  {
    name: 'invocation_counters',
    version: PERF_SCHEMA_VERSION,
    doc: "One row per activation and perf event: the counter's delta over its execution.",
    columns: PERF_TABLES.invocation_counters,
  },
  {
    name: 'executions',
    version: EXECUTIONS_SCHEMA_VERSION,
    doc: 'faasload generate: one row per execution (executions/part-NNNN.parquet, one part per session).',
    columns: EXECUTIONS_COLUMNS,
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
