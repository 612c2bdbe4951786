/** Workflow (DAG) workloads: each trace function run as a workflow of functions (--dag, --dag-shape). */
import type { FunctionSpec } from '../platforms/types.js';
import { type DagShapeSpec, drawShape } from './shape.js';
import { buildWorkflow, type Workflow } from './workflow.js';

export { StepRecorder, withWorkflows } from './adapter.js';
export {
  AZURE2021_DAG,
  AZURE2021_DAG_SOURCE,
  type DagShape,
  type DagShapeSpec,
  drawShape,
  parseDagShape,
  readDagFile,
} from './shape.js';
export { WORKFLOW_STEPS_COLUMNS, WORKFLOW_STEPS_SCHEMA_VERSION, workflowStepRows } from './steps-table.js';
export {
  buildWorkflow,
  STEP_ACTION_CODE,
  type Workflow,
  type WorkflowStep,
  workflowArrival,
} from './workflow.js';

/** Each function's workflow, by its action name; shapes drawn from `spec` with `seed`. */
export function planWorkflows(
  specs: readonly FunctionSpec[],
  spec: DagShapeSpec,
  seed: number,
): Map<string, Workflow> {
  return new Map(specs.map((fn) => [fn.name, buildWorkflow(fn, drawShape(spec, seed, fn.id))]));
}
