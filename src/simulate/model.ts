import type { TraceFunction } from '../trace/types.js';
import type { KeepAlivePolicy, PolicyState, Windows } from './policy.js';

/**
 * A discrete-event model of a FaaS platform in virtual time, fed with a plan's arrivals in time
 * order (batch after batch). Per simulation unit (a function, or an application with
 * `--unit app`): instances that each run up to `concurrency` executions at once and hold memory
 * while loaded; an arrival takes a free slot of a busy instance, else the most recently idle
 * loaded instance (warm), else a cold start (a new instance, or one whose pre-warm is pending:
 * the pre-warm is cancelled), and past `maxInstances` it queues for the earliest free slot (FIFO:
 * arrivals are served in order). Once an instance's last execution ends at e, the windows the
 * policy gave at the invocation that last used it apply: unloaded in [e, e + prewarm), loaded
 * and warm in [e + prewarm, e + prewarm + keepAlive), unloaded after.
 *
 * Costs: a cold start delays the execution by coldStartMs (its wait), every execution lasts its
 * planned duration + execOverheadMs. Memory: an instance holds the largest memory of the
 * invocations it served. Wasted memory time = memory x time loaded and idle, counted up to
 * horizonUs (the plan's span; executions may end after it).
 *
 * Speed: no event queue and no object per invocation. Units are independent but for the policy's
 * shared state, so arrivals are processed as they come: each unit keeps a binary heap of its busy
 * instances (by the end of their last execution) and a stack of idle ones; instance fields live in
 * typed arrays indexed by a recycled record number. Expired instances are dropped when met (their
 * waste is exact: it is known once their window is).
 */
export interface ModelOptions {
  coldStartMs: number;
  execOverheadMs: number;
  /** Executions per instance at once; Infinity: one instance serves all (loaded or not). */
  concurrency: number;
  /** Instances per unit at most (busy, idle or pending a pre-warm); Infinity for no cap. */
  maxInstances: number;
  /** For arrivals without a memory or a duration in the plan. */
  defaultMemoryMb: number;
  defaultDurationMs: number;
  horizonUs: number;
}

export const MODEL_DEFAULTS: Omit<ModelOptions, 'horizonUs'> = {
  coldStartMs: 100,
  execOverheadMs: 0,
  concurrency: 1,
  maxInstances: Number.POSITIVE_INFINITY,
  defaultMemoryMb: 256,
  defaultDurationMs: 0,
};

export type UnitKind = 'function' | 'app';

/** What is simulated as one unit, and which policy group (histogram) each unit feeds. */
export interface SimulationUnits {
  kind: UnitKind;
  /** Per plan function: its unit. */
  unitOf: Int32Array;
  /** Per unit: its policy group. */
  groupOf: Int32Array;
  units: number;
  /** Per group: its application (or function id when the trace has no apps). */
  groupNames: string[];
  /** Per plan function: its group. */
  groupOfFunction: Int32Array;
}

/**
 * Groups are applications (TraceFunction.app: Azure 2019 HashApp, Azure 2021 app), or the
 * function itself when it has none. `function` units are the plan's functions; `app` units are
 * the groups, so an app's functions share instances (the paper's model: an app is loaded whole).
 */
export function simulationUnits(functions: readonly TraceFunction[], kind: UnitKind): SimulationUnits {
  const groupIndex = new Map<string, number>();
  const groupOfFunction = new Int32Array(functions.length);
  functions.forEach((f, fn) => {
    const key = f.app ?? f.id;
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = groupIndex.size;
      groupIndex.set(key, g);
    }
    groupOfFunction[fn] = g;
  });
  const groupNames = [...groupIndex.keys()];
  if (kind === 'app') {
    return {
      kind,
      unitOf: groupOfFunction,
      groupOf: Int32Array.from(groupNames, (_n, g) => g),
      units: groupNames.length,
      groupNames,
      groupOfFunction,
    };
  }
  return {
    kind,
    unitOf: Int32Array.from(functions, (_f, fn) => fn),
    groupOf: groupOfFunction,
    units: functions.length,
    groupNames,
    groupOfFunction,
  };
}

/** Per-invocation results of one batch; arrays are reused from batch to batch (grow only). */
export class BatchResults {
  length = 0;
  cold = new Uint8Array(0);
  waitUs = new Float64Array(0);
  execUs = new Float64Array(0);
  instance = new Float64Array(0);

