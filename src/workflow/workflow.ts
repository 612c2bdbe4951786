/**
 * The workflow that stands for one trace function under --dag / --dag-shape: an entry step, then
 * `width` parallel branches of `depth - 1` steps each, the widest DAG of that width and depth in
 * In-Vitro's loader ((depth - 1) x width + 1 functions; In-Vitro also narrows some stages at
 * random, which faasload does not). Every step is an action of its own (its own instances, cold
 * starts and keep-alive) running the synthetic function for the step's share of the invocation's
 * duration (duration / depth, so that the critical path lasts what the trace says) with the
 * invocation's memory; each step passes its input on, so the next one gets the same request.
 * Catalog functions (--workload) are not workflow steps yet: every step is synthetic.
 *
 * How it runs (workflow/adapter.ts): depth 1 is one action; width 1 is one sequence of all its
 * steps; wider, the entry runs first, then each branch as a sequence of its steps, all at once.
 */

import type { FunctionSpec } from '../platforms/types.js';
import type { Arrival } from '../schedule/types.js';
import { SYNTHETIC_ACTION_CODE, SYNTHETIC_ACTION_MAIN } from '../workload/synthetic-action.js';
import type { DagShape } from './shape.js';

/** One step: its place (branch -1 = the entry; level 0 = the entry, 1.. along a branch). */
export interface WorkflowStep {
  /** 0-based, entry first, then branch by branch. */
  index: number;
  branch: number;
  level: number;
  spec: FunctionSpec;
}

export interface Workflow {
  /** The trace function it stands for. */
  fn: FunctionSpec;
  shape: DagShape;
  steps: readonly WorkflowStep[];
  /**
   * The stages the harness runs: the first alone, then the others at once with its result. A
   * stage is one action (`sequence` false) or a sequence of steps named `name`.
   */
  stages: NonEmpty<WorkflowStage>;
}

/** At least one element: the first is there for the type checker too. */
export type NonEmpty<T> = readonly [T, ...T[]];

export interface WorkflowStage {
  name: string;
  /** Steps it runs, in order. */
  steps: NonEmpty<WorkflowStep>;
  sequence: boolean;
}

/** The action every step runs: the synthetic function for stepMs, passing its input on. */
export const STEP_ACTION_MAIN = 'faasloadStep';
export const STEP_ACTION_CODE = `${SYNTHETIC_ACTION_CODE}
function ${STEP_ACTION_MAIN}(p) {
  const r = ${SYNTHETIC_ACTION_MAIN}({ durationMs: p.stepMs, memoryMb: p.memoryMb });
  return Object.assign({}, r, { durationMs: p.durationMs, memoryMb: p.memoryMb, stepMs: p.stepMs });
}
`;

/** The workflow of trace function `fn` with `shape`; step actions are `<fn.name>-s<index>`. */
export function buildWorkflow(fn: FunctionSpec, shape: DagShape): Workflow {
  const stepSpec = (index: number): FunctionSpec => ({
    id: fn.id,
    name: `${fn.name}-s${index}`,
    ...(fn.memoryMb !== undefined ? { memoryMb: fn.memoryMb } : {}),
    ...(fn.owner !== undefined ? { owner: fn.owner } : {}),
    action: { code: STEP_ACTION_CODE, main: STEP_ACTION_MAIN },
  });
  const entry: WorkflowStep = { index: 0, branch: -1, level: 0, spec: stepSpec(0) };
  const steps: [WorkflowStep, ...WorkflowStep[]] = [entry];
  const next = (branch: number, level: number): WorkflowStep => {
    const step = { index: steps.length, branch, level, spec: stepSpec(steps.length) };
    steps.push(step);
    return step;
  };
  const branches: NonEmpty<WorkflowStep>[] = [];
  for (let b = 0; b < (shape.depth > 1 ? shape.width : 0); b++) {
    const branch: [WorkflowStep, ...WorkflowStep[]] = [next(b, 1)];
    for (let level = 2; level < shape.depth; level++) branch.push(next(b, level));
    branches.push(branch);
  }
  let stages: [WorkflowStage, ...WorkflowStage[]];
  if (shape.depth === 1) stages = [{ name: entry.spec.name, steps: [entry], sequence: false }];
  else if (branches.length === 1) stages = [{ name: `${fn.name}-wf`, steps, sequence: true }];
  else {
    stages = [
      { name: entry.spec.name, steps: [entry], sequence: false },
      ...branches.map((branch, b) => ({
        name: `${fn.name}-b${b}`,
        steps: branch,
        // A branch of one step is that action itself.
        sequence: branch.length > 1,
      })),
    ];
    for (const stage of stages) if (!stage.sequence) stage.name = stage.steps[0].spec.name;
  }
  return { fn, shape, steps, stages };
}

/**
 * The arrival a workflow's stages are invoked with: the trace's duration split over the depth,
 * as parameter stepMs (text, as arrival parameters are; the step function reads it as a number).
 */
export function workflowArrival(a: Arrival, shape: DagShape): Arrival {
  const stepMs = (a.durationMs ?? 0) / shape.depth;
  return { ...a, params: { ...a.params, stepMs: String(stepMs) } };
}
