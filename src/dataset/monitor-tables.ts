/**
 * The monitors' tables, defined in one place. Every sample is joinable to invocations through
 * instance_id (invocations.instance_id) and time (between sent_at and ended_at).
 *
 * Counters (CPU time, block I/O, throttling, network, disk) are cumulative since the container,
 * process or host started: a rate is the difference of two rows over the difference of their
 * times. Gauges (memory, pids, load) are the value at `time`.
 */
import type { ColumnSpec } from './columns.js';

/** Bumped whenever a column of any monitor table is added, removed or changes meaning. */
export const MONITOR_SCHEMA_VERSION = '1';

/** Which faasload instance and function a container runs: in container_events and container_samples. */
const CONTAINER_INSTANCE_ID: ColumnSpec = {
  name: 'instance_id',
  kind: 'utf8',
  nullable: true,
  doc: "faasload's instance id (label faasload.instance); an OpenWhisk invoker's container name; null when unmatched",
};
const CONTAINER_FUNCTION: ColumnSpec = {
  name: 'function',
  kind: 'utf8',
  nullable: true,
  doc: 'function (action) name: label faasload.function, or parsed from an OpenWhisk container name (namespace_action)',
};
const CONTAINER_MATCHED_BY: ColumnSpec = {
  name: 'matched_by',
  kind: 'utf8',
  nullable: true,
  doc: 'how instance_id and function were found: label (faasload) | openwhisk-name | null (another container)',
};

/** container_events: one row per lifecycle event the Docker engine reported. */
export const CONTAINER_EVENTS_COLUMNS: readonly ColumnSpec[] = [
  {
    name: 'time',
    kind: 'timestamp_us',
    nullable: false,
    doc: 'when the engine says it happened (UTC), its timeNano truncated to the microsecond',
  },
  {
    name: 'time_ns_frac',
    kind: 'int32',
    nullable: false,
    doc: 'the nanoseconds of timeNano past `time` (0-999): time + time_ns_frac ns is exact',
  },
  { name: 'container_id', kind: 'utf8', nullable: false, doc: 'full 64-hex container id' },
  { name: 'container_name', kind: 'utf8', nullable: true, doc: 'container name, without the leading /' },
  CONTAINER_INSTANCE_ID,
  CONTAINER_FUNCTION,
  CONTAINER_MATCHED_BY,
  {
    name: 'event',
    kind: 'utf8',
    nullable: false,
    doc: 'create | start | pause | unpause | kill | stop | die | oom | destroy (other engine actions as the engine names them)',
  },
  {
    name: 'exit_code',
    kind: 'int32',
    nullable: true,
    doc: 'die: the exit code (137 = SIGKILL, e.g. an OOM kill); null for other events',
  },
  {
    name: 'signal',
    kind: 'utf8',
    nullable: true,
    doc: 'kill: the signal number sent, as the engine reports it; null for other events',
  },
];

