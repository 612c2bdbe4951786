/**
 * Workflows in simulation (--dag, --dag-shape): each planned invocation of a trace function is a
 * workflow (src/workflow: the same expansion as replay's), and each of its steps is an invocation
 * of its own step function in the model, with its cold starts, keep-alive and capacity.
 *
 * Timing, in simulated time: the entry step arrives at the plan's time; the first step of each
 * branch arrives when the entry ends (its wait + cold start + execution), all branches at once;
 * each next step of a branch when the previous one ends. A step that times out waiting (local
 * model) ends its branch: the steps after it are not_run. Each step runs for the invocation's
 * duration / depth (workflowArrival's stepMs), with the invocation's memory.
 *
 * Limit: one record per step invocation is held until the tables are written (about 60 bytes),
 * so a workflow simulation is for plans of millions of steps, not whole days.
 */

import type { ColumnSpec } from '../dataset/columns.js';
import type { Row } from '../dataset/table-writer.js';
import { WORKFLOW_STEPS_COLUMNS } from '../dataset/workflow-steps.js';
import type { FunctionSpec } from '../platforms/types.js';
import type { Arrival } from '../schedule/types.js';
import type { TraceFunction } from '../trace/types.js';
import { microsHistogram, type Quantiles, quantilesOf } from '../util/histogram.js';
import { heapPop, heapPush } from '../util/min-heap.js';
import { type DagShapeSpec, planWorkflows, type Workflow, type WorkflowStep } from '../workflow/index.js';
import { BatchResults, type Simulator } from './model.js';
import type { PlatformSimulator } from './platform-model.js';

/** The plan's functions as workflows: one step function per step, entry first. */
export interface WorkflowExpansion {
  /** Per plan function: its workflow. */
  workflows: readonly Workflow[];
  /** Per plan function: the index in `stepFunctions` of its entry step (its steps follow it). */
  firstStep: Int32Array;
  /** What the model simulates: one function per step, named as the step's action (replay's target). */
  stepFunctions: readonly TraceFunction[];
  /** Per step function: its memory as deployed (MB), undefined if the trace has none. */
  stepMemoryMb: readonly (number | undefined)[];
}

/**
 * The workflows of the plan's functions, drawn with `seed` as replay draws them (planWorkflows).
 * `specs` are the plan functions' specs (run/names.ts functionSpecs), in plan order. A step
 * function's policy group is its trace function's application (or the function itself).
 */
export function expandWorkflows(
  functions: readonly TraceFunction[],
  specs: readonly FunctionSpec[],
  spec: DagShapeSpec,
  seed: number,
): WorkflowExpansion {
  const byName = planWorkflows(specs, spec, seed);
  const workflows = specs.map((s) => byName.get(s.name)!);
  const firstStep = new Int32Array(functions.length);
  const stepFunctions: TraceFunction[] = [];
  const stepMemoryMb: (number | undefined)[] = [];
  workflows.forEach((wf, fn) => {
    firstStep[fn] = stepFunctions.length;
    const f = functions[fn]!;
    for (const step of wf.steps) {
      const sf: TraceFunction = { id: step.spec.name, app: f.app ?? f.id };
      if (f.memoryMb !== undefined) sf.memoryMb = f.memoryMb;
      if (f.durationMs !== undefined) sf.durationMs = f.durationMs;
      stepFunctions.push(sf);
      stepMemoryMb.push(step.spec.memoryMb);
    }
  });
  return { workflows, firstStep, stepFunctions, stepMemoryMb };
}

/** A step invocation that arrived in the model. */
interface StepArrival {
  workflowId: number;
  /** Plan function of the workflow. */
  fn: number;
  step: WorkflowStep;
  atUs: number;
  stepMs: number;
  memoryMb: number;
}

/** One policy's workflow simulation, over either model. */
export interface WorkflowOutcome {
  /** Per workflow in plan order: its id (seq), plan function, arrival (µs). */
  workflowIds: number[];
  workflowFns: number[];
  workflowAtUs: number[];
  /** Step arrivals, in the model's index order; results at the same index. */
  arrivals: StepArrival[];
  results: BatchResults;
  /** The model's cold-start cost (init_ms of a cold step), µs. */
  coldUs: number;
}

