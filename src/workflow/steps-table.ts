/**
 * workflow_steps: one row per planned step of every planned workflow (--dag, --dag-shape), joined
 * to invocations by workflow_id = the workflow's seq. A step that did not run has a row too: its
 * outcome says why (the workflow was dropped or cancelled, or an earlier step failed: not_run).
 */
import type { Row } from '../dataset/table-writer.js';

export { WORKFLOW_STEPS_COLUMNS, WORKFLOW_STEPS_SCHEMA_VERSION } from '../dataset/workflow-steps.js';

import type { InvocationRecord } from '../dispatch/dispatcher.js';
import type { InvocationResult } from '../platforms/types.js';
import type { Workflow } from './workflow.js';

/** The rows of one settled workflow invocation: one per planned step (runs: by step index). */
export function workflowStepRows(
  record: InvocationRecord,
  wf: Workflow,
  runs: readonly (InvocationResult | undefined)[],
): Row[] {
  const notSent = record.result.outcome === 'dropped' || record.result.outcome === 'cancelled';
  return wf.steps.map((step) => {
    const r = runs[step.index];
    return {
      workflow_id: record.arrival.seq,
      function: wf.fn.id,
      step: step.index,
      branch: step.branch,
      level: step.level,
      width: wf.shape.width,
      depth: wf.shape.depth,
      target: step.spec.name,
      outcome: r ? r.outcome : notSent ? record.result.outcome : 'not_run',
      started_at: r ? r.sentAtUs : null,
      ended_at: r ? r.endedAtUs : null,
      cold_start: r?.coldStart,
      wait_ms: r?.waitMs,
      init_ms: r?.initMs,
      exec_ms: r?.execMs,
      activation_id: r?.activationId,
      error: r?.error,
    };
  });
}
