/** One sample's measures: the MEASURE_COLUMNS of schemas.ts, by name. null = not available. */
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

/** `key value` lines (cgroup *.stat files) into a map of numbers; other lines are ignored. */
export function keyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) out.set(line.slice(0, space), value);
  }
  return out;
}

/** The number after `key ` at the start of a line of a *.stat file, without splitting it all. */
export function statValue(text: string, key: string): number | null {
  const at = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `) + 1;
  if (at === 0 && !text.startsWith(`${key} `)) return null;
  const start = at + key.length + 1;
  const end = text.indexOf('\n', start);
  const value = Number(text.slice(start, end < 0 ? undefined : end));
  return Number.isFinite(value) ? value : null;
}

/** Whether an error means the file (so the container or process) is gone. */
export function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENODEV' || code === 'EINVAL';
}
