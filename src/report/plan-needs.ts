import type { ArrivalBatch, Schedule } from '../schedule/types.js';

/**
 * What a plan needs of the platform that runs it, computed before it is fired, from its arrivals
 * and requested durations only (a demand, not a simulation of any capacity rule):
 *
 * - cores of function work: the requested durations of the arrivals of each window of run time
 *   (windowS, 1 minute by default, aligned on time 0) summed, over the window's length; a
 *   duration counts in its arrival's window. Plans shorter than a window divide by their span
 *   (1 s at least). Arrivals without a duration count 0 (`withoutDuration` says how many).
 * - instances and memory under the keep-alive: each arrival takes an idle instance of its
 *   function if one is free (its last invocation ended) and has not expired (idle less than the
 *   keep-alive), the most recently used first, as the embedded platform does; else a new
 *   instance starts (a cold start). One activation per instance; start and init time are not
 *   modelled (an instance is busy from the arrival for the requested duration). Memory is the sum
 *   of the limits (limitMb, the platform's size class) of the instances alive at once, idle ones
 *   included: nothing is evicted to make room.
 * - cold starts per second of run time.
 *
 * Memory: a few numbers per instance started (cold start) and per second of the span.
 */
export interface PlanNeeds {
  invocations: number;
  /** Run time covered, seconds (after --speed). */
  spanS: number;
  /** The busiest window's requested durations over its length, and the window's start (s). */
  peakCores: number;
  peakCoresAtS: number;
  /** Every requested duration over the span. */
  meanCores: number;
  /** Arrivals without a requested duration (counted as no work). */
  withoutDuration: number;
  /** Instances alive at once (busy or idle within the keep-alive), at most, and when first (s). */
  peakInstances: number;
  peakInstancesAtS: number;
  /** Sum of the memory limits of those instances at most, MB, and when first (s). */
  peakMemoryMb: number;
  peakMemoryAtS: number;
  coldStarts: number;
  /** The most cold starts in one second [k, k + 1) of run time, and k. */
  peakColdStartsPerS: number;
  peakColdStartsAtS: number;
}

export interface PlanNeedsOptions {
  /** Run time covered, µs (Schedule.spanUs). */
  spanUs: number;
  /** Per function (Schedule.functions index): the memory limit of its instances, MB. */
  limitMb: ArrayLike<number>;
  /** How long an idle instance stays alive, ms (Infinity: forever). */
  keepAliveMs: number;
  /** The window that cores are averaged over, s. Default 60. */
  windowS?: number;
}

export const PLAN_NEEDS_WINDOW_S = 60;

/** A binary min-heap of ids keyed by a number. */
class MinHeap {
  private readonly keys: number[] = [];
  private readonly ids: number[] = [];
  get size(): number {
    return this.ids.length;
  }
  peekKey(): number {
    return this.keys[0] ?? Number.POSITIVE_INFINITY;
  }
  push(key: number, id: number): void {
    const { keys, ids } = this;
    let i = keys.length;
    keys.push(key);
    ids.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! <= key) break;
      keys[i] = keys[p]!;
      ids[i] = ids[p]!;
      i = p;
    }
    keys[i] = key;
    ids[i] = id;
  }
  pop(): number {
    const { keys, ids } = this;
    const top = ids[0]!;
    const lastKey = keys.pop()!;
    const lastId = ids.pop()!;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && keys[c + 1]! < keys[c]!) c++;
        if (keys[c]! >= lastKey) break;
        keys[i] = keys[c]!;
        ids[i] = ids[c]!;
        i = c;
      }
      keys[i] = lastKey;
      ids[i] = lastId;
    }
    return top;
  }
}

/** Accumulates a plan's needs batch by batch, in plan order (ascending atUs). */
export class PlanNeedsCounter {
  private readonly windowS: number;
  private readonly keepAliveUs: number;
  /** Requested ms per window. */
  private readonly workMs: Float64Array;
  private readonly coldPerS: Uint32Array;
  private invocations = 0;
  private withoutDuration = 0;
  private totalWorkMs = 0;
  // Instances: when their current invocation ends, when they expire, their function, alive.
  private readonly endUs: number[] = [];
  private readonly fnOf: number[] = [];
  private readonly alive: boolean[] = [];
  /** Per function: busy instances by end time, and idle ones (most recently freed on top). */
  private readonly busy = new Map<number, MinHeap>();
  private readonly idle = new Map<number, number[]>();
  /** Every live instance once, by the time it expires if not used again (re-keyed when it was). */
  private readonly expiry = new MinHeap();
  private liveInstances = 0;
  private liveMemoryMb = 0;
  private peak = { instances: 0, instancesAtUs: 0, memoryMb: 0, memoryAtUs: 0 };

  constructor(private readonly o: PlanNeedsOptions) {
    this.windowS = o.windowS ?? PLAN_NEEDS_WINDOW_S;
    this.keepAliveUs = o.keepAliveMs * 1000;
    const spanS = Math.max(0, o.spanUs) / 1e6;
    this.workMs = new Float64Array(Math.max(1, Math.ceil(spanS / this.windowS)));
    this.coldPerS = new Uint32Array(Math.max(1, Math.ceil(spanS)));
  }