/**
 * The ideal model (units independent, results known at once): step arrivals are fed in global
 * time order from a queue of pending steps, before any plan arrival that comes later.
 */
export function runWorkflowsIdeal(
  sim: Simulator,
  exp: WorkflowExpansion,
  arrivals: Iterable<Arrival>,
  coldUs: number,
): WorkflowOutcome {
  const out = newOutcome(coldUs);
  const one = new BatchResults();
  const fnA = new Uint32Array(1);
  const atA = new Float64Array(1);
  const dA = new Float64Array(1);
  const mA = new Float64Array(1);
  /** Steps due, by arrival time, then in the order they were queued. */
  const pending: Queued[] = [];
  let order = 0;
  const push = (s: StepArrival) => heapPush(pending, { s, order: order++ }, before);
  const runStep = (s: StepArrival) => {
    fnA[0] = exp.firstStep[s.fn]! + s.step.index;
    atA[0] = s.atUs;
    dA[0] = s.stepMs;
    mA[0] = s.memoryMb;
    sim.run(fnA, atA, dA, mA, 1, one);
    const k = out.arrivals.length;
    out.arrivals.push(s);
    grow(out.results, k + 1);
    out.results.cold[k] = one.cold[0]!;
    out.results.waitUs[k] = one.waitUs[0]!;
    out.results.execUs[k] = one.execUs[0]!;
    out.results.instance[k] = one.instance[0]!;
    for (const next of successors(exp.workflows[s.fn]!, s.step)) {
      push({ ...s, step: next, atUs: s.atUs + one.waitUs[0]! + one.execUs[0]! });
    }
  };
  for (const a of arrivals) {
    while (pending.length > 0 && pending[0]!.s.atUs <= a.atUs) runStep(heapPop(pending, before).s);
    out.workflowIds.push(a.seq);
    out.workflowFns.push(a.fn);
    out.workflowAtUs.push(a.atUs);
    runStep(entryOf(exp, a));
  }
  while (pending.length > 0) runStep(heapPop(pending, before).s);
  sim.finish();
  return out;
}

/**
 * The embedded platform's model (functions interact, a wait is known when the step gets its
 * instance): each next step is handed to the model from its onStarted hook, at the end time it
 * reports. Build the PlatformSimulator with `onStarted: driver.onStarted`, then call run().
 */
export class LocalWorkflowDriver {
  readonly out: WorkflowOutcome;
  private sim: PlatformSimulator | undefined;

  constructor(
    private readonly exp: WorkflowExpansion,
    coldUs: number,
  ) {
    this.out = newOutcome(coldUs);
  }

  /** PlatformModelOptions.onStarted: the step at `index` ends at endUs; its successors arrive then. */
  readonly onStarted = (index: number, endUs: number): void => {
    const s = this.out.arrivals[index]!;
    for (const next of successors(this.exp.workflows[s.fn]!, s.step)) {
      this.add({ ...s, step: next, atUs: endUs });
    }
  };

  run(sim: PlatformSimulator, arrivals: Iterable<Arrival>): WorkflowOutcome {
    this.sim = sim;
    for (const a of arrivals) {
      // Settle what happens before a (its step arrivals included), then a's entry.
      sim.settle(a.atUs);
      this.out.workflowIds.push(a.seq);
      this.out.workflowFns.push(a.fn);
      this.out.workflowAtUs.push(a.atUs);
      this.add(entryOf(this.exp, a));
    }
    sim.finish();
    sim.resultsOf(0, this.out.arrivals.length, this.out.results);
    return this.out;
  }

  /** The model numbers arrivals in the order they are added: the record goes first. */
  private add(s: StepArrival): void {
    const k = this.out.arrivals.length;
    this.out.arrivals.push(s);
    const index = this.sim!.arriveLater(this.exp.firstStep[s.fn]! + s.step.index, s.atUs, s.stepMs);
    if (index !== k) throw new Error(`workflow step ${k} got model index ${index}`);
  }
}

