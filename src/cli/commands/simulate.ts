import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Argv } from 'yargs';
import { DEFAULT_MEMORY_CLASSES_MB, parseMemoryClasses } from '../../embedded/local/memory.js';
import { FaasloadError } from '../../errors.js';
import { MODEL_DEFAULTS, type UnitKind } from '../../simulate/model.js';
import type { PolicyFactory } from '../../simulate/policy.js';
import { registerPolicy } from '../../simulate/registry.js';
import type { PlatformModelKind, SimulateOptions, SimulateResult } from '../../simulate/run.js';
import { messageOf } from '../../util/message.js';
import { dagFlags, toDagShape } from '../dag-flags.js';
import { durationFlag, planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';

export const command = 'simulate [trace]';
export const describe =
  'Run the plan through a modelled FaaS platform in virtual time: cold starts and idle memory per keep-alive policy';

export function builder(y: Argv) {
  return dagFlags(planFlags(y))
    .positional('trace', {
      type: 'string',
      demandOption: false,
      describe:
        'Trace file or folder (as replay); optional with --calibrate: the run\u2019s own trace and plan',
    })
    .options({
      policy: {
        type: 'string',
        array: true,
        describe:
          'Keep-alive policy, repeatable: fixed:<duration> (e.g. fixed:10m), no-unload, hybrid[:range=4h,bin=1m,head=5,tail=99,margin=0.1,cv=2,oob=0.5,min-samples=1,fallback=4h]. Default fixed:10m (with --calibrate: the run\u2019s keep-alive)',
        group: 'Policies:',
      },
      'policy-module': {
        type: 'string',
        array: true,
        describe:
          'A JavaScript module whose `policies` export maps kinds to factories (see docs/simulate.md)',
        group: 'Policies:',
      },
      unit: {
        choices: ['function', 'app'],
        default: 'function',
        describe:
          "What has instances: each function, or each application (the paper's model: an app loads whole)",
        group: 'Model:',
      },
    })
    .options({
      'cold-start': {
        type: 'string',
        describe: `Cold-start cost: the wait before a cold execution (default ${MODEL_DEFAULTS.coldStartMs}ms, or the run's with --calibrate)`,
        group: 'Model:',
      },
      'exec-overhead': {
        type: 'string',
        describe: "Added to every execution's planned duration (default 0, or the run's with --calibrate)",
        group: 'Model:',
      },
      concurrency: {
        type: 'string',
        default: String(MODEL_DEFAULTS.concurrency),
        describe:
          "Executions one instance runs at once; inf: one instance serves them all (the paper's model)",
        group: 'Model:',
      },
      'max-instances': {
        type: 'number',
        describe:
          'Instances at most: per unit (--platform-model ideal; past it invocations queue for a free slot; default no cap), or all functions together (local: default 64, as replay)',
        group: 'Model:',
      },
      'platform-model': {
        choices: ['ideal', 'local'],
        describe:
          "ideal: instances per unit, nothing shared across units; local: the embedded platform's capacity rules (pool memory, size classes, start slots, LRU eviction; docs/simulate.md). Default ideal, or local with --calibrate of an embedded-platform run",
        group: 'Model:',
      },
      'memory-classes': {
        type: 'string',
        describe: `--platform-model local: memory size classes (MB, ascending), as replay's (default ${DEFAULT_MEMORY_CLASSES_MB.join(',')}, or the run's)`,
        group: 'Model:',
      },
      'pool-memory': {
        type: 'number',
        describe:
          "--platform-model local: MB the size classes of live instances add up to at most (default half this host's memory, or the run's)",
        group: 'Model:',
      },
      'max-starting': {
        type: 'number',
        describe:
          '--platform-model local: cold starts under way at once, all functions together (default by --runtime: one per CPU for process, four for docker; or the run\u2019s)',
        group: 'Model:',
      },
      runtime: {
        choices: ['process', 'docker'],
        describe:
          "--platform-model local: the runtime whose default start slots apply (default process, or the run's)",
        group: 'Model:',
      },
      'default-memory': {
        type: 'number',
        default: MODEL_DEFAULTS.defaultMemoryMb,
        describe: 'Memory (MB) of invocations the trace gives none',
        group: 'Model:',
      },
    })
    .options({
      calibrate: {
        type: 'string',
        describe:
          "A replay's run folder: costs from its invocations.parquet, and its cold starts compared with the simulation's",
        group: 'Calibration:',
      },
      'calibrate-timing': {
        choices: ['measured', 'plan'],
        default: 'measured',
        describe:
          "--calibrate with --platform-model local: measured = each invocation as the run timed it (arrival with its lateness, execution, its cold start's init), so only the platform's rules are compared; plan = the plan's times and the run's median costs (a prediction)",
        group: 'Calibration:',
      },
      out: {
        type: 'string',
        describe: 'The output folder (new or empty); default results/<run-id>-sim',
        group: 'Output:',
      },
      invocations: {
        type: 'boolean',
        default: true,
        describe:
          'Write invocations.parquet, one row per invocation and policy (--no-invocations for whole days)',
        group: 'Output:',
      },
      json: { type: 'boolean', default: false, describe: 'Print the result as JSON', group: 'Output:' },
    })
    .options({
      figures: {
        type: 'boolean',
        default: true,
        describe: "Draw the paper's policy figures into <out>/figures (SVG + CSV + Vega-Lite)",
        group: 'Output:',
      },
    })
    .example(
      '$0 simulate trace-dir --policy fixed:10m --policy hybrid --out sim/',
      'the paper\u2019s comparison',
    )
    .example(
      '$0 simulate day/ --day 1 --no-invocations --policy fixed:5m --policy fixed:10m --policy fixed:20m --policy hybrid',
      'a keep-alive sweep on a whole Azure 2019 day',
    )
    .example(
      '$0 simulate --calibrate results/<run>',
      'costs from a real run, and simulated vs measured cold starts',
    );
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export async function handler(args: Args): Promise<void> {
  const errors: string[] = [];
  const coldUs = durationFlag(args['cold-start'], '--cold-start', errors);
  const overheadUs = durationFlag(args['exec-overhead'], '--exec-overhead', errors);
  if (
    args['max-instances'] !== undefined &&
    !(Number.isInteger(args['max-instances']) && args['max-instances'] > 0)
  ) {
    errors.push(`--max-instances: expected a positive integer, got ${args['max-instances']}`);
  }
  for (const flag of ['pool-memory', 'max-starting'] as const) {
    const v = args[flag];
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      errors.push(`--${flag}: expected a positive integer, got ${v}`);
  }
  let memoryClassesMb: number[] | undefined;
  if (args['memory-classes'] !== undefined) {
    try {
      memoryClassesMb = parseMemoryClasses(args['memory-classes']);
    } catch (e) {
      errors.push(messageOf(e));
    }
  }
  if (args.trace === undefined && args.calibrate === undefined)
    errors.push('name a trace, or a run with --calibrate');
  const options: SimulateOptions =
    args.trace !== undefined ? toTracePlanOptions({ ...args, trace: args.trace }, errors) : {};
  const dag = toDagShape(args, errors);
  throwIfErrors(errors);
  if (dag) options.dag = dag;
  for (const module of args['policy-module'] ?? []) await loadPolicyModule(module);
  Object.assign(options, {
    unit: args.unit as UnitKind,
    concurrency: args.concurrency === 'inf' ? Number.POSITIVE_INFINITY : Number(args.concurrency),
    defaultMemoryMb: args['default-memory'],
    invocations: args.invocations,
    figures: args.figures,
    commandLine: process.argv.slice(1),
    log: (line: string) => process.stderr.write(`${line}\n`),
  } satisfies SimulateOptions);
  if (args.policy) options.policies = args.policy;
  if (coldUs !== undefined) options.coldStartMs = coldUs / 1000;
  if (overheadUs !== undefined) options.execOverheadMs = overheadUs / 1000;
  if (args['max-instances'] !== undefined) options.maxInstances = args['max-instances'];
  if (args['platform-model'] !== undefined)
    options.platformModel = args['platform-model'] as PlatformModelKind;
  if (memoryClassesMb !== undefined) options.memoryClassesMb = memoryClassesMb;
  if (args['pool-memory'] !== undefined) options.poolMemoryMb = args['pool-memory'];
  if (args['max-starting'] !== undefined) options.maxStarting = args['max-starting'];
  if (args.runtime !== undefined) options.runtime = args.runtime as 'process' | 'docker';
  if (args.calibrate !== undefined) {
    options.calibrate = args.calibrate;
    options.calibrateTiming = args['calibrate-timing'] as 'measured' | 'plan';
  }
  if (args.out !== undefined) options.out = args.out;
  // Loaded here: its figures bring the plotting libraries, which other commands never need.
  const { simulate } = await import('../../simulate/run.js');
  const r = await simulate(options);
  process.stdout.write(args.json ? `${JSON.stringify(jsonResult(r))}\n` : formatResult(r));
}

/** Imports a module and registers each entry of its `policies` export. */
async function loadPolicyModule(path: string): Promise<void> {
  let mod: { policies?: Record<string, PolicyFactory> };
  try {
    mod = await import(pathToFileURL(resolve(path)).href);
  } catch (err) {
    throw new FaasloadError('E_USAGE', `--policy-module ${path}: cannot import it (${messageOf(err)})`, {
      cause: err,
    });
  }
  const entries = Object.entries(mod.policies ?? {});
  if (entries.length === 0 || entries.some(([, f]) => typeof f !== 'function')) {
    throw new FaasloadError(
      'E_USAGE',
      `--policy-module ${path}: expected an export \`policies\` mapping kinds to factory functions`,
    );
  }
  for (const [kind, factory] of entries) registerPolicy(kind, factory);
}

function jsonResult(r: SimulateResult) {
  const { manifest: _m, ...rest } = r;
  return rest;
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);

export function formatResult(r: SimulateResult): string {
  const lines = [
    `${r.invocations} ${r.workflows ? 'step invocations' : 'invocations'} of ${r.functions} functions simulated in ${r.simulateSeconds.toFixed(1)} s -> ${r.dir}`,
    '',
    'policy                      cold starts   app p75   wasted memory (GB x h)   normalised',
  ];
  for (const p of r.policies) {
    lines.push(
      `${p.policy.padEnd(28)}${pct(p.coldStartShare).padStart(11)}${(p.appColdStartPctP75 === null ? '-' : `${p.appColdStartPctP75.toFixed(1)}%`).padStart(10)}${(p.wastedMemoryMbS / 1024 / 3600).toFixed(2).padStart(25)}${(p.wastedMemoryNormalized === null ? '-' : p.wastedMemoryNormalized.toFixed(3)).padStart(13)}`,
    );
  }
  lines.push('', `wasted memory normalised to ${r.policies[0]?.normalizedTo ?? '-'}`);
  const c = r.calibration;
  if (c) {
    lines.push(
      '',
      `calibrated on ${c.run}: cold start ${c.coldStartMs.toFixed(1)} ms, execution overhead ${c.execOverheadMs.toFixed(1)} ms`,
      `cold starts (${c.policy}): measured ${c.measuredColdStarts}/${c.measuredInvocations} (${pct(c.measuredShare)}), simulated ${c.simulatedColdStarts}/${c.simulatedInvocations} (${pct(c.simulatedShare)}); mean |difference| per function ${pct(c.meanAbsShareError)} over ${c.functionsCompared} functions`,
      `same cold-start count for ${c.functionsSameCount} of ${c.functionsCompared} functions (${pct(c.sameCountShare)}); total ${c.coldStartError >= 0 ? '+' : ''}${(100 * c.coldStartError).toFixed(1)}%`,
    );
  }
  for (const w of r.workflows ?? []) {
    const q = w.latencyUs;
    const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
    lines.push(
      '',
      `workflows (${w.policy}): ${w.workflows} workflows, ${w.steps} steps (${w.stepsRun} ran, ${w.coldSteps} cold); ${w.completed} complete`,
      q
        ? `workflow latency (entry arrival to last step's end): p50 ${ms(q.p50)}, p99 ${ms(q.p99)}, p99.9 ${ms(q.p999)}, max ${ms(q.max)}`
        : 'workflow latency: no workflow completed',
    );
  }
  return `${lines.join('\n')}\n`;
}