/** The measures of one sample, shared by container_samples and process_samples. */
export const MEASURE_COLUMNS: readonly ColumnSpec[] = [
  {
    name: 'source',
    kind: 'utf8',
    nullable: false,
    doc: 'where the values come from: cgroup-v1 | cgroup-v2 | stats (Docker stats stream, about 1 s old at most) | proc',
  },
  { name: 'cpu_user_ns', kind: 'int64', nullable: true, doc: 'CPU time in user mode, cumulative, ns' },
  { name: 'cpu_system_ns', kind: 'int64', nullable: true, doc: 'CPU time in kernel mode, cumulative, ns' },
  {
    name: 'cpu_total_ns',
    kind: 'int64',
    nullable: true,
    doc: 'CPU time, cumulative, ns (cgroup: cpuacct.usage / usage_usec, exact; proc: user + system, 10 ms ticks)',
  },
  {
    name: 'memory_usage_bytes',
    kind: 'int64',
    nullable: true,
    doc: 'memory in use: cgroup memory.usage_in_bytes / memory.current (page cache included); proc: resident set (statm)',
  },
  {
    name: 'memory_rss_bytes',
    kind: 'int64',
    nullable: true,
    doc: 'anonymous memory: cgroup v1 rss, v2 anon; proc: resident - shared (statm)',
  },
  {
    name: 'memory_cache_bytes',
    kind: 'int64',
    nullable: true,
    doc: 'file-backed memory: cgroup v1 cache, v2 file; proc: shared resident pages, file-backed and shmem (statm)',
  },
  {
    name: 'memory_limit_bytes',
    kind: 'int64',
    nullable: true,
    doc: 'memory limit (null when unlimited, and for processes)',
  },
  {
    name: 'pids',
    kind: 'int64',
    nullable: true,
    doc: 'tasks (threads included): cgroup pids.current; proc: Threads',
  },
  {
    name: 'cpu_periods',
    kind: 'int64',
    nullable: true,
    doc: 'CFS enforcement periods elapsed, cumulative (0 without a CPU quota; null for processes)',
  },
  {
    name: 'cpu_throttled_periods',
    kind: 'int64',
    nullable: true,
    doc: 'periods in which the quota ran out, cumulative (null for processes)',
  },
  {
    name: 'cpu_throttled_ns',
    kind: 'int64',
    nullable: true,
    doc: 'time throttled, cumulative, ns (null for processes)',
  },
  {
    name: 'io_read_bytes',
    kind: 'int64',
    nullable: true,
    doc: 'block I/O read, cumulative, bytes (cgroup blkio / io.stat; proc: io read_bytes)',
  },
  {
    name: 'io_write_bytes',
    kind: 'int64',
    nullable: true,
    doc: 'block I/O written, cumulative, bytes (cgroup blkio / io.stat; proc: io write_bytes)',
  },
];

const SAMPLE_TIME: ColumnSpec = {
  name: 'time',
  kind: 'timestamp_us',
  nullable: false,
  doc: 'when the values were read (UTC)',
};
const TICK_LATE: ColumnSpec = {
  name: 'tick_late_us',
  kind: 'int64',
  nullable: false,
  doc: "how late the sampling tick started after its planned time (the sampler's jitter), µs",
};

/** container_samples: one row per live container per --sample-interval. */
export const CONTAINER_SAMPLES_COLUMNS: readonly ColumnSpec[] = [
  SAMPLE_TIME,
  TICK_LATE,
  { name: 'container_id', kind: 'utf8', nullable: false, doc: 'full 64-hex container id' },
  { name: 'container_name', kind: 'utf8', nullable: true, doc: 'container name, without the leading /' },
  CONTAINER_INSTANCE_ID,
  CONTAINER_FUNCTION,
  CONTAINER_MATCHED_BY,
  ...MEASURE_COLUMNS,
];

/** process_samples: one row per live instance process (process runtime) per --sample-interval. */
export const PROCESS_SAMPLES_COLUMNS: readonly ColumnSpec[] = [
  SAMPLE_TIME,
  TICK_LATE,
  { name: 'pid', kind: 'int64', nullable: false, doc: "the instance's process id" },
  {
    name: 'instance_id',
    kind: 'utf8',
    nullable: false,
    doc: "faasload's instance id (invocations.instance_id)",
  },
  { name: 'function', kind: 'utf8', nullable: false, doc: 'the function (action) name the instance runs' },
  ...MEASURE_COLUMNS,
];