  reserve(n: number): void {
    this.length = n;
    if (this.cold.length >= n) return;
    this.cold = new Uint8Array(n);
    this.waitUs = new Float64Array(n);
    this.execUs = new Float64Array(n);
    this.instance = new Float64Array(n);
  }
}

/**
 * What run.ts and the tables need of a simulation of one policy: the ideal model (Simulator) or
 * the embedded platform's (PlatformSimulator, platform-model.ts).
 */
export interface SimulationModel {
  readonly policy: KeepAlivePolicy;
  readonly state: PolicyState;
  /**
   * True: arrivals must come in plan order and per-invocation results are read back after
   * finish() (units interact); false: any order that keeps each group's arrivals in time order,
   * results written to run()'s `out`.
   */
  readonly needsPlanOrder: boolean;
  /** Per unit. */
  readonly invocations: Float64Array;
  readonly coldStarts: Float64Array;
  readonly wastedMbUs: Float64Array;
  /** Time spent waiting for an instance, cold starts not included. */
  readonly queuedUs: Float64Array;
  readonly instancesCreated: Float64Array;
  readonly missingDurations: number;
  readonly missingMemory: number;
  run(
    fn: Uint32Array,
    atUs: Float64Array,
    durationMs: Float64Array,
    memoryMb: Float64Array,
    n: number,
    out?: BatchResults,
  ): void;
  finish(): void;
}

/** One policy's simulation. Call run() with each batch in plan order, then finish() once. */
export class Simulator implements SimulationModel {
  readonly policy: KeepAlivePolicy;
  readonly needsPlanOrder = false;
  readonly state: PolicyState;
  /** Per unit. */
  readonly invocations: Float64Array;
  readonly coldStarts: Float64Array;
  readonly wastedMbUs: Float64Array;
  /** Time spent queueing for a slot (past maxInstances), cold starts not included. */
  readonly queuedUs: Float64Array;
  readonly instancesCreated: Float64Array;
  /** Arrivals that had no duration (or memory) in the plan and took the default. */
  missingDurations = 0;
  missingMemory = 0;

  private readonly o: ModelOptions;
  private readonly c: number;
  /** Finite concurrency > 1: slot ends are tracked per instance. */
  private readonly hasSlots: boolean;
  private readonly coldUs: number;
  private readonly overheadUs: number;
  private readonly busyUntil: Float64Array;
  private readonly live: Int32Array;
  private readonly busy: number[][];
  private readonly idle: number[][];
  private readonly w: Windows = { prewarmUs: 0, keepAliveUs: 0 };
  // Instance records.
  private cap = 0;
  private iMem = new Float64Array(0);
  private iIdleAt = new Float64Array(0);
  private iPre = new Float64Array(0);
  private iKeep = new Float64Array(0);
  private iSerial = new Float64Array(0);
  /** concurrency > 1: each instance's slot ends. */
  private slots = new Float64Array(0);
  private readonly recycled: number[] = [];
  private records = 0;
  private serial = 0;
  private finished = false;

  constructor(
    policy: KeepAlivePolicy,
    private readonly units: SimulationUnits,
    options: ModelOptions,
    groups = units.groupNames.length,
  ) {
    this.policy = policy;
    this.o = options;
    this.c = options.concurrency;
    this.hasSlots = this.c > 1 && Number.isFinite(this.c);
    this.coldUs = options.coldStartMs * 1000;
    this.overheadUs = options.execOverheadMs * 1000;
    this.state = policy.start(groups);
    const n = units.units;
    this.invocations = new Float64Array(n);
    this.coldStarts = new Float64Array(n);
    this.wastedMbUs = new Float64Array(n);
    this.queuedUs = new Float64Array(n);
    this.instancesCreated = new Float64Array(n);
    this.busyUntil = new Float64Array(n).fill(-1);
    this.live = new Int32Array(n);
    this.busy = new Array(n);
    this.idle = new Array(n);
    this.grow(1024);
  }