  add(b: ArrivalBatch): void {
    const lastWindow = this.workMs.length - 1;
    const lastS = this.coldPerS.length - 1;
    for (let i = 0; i < b.length; i++) {
      const atUs = b.atUs[i]!;
      const d = b.durationMs[i]!;
      const durationMs = Number.isFinite(d) && d > 0 ? d : 0;
      if (Number.isNaN(d)) this.withoutDuration++;
      this.workMs[Math.min(lastWindow, Math.floor(atUs / 1e6 / this.windowS))]! += durationMs;
      this.totalWorkMs += durationMs;
      if (this.place(b.fn[i]!, atUs, atUs + durationMs * 1000))
        this.coldPerS[Math.min(lastS, Math.floor(atUs / 1e6))]!++;
    }
    this.invocations += b.length;
  }

  /** Runs one arrival on an instance; true if it needed a new one (a cold start). */
  private place(fn: number, atUs: number, endUs: number): boolean {
    this.expire(atUs);
    let busy = this.busy.get(fn);
    if (!busy) {
      busy = new MinHeap();
      this.busy.set(fn, busy);
    }
    let idle = this.idle.get(fn);
    if (!idle) {
      idle = [];
      this.idle.set(fn, idle);
    }
    // Instances whose invocation has ended are idle, in the order they ended.
    while (busy.peekKey() <= atUs) idle.push(busy.pop());
    let id: number | undefined;
    while (idle.length > 0) {
      const top = idle.pop()!;
      if (this.alive[top]) {
        id = top;
        break;
      }
    }
    const cold = id === undefined;
    if (id === undefined) {
      id = this.endUs.length;
      this.fnOf.push(fn);
      this.alive.push(true);
      this.endUs.push(endUs);
      this.expiry.push(endUs + this.keepAliveUs, id);
      this.liveInstances++;
      this.liveMemoryMb += this.limitOf(fn);
      if (this.liveInstances > this.peak.instances) {
        this.peak.instances = this.liveInstances;
        this.peak.instancesAtUs = atUs;
      }
      if (this.liveMemoryMb > this.peak.memoryMb) {
        this.peak.memoryMb = this.liveMemoryMb;
        this.peak.memoryAtUs = atUs;
      }
    } else this.endUs[id] = endUs;
    busy.push(endUs, id);
    return cold;
  }

  private limitOf(fn: number): number {
    const mb = this.o.limitMb[fn];
    return mb !== undefined && mb > 0 ? mb : 0;
  }

  /** Instances idle for the keep-alive by `atUs` are gone. */
  private expire(atUs: number): void {
    const { expiry } = this;
    while (expiry.peekKey() <= atUs) {
      const key = expiry.peekKey();
      const id = expiry.pop();
      const expiresUs = this.endUs[id]! + this.keepAliveUs;
      if (expiresUs > key) {
        expiry.push(expiresUs, id); // used again since: its keep-alive starts later
        continue;
      }
      this.alive[id] = false;
      this.liveInstances--;
      this.liveMemoryMb -= this.limitOf(this.fnOf[id]!);
    }
  }

  result(): PlanNeeds {
    const spanS = Math.max(0, this.o.spanUs) / 1e6;
    const windowLengthS = Math.max(1, Math.min(this.windowS, spanS));
    let w = 0;
    for (let k = 1; k < this.workMs.length; k++) if (this.workMs[k]! > this.workMs[w]!) w = k;
    let c = 0;
    for (let k = 1; k < this.coldPerS.length; k++) if (this.coldPerS[k]! > this.coldPerS[c]!) c = k;
    let coldStarts = 0;
    for (const n of this.coldPerS) coldStarts += n;
    return {
      invocations: this.invocations,
      spanS,
      peakCores: this.workMs[w]! / 1000 / windowLengthS,
      peakCoresAtS: w * this.windowS,
      meanCores: this.totalWorkMs / 1000 / Math.max(1, spanS),
      withoutDuration: this.withoutDuration,
      peakInstances: this.peak.instances,
      peakInstancesAtS: Math.floor(this.peak.instancesAtUs / 1e6),
      peakMemoryMb: this.peak.memoryMb,
      peakMemoryAtS: Math.floor(this.peak.memoryAtUs / 1e6),
      coldStarts,
      peakColdStartsPerS: this.coldPerS[c]!,
      peakColdStartsAtS: c,
    };
  }
}

/** Generates the plan once (durations drawn) and measures its needs. */
export function planNeeds(s: Schedule, o: Omit<PlanNeedsOptions, 'spanUs'>): PlanNeeds {
  const counter = new PlanNeedsCounter({ ...o, spanUs: s.spanUs });
  for (const b of s.batches({ reuse: true })) counter.add(b);
  return counter.result();
}

const gb = (mb: number) => (mb >= 10_240 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`);

/** A few lines: cores, instances and memory, cold starts. */
export function formatPlanNeeds(n: PlanNeeds): string[] {
  if (n.invocations === 0) return ['needs: no invocations'];
  const lines = [
    `cores of function work: peak ${n.peakCores.toFixed(2)} (the minute from ${n.peakCoresAtS} s), mean ${n.meanCores.toFixed(2)}${n.withoutDuration > 0 ? `; ${n.withoutDuration} invocations have no duration, counted as none` : ''}`,
    `instances under the keep-alive: peak ${n.peakInstances} at ${n.peakInstancesAtS} s; their memory limits: peak ${gb(n.peakMemoryMb)} at ${n.peakMemoryAtS} s`,
    `cold starts: ${n.coldStarts}, peak ${n.peakColdStartsPerS}/s at ${n.peakColdStartsAtS} s`,
  ];
  return lines;
}
