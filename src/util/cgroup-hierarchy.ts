/**
 * Where a cgroup controller's hierarchy is mounted and which cgroup of it a process is in, read
 * from /proc (mountinfo, <pid>/cgroup). Shared by the perf monitor (perf_event) and the process
 * runtime's memory limits (memory). v1: the controller's own hierarchy; v2: the unified one.
 */
import { readFileSync } from 'node:fs';

export interface CgroupMount {
  /** Where the hierarchy is mounted. */
  path: string;
  /** v1: the controller's own hierarchy; v2: the unified one. */
  version: 1 | 2;
}

/**
 * The hierarchy of `controller`: its v1 mount when there is one, else the cgroup v2 mount;
 * undefined when neither. `mountinfo` is /proc/self/mountinfo's text (read when not given).
 */
export function controllerMount(controller: string, mountinfo?: string): CgroupMount | undefined {
  let text = mountinfo;
  try {
    text ??= readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    // <id> <parent> <maj:min> <root> <mount point> <options> [optional...] - <fstype> <source> <super options>
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOptions] = right.split(' ');
    if (!mountPoint) continue;
    if (fstype === 'cgroup' && (superOptions ?? '').split(',').includes(controller))
      return { path: unescapeMount(mountPoint), version: 1 };
    if (fstype === 'cgroup2' && v2 === undefined) v2 = unescapeMount(mountPoint);
  }
  return v2 === undefined ? undefined : { path: v2, version: 2 };
}

function unescapeMount(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/**
 * The cgroup of a process in `controller`'s hierarchy (`mount`), relative to the mount (no
 * leading /), from /proc/<pid>/cgroup (or `procCgroup`, its text); undefined when the process is
 * gone or not in that hierarchy.
 */
export function cgroupOf(
  pid: number | 'self',
  controller: string,
  mount: CgroupMount,
  procCgroup?: string,
): string | undefined {
  let text = procCgroup;
  try {
    text ??= readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, hierarchy, controllers = '', path = ''] = m; // both groups always take part (maybe empty)
    const matches =
      mount.version === 2
        ? hierarchy === '0' && controllers === ''
        : controllers.split(',').includes(controller);
    if (matches) return path.replace(/^\//, '');
  }
  return undefined;
}