  /**
   * Simulates n arrivals (ascending atUs, continuing the previous batch): plan function, time
   * (µs), duration (ms) and memory (MB, NaN = unknown). Writes each one's result to `out` if given.
   */
  run(
    fn: Uint32Array,
    atUs: Float64Array,
    durationMs: Float64Array,
    memoryMb: Float64Array,
    n: number,
    out?: BatchResults,
  ): void {
    if (out) out.reserve(n);
    const { unitOf, groupOf } = this.units;
    const { w, state, c } = this;
    for (let k = 0; k < n; k++) {
      const u = unitOf[fn[k]!]!;
      const t = atUs[k]!;
      let d = durationMs[k]!;
      if (Number.isNaN(d)) {
        d = this.o.defaultDurationMs;
        this.missingDurations++;
      }
      let m = memoryMb[k]!;
      if (Number.isNaN(m)) {
        m = this.o.defaultMemoryMb;
        this.missingMemory++;
      }
      const last = this.busyUntil[u]!;
      state.onInvocation(groupOf[u]!, t, last < 0 ? -1 : t > last ? t - last : 0, w);

      let heap = this.busy[u];
      let stack = this.idle[u];
      if (heap === undefined || stack === undefined) {
        heap = this.busy[u] = [];
        stack = this.idle[u] = [];
      }
      // Instances whose executions are all over by t become idle (in ascending end order, so the
      // stack stays sorted by end: its top is the most recently idle).
      while (heap.length > 0 && this.iIdleAt[heap[0]!]! <= t) stack.push(heapPop(heap, this.iIdleAt));

      let i = -1;
      let start = t;
      let cold = false;
      let inHeapAt = -1;
      if (c === Number.POSITIVE_INFINITY) {
        // Unbounded concurrency (the paper's model: an app is loaded or not): any busy instance.
        if (heap.length > 0) {
          i = heap[0]!;
          inHeapAt = 0;
        }
      } else if (c > 1) {
        // A busy instance with a free slot: executions share it (no cold start, no idle time).
        for (let h = 0; h < heap.length && i < 0; h++) {
          const j = heap[h]!;
          for (let s = j * c; s < j * c + c; s++) {
            if (this.slots[s]! <= t) {
              i = j;
              inHeapAt = h;
              break;
            }
          }
        }
      }
      if (i < 0) {
        // The most recently idle instance that is loaded now; drop the expired ones met on the way.
        let pending = -1;
        for (let s = stack.length - 1; s >= 0; s--) {
          const j = stack[s]!;
          const loadedAt = this.iIdleAt[j]! + this.iPre[j]!;
          const unloadAt = loadedAt + this.iKeep[j]!;
          if (t >= unloadAt) {
            this.expire(j, u, loadedAt, unloadAt);
            stack.splice(s, 1);
            // The pending instance, found above s, moved down one place.
            if (pending >= 0) pending--;
          } else if (t >= loadedAt) {
            this.wastedMbUs[u]! += this.iMem[j]! * (t - loadedAt);
            if (s === stack.length - 1) stack.pop();
            else stack.splice(s, 1);
            i = j;
            break;
          } else if (pending < 0) {
            pending = s;
          }
        }
        if (i < 0) {
          if (pending >= 0) {
            // Its pre-warm had not happened yet: cancelled, and this invocation loads it (cold).
            i = stack[pending]!;
            stack.splice(pending, 1);
            cold = true;
          } else if (this.live[u]! < this.o.maxInstances) {
            i = this.create(u);
            cold = true;
          } else {
            // At the cap and everything busy: queue for the earliest free slot.
            let best = Number.POSITIVE_INFINITY;
            for (let h = 0; h < heap.length; h++) {
              const j = heap[h]!;
              const free = this.hasSlots ? this.earliestSlot(j) : this.iIdleAt[j]!;
              if (free < best) {
                best = free;
                i = j;
                inHeapAt = h;
              }
            }
            start = best;
            this.queuedUs[u]! += best - t;
          }
        } else {
          // Bottom of the stack: drop one expired instance per arrival, so stacks left behind
          // by a burst shrink even when the top is always reused.
          const j = stack[0];
          if (j !== undefined) {
            const loadedAt = this.iIdleAt[j]! + this.iPre[j]!;
            const unloadAt = loadedAt + this.iKeep[j]!;
            if (t >= unloadAt) {
              this.expire(j, u, loadedAt, unloadAt);
              stack.shift();
            }
          }
        }
      }
      if (cold) {
        start = t + this.coldUs;
        this.coldStarts[u]!++;
      }
      const execUs = d * 1000 + this.overheadUs;
      const end = start + execUs;
      if (m > this.iMem[i]!) this.iMem[i] = m;
      this.iPre[i] = w.prewarmUs;
      this.iKeep[i] = w.keepAliveUs;
      if (this.hasSlots) {
        let s = i * c;
        let earliest = s;
        for (; s < i * c + c; s++) if (this.slots[s]! < this.slots[earliest]!) earliest = s;
        this.slots[earliest] = end;
      }
      const wasBusy = inHeapAt >= 0;
      this.iIdleAt[i] = wasBusy ? Math.max(this.iIdleAt[i]!, end) : end;
      if (wasBusy) siftDown(heap, this.iIdleAt, inHeapAt);
      else heapPush(heap, this.iIdleAt, i);
      if (end > last) this.busyUntil[u] = end;
      this.invocations[u]!++;
      if (out) {
        out.cold[k] = cold ? 1 : 0;
        out.waitUs[k] = start - t;
        out.execUs[k] = execUs;
        out.instance[k] = this.iSerial[i]!;
      }
    }
  }