/** The summary of one policy's workflows. */
export interface WorkflowSummary {
  workflows: number;
  /** Planned steps (every step of every workflow), and the ones that ran. */
  steps: number;
  stepsRun: number;
  coldSteps: number;
  /** Workflows whose every step ran. */
  completed: number;
  /** Entry arrival to the last step's end, over completed workflows (µs); null if none. */
  latencyUs: Quantiles | null;
}

/**
 * The rows of one policy's workflows: `workflows` (one per workflow) and `workflow_steps` (one per
 * planned step, replay's columns; times are simulated µs from the plan's time 0, as timestamps
 * from the epoch), and their summary.
 */
export function workflowTables(
  policy: string,
  exp: WorkflowExpansion,
  o: WorkflowOutcome,
): { workflowRows: Row[]; stepRows: Row[]; summary: WorkflowSummary } {
  // Per workflow (by its position), the model index of each of its steps (-1: not run).
  const positionOf = new Map<number, number>();
  o.workflowIds.forEach((id, p) => {
    positionOf.set(id, p);
  });
  const indexOf = o.workflowFns.map((fn) => new Int32Array(exp.workflows[fn]!.steps.length).fill(-1));
  o.arrivals.forEach((s, k) => {
    indexOf[positionOf.get(s.workflowId)!]![s.step.index] = k;
  });
  const r = o.results;
  const latency = microsHistogram();
  const workflowRows: Row[] = [];
  const stepRows: Row[] = [];
  const summary: WorkflowSummary = {
    workflows: o.workflowIds.length,
    steps: 0,
    stepsRun: 0,
    coldSteps: 0,
    completed: 0,
    latencyUs: null,
  };
  o.workflowIds.forEach((id, p) => {
    const wf = exp.workflows[o.workflowFns[p]!]!;
    let endUs = o.workflowAtUs[p]!;
    let ran = 0;
    let cold = 0;
    for (const step of wf.steps) {
      const k = indexOf[p]![step.index]!;
      const row: Row = {
        policy,
        workflow_id: id,
        function: wf.fn.id,
        step: step.index,
        branch: step.branch,
        level: step.level,
        width: wf.shape.width,
        depth: wf.shape.depth,
        target: step.spec.name,
        outcome: 'not_run',
        started_at: null,
        ended_at: null,
        cold_start: null,
        wait_ms: null,
        init_ms: null,
        exec_ms: null,
        activation_id: null,
        error: null,
      };
      if (k >= 0) {
        const atUs = o.arrivals[k]!.atUs;
        const timedOut = r.instance[k] === -1;
        const isCold = r.cold[k] === 1;
        const initUs = isCold ? o.coldUs : 0;
        const endsUs = atUs + r.waitUs[k]! + r.execUs[k]!;
        row.outcome = timedOut ? 'timeout' : 'ok';
        row.started_at = atUs;
        row.ended_at = endsUs;
        row.cold_start = isCold;
        row.wait_ms = (r.waitUs[k]! - initUs) / 1000;
        row.init_ms = isCold ? initUs / 1000 : null;
        row.exec_ms = r.execUs[k]! / 1000;
        if (timedOut) row.error = 'waited past the platform timeout for an instance';
        else ran++;
        if (isCold) cold++;
        if (endsUs > endUs) endUs = endsUs;
      }
      stepRows.push(row);
    }
    const complete = ran === wf.steps.length;
    const latencyUs = endUs - o.workflowAtUs[p]!;
    summary.steps += wf.steps.length;
    summary.stepsRun += ran;
    summary.coldSteps += cold;
    if (complete) {
      summary.completed++;
      latency.recordValue(Math.max(1, Math.round(latencyUs)));
    }
    workflowRows.push({
      policy,
      workflow_id: id,
      function: wf.fn.id,
      width: wf.shape.width,
      depth: wf.shape.depth,
      steps: wf.steps.length,
      steps_run: ran,
      cold_steps: cold,
      arrival_us: Math.round(o.workflowAtUs[p]!),
      latency_us: complete ? Math.round(latencyUs) : null,
      outcome: complete ? 'ok' : 'incomplete',
    });
  });
  summary.latencyUs = quantilesOf(latency);
  return { workflowRows, stepRows, summary };
}

