/**
 * The cgroups perf counts in (`perf stat -G <path>`): perf resolves <path> under the v1
 * perf_event hierarchy when it is mounted, else under the cgroup v2 mount (where perf_event is
 * always enabled, hybrid setups included). This module finds that mount, a process's cgroup in
 * it (a container's: through its main process), and makes one cgroup per instance for the
 * process runtime, moving the instance's process into it.
 *
 * Side effect, documented in docs/counters.md: an instance process moved into its own cgroup
 * leaves the cgroup it inherited in that hierarchy (only that one: v1 controllers stay as they
 * were); the cgroups are removed when the instances exit or the monitor stops.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CgroupMount, cgroupOf, controllerMount } from '../util/cgroup-hierarchy.js';
import { errnoCodeOf, messageOf } from '../util/message.js';

/** The hierarchy perf's -G resolves against. */
export type PerfCgroupMount = CgroupMount;

/** The hierarchy perf's -G resolves against, from /proc/self/mountinfo; undefined when none. */
export function perfCgroupMount(mountinfo?: string): PerfCgroupMount | undefined {
  return controllerMount('perf_event', mountinfo);
}

/**
 * The cgroup of a process in perf's hierarchy, relative to its mount (no leading /), from
 * /proc/<pid>/cgroup; undefined when the process is gone or not in that hierarchy.
 */
export function processCgroup(pid: number, mount: PerfCgroupMount, procCgroup?: string): string | undefined {
  return cgroupOf(pid, 'perf_event', mount, procCgroup);
}

/** A name usable as one cgroup folder: [A-Za-z0-9_.-], at most 100 characters. */
export function cgroupName(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  return clean === '' || clean === '.' || clean === '..' ? '_' : clean;
}

/**
 * The per-instance cgroups of one monitor: <mount>/<own cgroup>/faasload-perf-<pid>/<instance>.
 * Creating one needs write access there (root, or a delegated subtree); on cgroup v2, a cgroup
 * that holds processes and has controllers enabled for its children refuses new children with
 * processes (then usable() or adopt() fails and the monitor counts with perf stat -p).
 */
export class InstanceCgroups {
  readonly parent: string;
  private readonly made = new Set<string>();

  /** This process's own cgroup in the hierarchy (relative, '' for the root). */
  private readonly base: string;

  constructor(private readonly mount: PerfCgroupMount) {
    // Under this process's own cgroup, so that on a cgroup v2 machine the instances stay under
    // the limits faasload runs with (a systemd unit's, a container's).
    this.base = processCgroup(process.pid, mount) ?? '';
    this.parent = join(this.base, `faasload-perf-${process.pid}`).replace(/^\/+/, '');
  }

  /** Whether this machine lets us make cgroups here: tries to create (and keeps) the parent. */
  usable(): boolean {
    this.removeStale();
    try {
      mkdirSync(join(this.mount.path, this.parent), { recursive: true });
      readFileSync(join(this.mount.path, this.parent, 'cgroup.procs'), 'utf8');
      return true;
    } catch {
      return false;
    }
  }

  /** Makes the instance's cgroup and moves the process (all its threads) into it; its -G path. Throws on failure. */
  adopt(instanceId: string, pid: number): string {
    const rel = `${this.parent}/${cgroupName(instanceId)}`;
    mkdirSync(join(this.mount.path, rel), { recursive: true });
    this.made.add(rel);
    writeFileSync(join(this.mount.path, rel, 'cgroup.procs'), String(pid));
    return rel;
  }

  /**
   * Removes an instance's cgroup; processes still in it go back to this process's cgroup first.
   * Best effort: a cgroup that cannot be removed stays (named in the returned message).
   */
  release(rel: string): string | undefined {
    const dir = join(this.mount.path, rel);
    try {
      const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      for (const pid of pids) {
        try {
          writeFileSync(join(this.mount.path, this.base, 'cgroup.procs'), pid);
        } catch {
          // exited meanwhile
        }
      }
      rmdirSync(dir);
      this.made.delete(rel);
      return undefined;
    } catch (e) {
      if (errnoCodeOf(e) === 'ENOENT') {
        this.made.delete(rel);
        return undefined;
      }
      return `${dir}: ${messageOf(e)}`;
    }
  }

  /**
   * Removes the empty cgroups a crashed faasload left (faasload-perf-<pid> whose process is
   * gone). Best effort: a cgroup that still holds processes stays.
   */
  private removeStale(): void {
    let entries: string[];
    try {
      entries = readdirSync(join(this.mount.path, this.base));
    } catch {
      return;
    }
    for (const name of entries) {
      const m = /^faasload-perf-(\d+)$/.exec(name);
      if (!m || Number(m[1]) === process.pid || existsSync(`/proc/${m[1]}`)) continue;
      const dir = join(this.mount.path, this.base, name);
      try {
        for (const child of readdirSync(dir, { withFileTypes: true }))
          if (child.isDirectory()) rmdirSync(join(dir, child.name));
        rmdirSync(dir);
      } catch {
        // not empty (a process still in it) or not ours to remove: left as it is
      }
    }
  }

  /** Removes every cgroup made, then the parent; the messages of those that stay. */
  releaseAll(): string[] {
    const problems: string[] = [];
    for (const rel of [...this.made]) {
      const p = this.release(rel);
      if (p) problems.push(p);
    }
    try {
      rmdirSync(join(this.mount.path, this.parent));
    } catch (e) {
      if (errnoCodeOf(e) !== 'ENOENT')
        problems.push(`${join(this.mount.path, this.parent)}: ${messageOf(e)}`);
    }
    return problems;
  }
}
