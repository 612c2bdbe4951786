/**
 * The tables of the perf monitor: counters (perf's interval samples per instance) and
 * invocation_counters (per activation, the counter deltas over its execution window).
 */
import type { ColumnSpec } from './columns.js';

/** Bumped whenever a column of counters or invocation_counters is added, removed or changes meaning. */
export const PERF_SCHEMA_VERSION = '1';

const INSTANCE_ID: ColumnSpec = {
  name: 'instance_id',
  kind: 'utf8',
  nullable: false,
  doc: "the instance counted: faasload's instance id (invocations.instance_id), or an OpenWhisk invoker's container name",
};
const FUNCTION: ColumnSpec = {
  name: 'function',
  kind: 'utf8',
  nullable: true,
  doc: 'the function (action) the instance runs; null when the container names none',
};
const EVENT: ColumnSpec = {
  name: 'event',
  kind: 'utf8',
  nullable: false,
  doc: 'the perf event as given to --perf-events (e.g. task-clock, page-faults, cycles)',
};
const UNIT: ColumnSpec = {
  name: 'unit',
  kind: 'utf8',
  nullable: false,
  doc: "perf's unit for the event: msec for task-clock and cpu-clock (CPU time in ms), '' for counts",
};

/** counters: one row per instance, per supported event, per perf interval (--perf-interval). */
export const COUNTERS_COLUMNS: readonly ColumnSpec[] = [
  {
    name: 'time',
    kind: 'timestamp_us',
    nullable: false,
    doc: "the end of the interval (UTC): perf's start, estimated from when its lines arrived, plus perf's own interval time",
  },
  {
    name: 'interval_us',
    kind: 'int64',
    nullable: false,
    doc: 'the length of the interval this row counts, µs: the row covers (time - interval_us, time]',
  },
  INSTANCE_ID,
  {
    name: 'container_id',
    kind: 'utf8',
    nullable: true,
    doc: 'full 64-hex container id (docker runtime or any matched container); null for processes',
  },
  {
    name: 'pid',
    kind: 'int64',
    nullable: true,
    doc: "the instance's process id (process runtime); null for containers",
  },
  FUNCTION,
  {
    name: 'scope',
    kind: 'utf8',
    nullable: false,
    doc: "what perf counted: cgroup (every task of the instance's cgroup, children included) | pid (the process's threads, perf stat -p)",
  },
  EVENT,
  UNIT,
  {
    name: 'value',
    kind: 'float64',
    nullable: true,
    doc: 'the count in the interval, scaled for multiplexing (raw x enabled / running) as perf prints it; 0 when the instance did not run; null when the counter was multiplexed out for the whole interval',
  },
  {
    name: 'running_ns',
    kind: 'int64',
    nullable: false,
    doc: 'time the counter was on a PMU in the interval, ns (for cgroup counting: while the cgroup ran)',
  },
  {
    name: 'enabled_ns',
    kind: 'int64',
    nullable: false,
    doc: 'time the counter was enabled in the interval, ns; running_ns < enabled_ns means multiplexing',
  },
  {
    name: 'scaled',
    kind: 'bool',
    nullable: false,
    doc: 'true when running_ns < enabled_ns: value was extrapolated from part of the interval',
  },
];

/** invocation_counters: one row per activation per supported event, joined to invocations by activation_id. */
export const INVOCATION_COUNTERS_COLUMNS: readonly ColumnSpec[] = [
  {
    name: 'activation_id',
    kind: 'utf8',
    nullable: false,
    doc: 'the activation (invocations.activation_id)',
  },
  { ...INSTANCE_ID, doc: 'the instance that ran it (invocations.instance_id)' },
  FUNCTION,
  EVENT,
  UNIT,
  {
    name: 'value',
    kind: 'float64',
    nullable: false,
    doc: "the counter's delta over the execution window, scaled for multiplexing: the intervals inside it, and those it cuts at its ends shared with the other windows in them by their time there (an instance is idle between activations)",
  },
  {
    name: 'scaled',
    kind: 'bool',
    nullable: false,
    doc: 'true when an interval contributing to value was multiplexed (value partly extrapolated)',
  },
  {
    name: 'concurrent',
    kind: 'bool',
    nullable: false,
    doc: "true when the instance ran another activation during this one's window: the value counts both",
  },
  {
    name: 'window_start',
    kind: 'timestamp_us',
    nullable: false,
    doc: 'start of the execution window (UTC): ended_at - exec_ms when the platform reports exec_ms, else sent_at',
  },
  {
    name: 'window_end',
    kind: 'timestamp_us',
    nullable: false,
    doc: 'end of the execution window (UTC): invocations.ended_at',
  },
  {
    name: 'window_source',
    kind: 'utf8',
    nullable: false,
    doc: 'how the window was found: exec (ended_at - exec_ms) | client (sent_at to ended_at, waiting and cold start included)',
  },
  {
    name: 'intervals',
    kind: 'int32',
    nullable: false,
    doc: 'perf intervals the window touches; the error is the housekeeping in the two it cuts at its ends, at most',
  },
];

export const PERF_TABLES = {
  counters: COUNTERS_COLUMNS,
  invocation_counters: INVOCATION_COUNTERS_COLUMNS,
} as const satisfies Record<string, readonly ColumnSpec[]>;
