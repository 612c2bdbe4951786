/**
 * One sample's measures: the MEASURE_COLUMNS of schemas.ts, by name. null = not available.
 * Readers (cgroup.ts, procfs.ts) set every field, so a monitor can pass the same object (its
 * table row for a target) to each read instead of allocating one per sample.
 */
import { errnoCodeOf } from '../util/message.js';

export interface Measures {
  source: 'cgroup-v1' | 'cgroup-v2' | 'stats' | 'proc';
  cpu_user_ns: number | null;
  cpu_system_ns: number | null;
  cpu_total_ns: number | null;
  memory_usage_bytes: number | null;
  memory_rss_bytes: number | null;
  memory_cache_bytes: number | null;
  memory_limit_bytes: number | null;
  pids: number | null;
  cpu_periods: number | null;
  cpu_throttled_periods: number | null;
  cpu_throttled_ns: number | null;
  io_read_bytes: number | null;
  io_write_bytes: number | null;
}

export function emptyMeasures(source: Measures['source']): Measures {
  return {
    source,
    cpu_user_ns: null,
    cpu_system_ns: null,
    cpu_total_ns: null,
    memory_usage_bytes: null,
    memory_rss_bytes: null,
    memory_cache_bytes: null,
    memory_limit_bytes: null,
    pids: null,
    cpu_periods: null,
    cpu_throttled_periods: null,
    cpu_throttled_ns: null,
    io_read_bytes: null,
    io_write_bytes: null,
  };
}

/** Whether an error means the file (so the container or process) is gone. */
export function isGone(e: unknown): boolean {
  const code = errnoCodeOf(e);
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENODEV' || code === 'EINVAL';
}
