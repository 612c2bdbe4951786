/**
 * Runs each trace function as its workflow (workflow.ts) on any adapter: deploy() deploys every
 * step's action, then each chained stage as a sequence where the platform has sequences
 * (SequenceCapable), and the triggers of the functions fired through one (their rule runs the
 * first stage). invoke() runs the first stage (fired or invoked), then the others at once; a
 * chained stage on a platform without sequences is run by the harness, step after step.
 *
 * The invocation's result is the workflow's: sent when its first stage was, ended with its last
 * step, ok when every step was; the first stage's activation, trigger and HTTP status; a cold
 * start when any step had one. Each step's own result goes to the StepRecorder, by the
 * invocation's seq, for the steps table (steps-table.ts).
 */
import { hasSequences, type SequenceCapable } from '../platforms/sequences.js';
import { hasTriggers, type TriggerCapable } from '../platforms/triggers.js';
import type { FunctionSpec, InvocationResult, PlatformAdapter } from '../platforms/types.js';
import type { Arrival } from '../schedule/types.js';
import { type Workflow, type WorkflowStage, workflowArrival } from './workflow.js';

/** The step results of workflows that ran, by the invocation's seq, until the row is written. */
export class StepRecorder {
  private readonly bySeq = new Map<number, (InvocationResult | undefined)[]>();

  put(seq: number, stepIndex: number, result: InvocationResult): void {
    let runs = this.bySeq.get(seq);
    if (!runs) {
      runs = [];
      this.bySeq.set(seq, runs);
    }
    runs[stepIndex] = result;
  }

  /** The results of workflow `seq` by step index (undefined: the step did not run). */
  peek(seq: number): readonly (InvocationResult | undefined)[] {
    return this.bySeq.get(seq) ?? [];
  }

  /** peek(), then forgets them. */
  take(seq: number): readonly (InvocationResult | undefined)[] {
    const runs = this.bySeq.get(seq) ?? [];
    this.bySeq.delete(seq);
    return runs;
  }
}

type Inner = PlatformAdapter | (PlatformAdapter & TriggerCapable) | (PlatformAdapter & SequenceCapable);

/**
 * `workflows` by the trace function's action name; `viaTrigger`: the action names fired through
 * a trigger (only honoured where the platform has triggers: resolveInvokeVia decides).
 */
export function withWorkflows(
  inner: Inner,
  workflows: ReadonlyMap<string, Workflow>,
  viaTrigger: ReadonlySet<string>,
  recorder: StepRecorder,
): PlatformAdapter {
  const sequences = hasSequences(inner) ? inner : undefined;
  const triggers = hasTriggers(inner) ? inner : undefined;
  const firstStage = (wf: Workflow): FunctionSpec => ({ ...wf.fn, name: wf.stages[0].name });

  /** Runs one stage; puts each step's result in the recorder; returns the stage's result. */
  const runStage = async (
    stage: WorkflowStage,
    arrival: Arrival,
    signal: AbortSignal,
    fire: boolean,
  ): Promise<InvocationResult> => {
    const spec = { ...stage.steps[0].spec, name: stage.name };
    if (!stage.sequence) {
      const r =
        fire && triggers
          ? await triggers.fire(spec, arrival, signal)
          : await inner.invoke(spec, arrival, signal);
      recorder.put(arrival.seq, stage.steps[0].index, r);
      return r;
    }
    if (sequences) {
      let result: InvocationResult;
      let steps: InvocationResult[];
      if (fire && triggers) {
        result = await triggers.fire(spec, arrival, signal);
        steps = result.activationId ? await sequences.stepsOf(result.activationId, signal) : [];
      } else ({ result, steps } = await sequences.invokeSequence(spec, arrival, signal));
      steps.forEach((r, i) => {
        const step = stage.steps[i];
        if (step) recorder.put(arrival.seq, step.index, r);
      });
      return result;
    }
    // No sequences on this platform: the harness chains the steps.
    const [head, ...rest] = stage.steps;
    const first = await inner.invoke(head.spec, arrival, signal);
    recorder.put(arrival.seq, head.index, first);
    let last = first;
    for (const step of rest) {
      if (last.outcome !== 'ok') break;
      last = await inner.invoke(step.spec, arrival, signal);
      recorder.put(arrival.seq, step.index, last);
    }
    return { ...last, sentAtUs: first.sentAtUs };
  };

  return {
    kind: inner.kind,
    address: inner.address,
    async deploy(fns, signal) {
      const chosen = fns.map((f) => workflows.get(f.name)).filter((w): w is Workflow => w !== undefined);
      await inner.deploy(
        chosen.flatMap((wf) => wf.steps.map((s) => s.spec)),
        signal,
      );
      if (sequences) {
        for (const wf of chosen) {
          for (const stage of wf.stages) {
            if (stage.sequence)
              await sequences.deploySequence(
                stage.name,
                stage.steps.map((s) => s.spec.name),
                signal,
              );
          }
        }
      }
      const fired = chosen.filter((wf) => viaTrigger.has(wf.fn.name));
      if (triggers && fired.length > 0) await triggers.deployTriggers(fired.map(firstStage), signal);
    },
    async invoke(fn, arrival, signal) {
      const wf = workflows.get(fn.name);
      if (!wf) return inner.invoke(fn, arrival, signal);
      const a = workflowArrival(arrival, wf.shape);
      const [head, ...rest] = wf.stages;
      const first = await runStage(head, a, signal, viaTrigger.has(fn.name));
      if (first.outcome !== 'ok' || rest.length === 0)
        return workflowResult(first, [first], wf, recorder, arrival.seq);
      const others = await Promise.all(rest.map((stage) => runStage(stage, a, signal, false)));
      return workflowResult(first, [first, ...others], wf, recorder, arrival.seq);
    },
    ...(inner.warm ? { warm: inner.warm.bind(inner) } : {}),
    teardown: () => inner.teardown(),
  };
}

/** The workflow's result from its stages' (see the module comment). */
function workflowResult(
  first: InvocationResult,
  stages: readonly InvocationResult[],
  wf: Workflow,
  recorder: StepRecorder,
  seq: number,
): InvocationResult {
  const failed = stages.find((s) => s.outcome !== 'ok');
  const {
    waitMs: _w,
    waitReason: _r,
    initMs: _i,
    execMs: _e,
    instanceId: _n,
    cpuMs: _c,
    coldStart: _s,
    ...head
  } = first;
  // The replay takes the steps when it writes the row.
  const steps = recorder.peek(seq);
  const ranAll = wf.steps.every((s) => steps[s.index]?.outcome === 'ok');
  const result: InvocationResult = {
    ...head,
    outcome: failed ? failed.outcome : ranAll ? 'ok' : 'error',
    endedAtUs: Math.max(...stages.map((s) => s.endedAtUs)),
    coldStart: steps.some((s) => s?.coldStart === true),
  };
  delete result.error;
  delete result.failure;
  if (failed) {
    if (failed.error !== undefined) result.error = failed.error;
    if (failed.failure !== undefined) result.failure = failed.failure;
  } else if (!ranAll) {
    // The sequence answered, but a component's record could not be read back.
    result.error = 'a step of the workflow has no record';
    result.failure = 'platform';
  }
  return result;
}
