import type { Argv } from 'yargs';
import { formatTraceSummary, inspectTrace } from '../../report/inspect.js';
import { readTrace } from '../../trace/read.js';
import { spreadFlags, throwIfErrors, toSpreadOptions, toTraceOptions, traceFlags } from '../plan-flags.js';
import { traceFiguresCommand } from './report.js';
import * as synth from './trace-synth.js';

export const command = 'trace <command>';
export const describe = 'Look at traces: inspect one, draw its figures, or synthesize one';

const inspectBuilder = (y: Argv) =>
  spreadFlags(traceFlags(y)).options({
    json: { type: 'boolean', default: false, describe: 'Print JSON for scripts' },
  });

const inspect = {
  command: 'inspect <trace>',
  describe:
    'Print the shape of a trace: functions, span, invocations, rates, durations, memory, and the per-second peak of its plan',
  builder: inspectBuilder,
  handler: async (args: Awaited<ReturnType<ReturnType<typeof inspectBuilder>['parseAsync']>>) => {
    const errors: string[] = [];
    const { trace, ...read } = toTraceOptions(args, errors);
    const spread = toSpreadOptions(args, errors);
    throwIfErrors(errors);
    const summary = inspectTrace(await readTrace(trace, read), spread);
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `${formatTraceSummary(summary)}\n`);
  },
};

export function builder(y: Argv) {
  return y
    .command(inspect)
    .command(traceFiguresCommand)
    .command(synth)
    .demandCommand(1, 'Name a trace command: inspect, figures or synth');
}

export function handler(): void {}