  /** Counts the waste of the instances still there (idle time up to the horizon). Once. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const H = this.o.horizonUs;
    for (let u = 0; u < this.units.units; u++) {
      for (const list of [this.busy[u], this.idle[u]]) {
        if (!list) continue;
        for (const j of list) {
          const loadedAt = this.iIdleAt[j]! + this.iPre[j]!;
          const unloadAt = Math.min(loadedAt + this.iKeep[j]!, H);
          if (unloadAt > loadedAt) this.wastedMbUs[u]! += this.iMem[j]! * (unloadAt - loadedAt);
        }
      }
    }
  }

  /** Instance records in use now (for tests and memory checks). */
  get liveInstances(): number {
    return this.records - this.recycled.length;
  }

  private expire(j: number, u: number, loadedAt: number, unloadAt: number): void {
    const H = this.o.horizonUs;
    const end = Math.min(unloadAt, H);
    if (end > loadedAt) this.wastedMbUs[u]! += this.iMem[j]! * (end - loadedAt);
    this.live[u]!--;
    this.recycled.push(j);
  }

  private earliestSlot(j: number): number {
    let best = Number.POSITIVE_INFINITY;
    for (let s = j * this.c; s < j * this.c + this.c; s++) if (this.slots[s]! < best) best = this.slots[s]!;
    return best;
  }

  private create(u: number): number {
    let i = this.recycled.pop();
    if (i === undefined) {
      if (this.records === this.cap) this.grow(this.cap * 2);
      i = this.records++;
    }
    this.iMem[i] = 0;
    this.iIdleAt[i] = Number.NEGATIVE_INFINITY;
    this.iSerial[i] = this.serial++;
    if (this.hasSlots) this.slots.fill(Number.NEGATIVE_INFINITY, i * this.c, i * this.c + this.c);
    this.live[u]!++;
    this.instancesCreated[u]!++;
    return i;
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array, n: number) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.iMem = f64(this.iMem, cap);
    this.iIdleAt = f64(this.iIdleAt, cap);
    this.iPre = f64(this.iPre, cap);
    this.iKeep = f64(this.iKeep, cap);
    this.iSerial = f64(this.iSerial, cap);
    if (this.hasSlots) this.slots = f64(this.slots, cap * this.c);
    this.cap = cap;
  }
}

// A binary min-heap of record numbers keyed by key[record].
function heapPush(heap: number[], key: Float64Array, x: number): void {
  let i = heap.length;
  heap.push(x);
  const k = key[x]!;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const y = heap[p]!;
    if (key[y]! <= k) break;
    heap[i] = y;
    i = p;
  }
  heap[i] = x;
}

function heapPop(heap: number[], key: Float64Array): number {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    siftDown(heap, key, 0);
  }
  return top;
}

/** Restores the heap after key[heap[i]] grew. */
function siftDown(heap: number[], key: Float64Array, i: number): void {
  const n = heap.length;
  const x = heap[i]!;
  const k = key[x]!;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && key[heap[c + 1]!]! < key[heap[c]!]!) c++;
    if (key[heap[c]!]! >= k) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = x;
}
