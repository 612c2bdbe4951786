/**
 * workflow_steps: one row per planned step of every planned workflow (--dag, --dag-shape), joined
 * to invocations by workflow_id = the workflow's seq (rows: src/workflow/steps-table.ts).
 */
import type { ColumnSpec } from './columns.js';

/** Bumped whenever a column is added, removed or changes meaning. */
export const WORKFLOW_STEPS_SCHEMA_VERSION = '1';

export const WORKFLOW_STEPS_COLUMNS: readonly ColumnSpec[] = [
  { name: 'workflow_id', kind: 'int64', nullable: false, doc: "the workflow's invocation: invocations.seq" },
  { name: 'function', kind: 'utf8', nullable: false, doc: "the trace's function id the workflow stands for" },
  { name: 'step', kind: 'int32', nullable: false, doc: 'step index in the workflow, 0 = the entry' },
  { name: 'branch', kind: 'int32', nullable: false, doc: 'parallel branch, -1 = the entry' },
  {
    name: 'level',
    kind: 'int32',
    nullable: false,
    doc: 'depth of the step: 0 = the entry, 1.. along its branch',
  },
  { name: 'width', kind: 'int32', nullable: false, doc: "the workflow's width (parallel branches)" },
  { name: 'depth', kind: 'int32', nullable: false, doc: "the workflow's depth (steps on its longest path)" },
  { name: 'target', kind: 'utf8', nullable: false, doc: "the step's action on the platform" },
  {
    name: 'outcome',
    kind: 'utf8',
    nullable: false,
    doc: 'ok | error | timeout | not_run (an earlier step failed) | dropped | cancelled (the workflow was not sent)',
  },
  {
    name: 'started_at',
    kind: 'timestamp_us',
    nullable: true,
    doc: "when the step started (UTC): the platform's activation start for a step inside a sequence, else when it was sent",
  },
  {
    name: 'ended_at',
    kind: 'timestamp_us',
    nullable: true,
    doc: "when the step ended (UTC): the platform's activation end inside a sequence, else when its answer was complete",
  },
  { name: 'cold_start', kind: 'bool', nullable: true, doc: 'the platform started an instance for the step' },
  { name: 'wait_ms', kind: 'float64', nullable: true, doc: 'platform-reported queueing time, ms' },
  { name: 'init_ms', kind: 'float64', nullable: true, doc: 'platform-reported init time (cold starts), ms' },
  { name: 'exec_ms', kind: 'float64', nullable: true, doc: 'platform-reported execution time, ms' },
  { name: 'activation_id', kind: 'utf8', nullable: true, doc: "the step's activation id", encoding: 'plain' },
  { name: 'error', kind: 'utf8', nullable: true, doc: 'what went wrong, when outcome is not ok' },
];
