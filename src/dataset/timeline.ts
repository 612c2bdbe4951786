import type { ColumnSpec, RowOf } from './columns.js';

/** Bumped whenever a column is added, removed or changes meaning. */
export const TIMELINE_SCHEMA_VERSION = '1';

/** timeline: one row per second of the run, the live accounting of the dispatcher. */
export const TIMELINE_COLUMNS = [
  { name: 'second', kind: 'int64', nullable: false, doc: 'seconds since the run started' },
  { name: 'requested', kind: 'int64', nullable: false, doc: 'invocations planned in this second' },
  { name: 'sent', kind: 'int64', nullable: false, doc: 'invocations the dispatcher fired in this second' },
  { name: 'completed', kind: 'int64', nullable: false, doc: 'invocations that settled in this second' },
  { name: 'errors', kind: 'int64', nullable: false, doc: 'of those, errors and timeouts' },
  { name: 'dropped', kind: 'int64', nullable: false, doc: 'planned in this second and not sent (dropped)' },
  {
    name: 'lateness_p99_us',
    kind: 'int64',
    nullable: true,
    doc: "p99 of the dispatcher's lateness (fire time - planned time) in this second, µs (1% precision)",
  },
] as const satisfies readonly ColumnSpec[];

/** One row of timeline, typed from its schema. */
export type TimelineRow = RowOf<typeof TIMELINE_COLUMNS>;
