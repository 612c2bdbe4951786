import type { Argv } from 'yargs';
import { formatTraceSummary, inspectTrace } from '../../report/inspect.js';
import { readTrace } from '../../trace/read.js';
import { TRACE_FORMATS, type TraceFormat } from '../../trace/types.js';

export const command = 'trace <command>';
export const describe = 'Look at traces: inspect one, or synthesize one';

const inspect = {
  command: 'inspect <trace>',
  describe: 'Print the shape of a trace: functions, span, invocations, rates, durations, memory',
  builder: (y: Argv) =>
    y.positional('trace', { type: 'string', demandOption: true, describe: 'Trace file or folder' }).options({
      format: { choices: ['auto', ...TRACE_FORMATS], default: 'auto', describe: 'Trace format' },
      json: { type: 'boolean', default: false, describe: 'Print JSON for scripts' },
    }),
  handler: async (args: { trace: string; format: string; json: boolean }) => {
    const summary = inspectTrace(
      await readTrace(args.trace, { format: args.format as TraceFormat | 'auto' }),
    );
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `${formatTraceSummary(summary)}\n`);
  },
};

export function builder(y: Argv) {
  return y.command(inspect).demandCommand(1, 'Name a trace command: inspect');
}

export function handler(): void {}
