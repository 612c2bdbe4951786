/**
 * The garbage collections of this thread over a stretch of time (a replay's run), from
 * perf_hooks' 'gc' entries: each pause of the dispatcher's thread delays the arrivals due
 * meanwhile, so the manifest says how many there were and how long. Entries are delivered
 * asynchronously (an observer's buffer): stop() takes the ones already delivered, so a collection
 * in the last milliseconds may be left out.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** DispatchFacts.gc: this thread's collections from time zero to the last invocation settled. */
export interface GcFact {
  /** Young-generation collections (scavenges). */
  scavenges: GcPauses;
  /** The others: mark-compact, incremental marking steps, weak callbacks. */
  other: GcPauses;
}

const none = (): GcPauses => ({ count: 0, totalMs: 0, maxMs: 0 });
const round = (ms: number) => Math.round(ms * 100) / 100;

/** Starts counting this thread's collections; stop() ends it and returns them. */
export function watchGc(): { stop(): GcFact } {
  const fact: GcFact = { scavenges: none(), other: none() };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail: unknown = 'detail' in entry ? entry.detail : undefined;
      const kind =
        typeof detail === 'object' && detail !== null && 'kind' in detail ? detail.kind : undefined;
      const pauses = kind === constants.NODE_PERFORMANCE_GC_MINOR ? fact.scavenges : fact.other;
      pauses.count++;
      pauses.totalMs += entry.duration;
      if (entry.duration > pauses.maxMs) pauses.maxMs = entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      observer.disconnect();
      for (const p of [fact.scavenges, fact.other]) {
        p.totalMs = round(p.totalMs);
        p.maxMs = round(p.maxMs);
      }
      return fact;
    },
  };
}
