/**
 * Step 4 of a simulation: the plan through the models, all policies in one pass (the plan is
 * pure: a second pass over it gives the same arrivals). Ideal models run window by window, sorted
 * by group; the local model in plan order, its results read back in a second pass; with
 * workflows, each policy's own pass, its timings deciding when steps arrive.
 */
import type { Row, TableWriter } from '../dataset/table-writer.js';
import type { Plan } from '../schedule/plan.js';
import { BatchResults, type SimulationModel } from './model.js';
import type { Models } from './models.js';
import type { Simulation } from './options.js';
import { GroupWindow } from './window.js';
import { type expandWorkflows, runWorkflowsIdeal, workflowTables } from './workflows.js';

/** Rows handed to the per-invocation table at once. */
const ROWS_PER_ADD = 8192;

export interface PassResult {
  /** Invocations simulated (per policy). */
  count: number;
  /** With workflows: each policy's tables. */
  workflowTablesOf: ReturnType<typeof workflowTables>[];
}

export async function simulatePass(
  s: Simulation,
  plan: Plan,
  m: Models,
  workflows: ReturnType<typeof expandWorkflows> | undefined,
  perInvocation: TableWriter | undefined,
): Promise<PassResult> {
  if (workflows) {
    const result = workflowPass(s, plan, m, workflows);
    for (const sim of m.sims) sim.finish();
    return result;
  }
  const window = new GroupWindow(m.units.groupOfFunction, m.units.groupNames.length);
  const out = perInvocation
    ? new InvocationRows(
        perInvocation,
        window,
        m.simFunctions.map((f) => f.id),
      )
    : undefined;
  const count = await windowPass(plan, m, window, out);
  for (const sim of m.sims) sim.finish();
  if (m.planOrder && out) await planOrderRows(plan, m, window, out);
  return { count, workflowTablesOf: [] };
}

/** Each policy's own pass over the plan: its timings decide when steps arrive. */
function workflowPass(
  s: Simulation,
  plan: Plan,
  m: Models,
  workflows: ReturnType<typeof expandWorkflows>,
): PassResult {
  let count = 0;
  const workflowTablesOf: ReturnType<typeof workflowTables>[] = [];
  for (let k = 0; k < m.sims.length; k++) {
    const sim = m.sims[k]!;
    const outcome =
      s.platformModel === 'local'
        ? m.drivers[k]!.run(m.platformSims[k]!, plan.arrivals())
        : runWorkflowsIdeal(m.idealSims[k]!, workflows, plan.arrivals(), s.model.coldStartMs * 1000);
    count += outcome.arrivals.length;
    workflowTablesOf.push(workflowTables(sim.policy.name, workflows, outcome));
  }
  return { count, workflowTablesOf };
}

/** The plan window by window through every model; the ideal models' rows written as it goes. */
async function windowPass(
  plan: Plan,
  m: Models,
  window: GroupWindow,
  out: InvocationRows | undefined,
): Promise<number> {
  const results = new BatchResults();
  let count = 0;
  const runWindow = async () => {
    if (window.length === 0) return;
    const n = window.length;
    if (m.planOrder) {
      // Functions interact: plan order; results are read back in a second pass (planOrderRows).
      for (const sim of m.platformSims)
        sim.run(window.fn, window.atUs, window.durationMs, window.memoryMb, n);
      count += n;
      window.clear();
      return;
    }
    window.sortByGroup();
    const s = window.sorted;
    for (const sim of m.sims) {
      sim.run(s.fn, s.atUs, s.durationMs, s.memoryMb, n, out ? results : undefined);
      if (!out) continue;
      const inPlanOrder = out.inPlanOrder;
      inPlanOrder.reserve(n);
      for (let k = 0; k < n; k++) {
        const at = s.position[k]!;
        inPlanOrder.cold[at] = results.cold[k]!;
        inPlanOrder.waitUs[at] = results.waitUs[k]!;
        inPlanOrder.execUs[at] = results.execUs[k]!;
        inPlanOrder.instance[at] = results.instance[k]!;
      }
      await out.write(sim, inPlanOrder);
    }
    count += n;
    window.clear();
  };
  for (const b of plan.batches({ reuse: true })) {
    window.add(b);
    if (window.full) await runWindow();
  }
  await runWindow();
  return count;
}

/** The plan again, each window's rows with the results kept by the local models. */
async function planOrderRows(plan: Plan, m: Models, window: GroupWindow, out: InvocationRows): Promise<void> {
  let done = 0;
  const flush = async () => {
    for (const sim of m.platformSims) {
      sim.resultsOf(done, window.length, out.inPlanOrder);
      await out.write(sim, out.inPlanOrder);
    }
    done += window.length;
    window.clear();
  };
  for (const b of plan.batches({ reuse: true })) {
    window.add(b);
    if (window.full) await flush();
  }
  if (window.length > 0) await flush();
}

/** The per-invocation table: one policy's results of a window, in plan order, as rows. */
class InvocationRows {
  /** One window's results of one policy, back in plan order. */
  readonly inPlanOrder = new BatchResults();
  private readonly rows: Row[] = [];

  constructor(
    private readonly writer: TableWriter,
    private readonly window: GroupWindow,
    private readonly ids: readonly string[],
  ) {}

  async write(sim: SimulationModel, r: BatchResults): Promise<void> {
    const { window, rows, ids } = this;
    const n = window.length;
    for (let from = 0; from < n; from += ROWS_PER_ADD) {
      const to = Math.min(n, from + ROWS_PER_ADD);
      for (let k = from; k < to; k++) {
        let row = rows[k - from];
        if (row === undefined) {
          row = {};
          rows[k - from] = row;
        }
        row.policy = sim.policy.name;
        row.seq = window.seq + k;
        row.function = ids[window.fn[k]!];
        row.scheduled_us = window.atUs[k];
        row.cold_start = r.cold[k] === 1;
        row.wait_ms = r.waitUs[k]! / 1000;
        row.exec_ms = r.execUs[k]! / 1000;
        row.instance_id = r.instance[k];
      }
      rows.length = to - from;
      this.writer.add(rows);
      await this.writer.writable();
    }
  }
}