/** host_samples: one row per host interval (1 s by default), from /proc. */
export const HOST_SAMPLES_COLUMNS: readonly ColumnSpec[] = [
  SAMPLE_TIME,
  TICK_LATE,
  ...(['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const).map(
    (state): ColumnSpec => ({
      name: `cpu_${state}_ms`,
      kind: 'int64',
      nullable: false,
      doc: `CPU time in state ${state}, all cores, cumulative since boot, ms (/proc/stat, 10 ms ticks)`,
    }),
  ),
  { name: 'cpus', kind: 'int32', nullable: false, doc: 'CPUs counted in /proc/stat' },
  { name: 'mem_total_bytes', kind: 'int64', nullable: false, doc: 'MemTotal (/proc/meminfo)' },
  { name: 'mem_free_bytes', kind: 'int64', nullable: false, doc: 'MemFree' },
  { name: 'mem_available_bytes', kind: 'int64', nullable: true, doc: 'MemAvailable' },
  { name: 'mem_buffers_bytes', kind: 'int64', nullable: true, doc: 'Buffers' },
  { name: 'mem_cached_bytes', kind: 'int64', nullable: true, doc: 'Cached' },
  { name: 'swap_used_bytes', kind: 'int64', nullable: true, doc: 'SwapTotal - SwapFree' },
  { name: 'load1', kind: 'float64', nullable: false, doc: 'load average over 1 minute (/proc/loadavg)' },
  { name: 'load5', kind: 'float64', nullable: false, doc: 'load average over 5 minutes' },
  { name: 'load15', kind: 'float64', nullable: false, doc: 'load average over 15 minutes' },
  { name: 'procs_running', kind: 'int64', nullable: false, doc: 'runnable tasks now (/proc/loadavg)' },
  {
    name: 'net_rx_bytes',
    kind: 'int64',
    nullable: false,
    doc: 'bytes received, all interfaces with loopback, cumulative (/proc/net/dev)',
  },
  {
    name: 'net_tx_bytes',
    kind: 'int64',
    nullable: false,
    doc: 'bytes sent, all interfaces with loopback, cumulative',
  },
  { name: 'net_rx_packets', kind: 'int64', nullable: false, doc: 'packets received, cumulative' },
  { name: 'net_tx_packets', kind: 'int64', nullable: false, doc: 'packets sent, cumulative' },
  {
    name: 'disk_read_bytes',
    kind: 'int64',
    nullable: false,
    doc: 'bytes read from whole disks (not partitions, loop or ram devices), cumulative (/proc/diskstats, 512-byte sectors)',
  },
  {
    name: 'disk_write_bytes',
    kind: 'int64',
    nullable: false,
    doc: 'bytes written to whole disks, cumulative',
  },
  { name: 'disk_reads', kind: 'int64', nullable: false, doc: 'reads completed, cumulative' },
  { name: 'disk_writes', kind: 'int64', nullable: false, doc: 'writes completed, cumulative' },
];

/** metrics: one row per Prometheus sample scraped (a long table). */
export const METRICS_COLUMNS: readonly ColumnSpec[] = [
  { name: 'time', kind: 'timestamp_us', nullable: false, doc: 'when the scrape answered (UTC)' },
  { name: 'endpoint', kind: 'utf8', nullable: false, doc: 'the URL scraped (credentials removed)' },
  {
    name: 'metric',
    kind: 'utf8',
    nullable: false,
    doc: 'the sample name as exposed (histograms: name_bucket, name_sum, name_count)',
  },
  {
    name: 'labels',
    kind: 'utf8',
    nullable: false,
    doc: 'the labels as a JSON object with sorted keys, values unescaped ({} when none)',
  },
  { name: 'value', kind: 'float64', nullable: false, doc: 'the value (NaN, +Inf and -Inf kept)' },
  {
    name: 'type',
    kind: 'utf8',
    nullable: false,
    doc: "the family's # TYPE: counter | gauge | histogram | summary | untyped (no TYPE line)",
  },
  {
    name: 'exposed_at',
    kind: 'timestamp_us',
    nullable: true,
    doc: "the sample's own timestamp in the exposition, when it has one (UTC)",
  },
];

/** Every monitor table, by name, for docs and the manifest. */
export const MONITOR_TABLES = {
  container_events: CONTAINER_EVENTS_COLUMNS,
  container_samples: CONTAINER_SAMPLES_COLUMNS,
  process_samples: PROCESS_SAMPLES_COLUMNS,
  host_samples: HOST_SAMPLES_COLUMNS,
  metrics: METRICS_COLUMNS,
} as const satisfies Record<string, readonly ColumnSpec[]>;

export type MonitorTableName = keyof typeof MONITOR_TABLES;