/** workflow_steps as simulate writes it: replay's columns, after the policy. */
export const SIM_WORKFLOW_STEPS_COLUMNS: readonly ColumnSpec[] = [
  { name: 'policy', kind: 'utf8', nullable: false, doc: 'the keep-alive policy simulated' },
  ...WORKFLOW_STEPS_COLUMNS,
];

export const SIM_WORKFLOW_COLUMNS: readonly ColumnSpec[] = [
  { name: 'policy', kind: 'utf8', nullable: false, doc: 'the keep-alive policy simulated' },
  {
    name: 'workflow_id',
    kind: 'int64',
    nullable: false,
    doc: "the workflow's plan seq: workflow_steps.workflow_id",
  },
  { name: 'function', kind: 'utf8', nullable: false, doc: "the trace's function id the workflow stands for" },
  { name: 'width', kind: 'int32', nullable: false, doc: 'parallel branches' },
  { name: 'depth', kind: 'int32', nullable: false, doc: 'steps on the longest path' },
  { name: 'steps', kind: 'int32', nullable: false, doc: 'planned steps' },
  {
    name: 'steps_run',
    kind: 'int32',
    nullable: false,
    doc: 'steps that ran (not timed out, not after one that did)',
  },
  { name: 'cold_steps', kind: 'int32', nullable: false, doc: 'steps that had a cold start' },
  {
    name: 'arrival_us',
    kind: 'int64',
    nullable: false,
    doc: "the entry step's arrival, µs from the run start",
  },
  {
    name: 'latency_us',
    kind: 'int64',
    nullable: true,
    doc: "entry arrival to the last step's end, µs; null unless every step ran",
  },
  { name: 'outcome', kind: 'utf8', nullable: false, doc: 'ok (every step ran) | incomplete' },
];

function newOutcome(coldUs: number): WorkflowOutcome {
  return {
    workflowIds: [],
    workflowFns: [],
    workflowAtUs: [],
    arrivals: [],
    results: new BatchResults(),
    coldUs,
  };
}

/** The entry step of the workflow of arrival a. */
function entryOf(exp: WorkflowExpansion, a: Arrival): StepArrival {
  const wf = exp.workflows[a.fn]!;
  return {
    workflowId: a.seq,
    fn: a.fn,
    step: wf.steps[0]!,
    atUs: a.atUs,
    stepMs: a.durationMs === undefined ? Number.NaN : a.durationMs / wf.shape.depth,
    memoryMb: a.memoryMb ?? Number.NaN,
  };
}

/** The steps that arrive when `step` ends: after the entry, every branch's first; else the next of its branch. */
function successors(wf: Workflow, step: WorkflowStep): WorkflowStep[] {
  if (step.branch < 0) return wf.steps.filter((s) => s.level === 1);
  const next = wf.steps.find((s) => s.branch === step.branch && s.level === step.level + 1);
  return next ? [next] : [];
}

/** Grows a results buffer to hold n, keeping what it holds. */
function grow(r: BatchResults, n: number): void {
  if (r.cold.length >= n) {
    r.length = Math.max(r.length, n);
    return;
  }
  const size = Math.max(n, 2 * r.cold.length, 1024);
  const cold = new Uint8Array(size);
  cold.set(r.cold);
  const waitUs = new Float64Array(size);
  waitUs.set(r.waitUs);
  const execUs = new Float64Array(size);
  execUs.set(r.execUs);
  const instance = new Float64Array(size);
  instance.set(r.instance);
  Object.assign(r, { cold, waitUs, execUs, instance, length: n });
}

// A min-heap of pending steps by arrival time, then by the order they were queued.
interface Queued {
  s: StepArrival;
  order: number;
}

function before(a: Queued, b: Queued): boolean {
  return a.s.atUs < b.s.atUs || (a.s.atUs === b.s.atUs && a.order < b.order);
}
