/**
 * What one idle instance of the embedded platform costs the host, read from the kernel:
 * - a process instance: its node's /proc/<pid>/smaps_rollup (Rss; Pss, which splits the pages it
 *   shares, the node binary's text above all, among the processes that map them; Pss_Anon);
 * - a container: its memory cgroup's charge (memory.usage_in_bytes or memory.current, page cache
 *   included: with vfs storage each container has its own copy of node, whose pages are cached
 *   and charged once per container) and the PSS of its node process (found by `docker inspect`).
 * Read synchronously; a process that is gone reads as undefined.
 */
import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { CgroupReader } from '../../src/monitor/cgroup.js';

export interface ProcessFootprint {
  rssKb: number;
  pssKb: number;
  pssAnonKb: number;
}

/** smaps_rollup's Rss, Pss and Pss_Anon of a process, in kB; undefined when it cannot be read. */
export function processFootprint(pid: number): ProcessFootprint | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  const f = { rssKb: kb('Rss'), pssKb: kb('Pss'), pssAnonKb: kb('Pss_Anon') };
  return Number.isFinite(f.pssKb) ? f : undefined;
}

export interface ContainerFootprint {
  /** The cgroup's charge: anonymous memory and page cache (kB). */
  chargeKb: number;
  /** memory.stat's anonymous part (rss on v1, anon on v2), kB; undefined when not read. */
  anonKb: number | undefined;
  /** The container's node process, as processFootprint() reads it. */
  node: ProcessFootprint | undefined;
}

/** The memory cgroup charge and the node process of a running container; undefined if either is gone. */
export async function containerFootprint(
  docker: Dockerode,
  containerId: string,
): Promise<ContainerFootprint | undefined> {
  const info = (await docker.getContainer(containerId).inspect()) as { State?: { Pid?: number } };
  const pid = info.State?.Pid;
  const reader = CgroupReader.open(containerId, pid);
  if (!reader) return undefined;
  try {
    const m = reader.read();
    if (m.memory_usage_bytes === null) return undefined;
    return {
      chargeKb: m.memory_usage_bytes / 1024,
      anonKb: m.memory_rss_bytes === null ? undefined : m.memory_rss_bytes / 1024,
      node: pid ? processFootprint(pid) : undefined,
    };
  } finally {
    reader.close();
  }
}
