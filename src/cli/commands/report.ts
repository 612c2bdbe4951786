import type { Argv } from 'yargs';
import { formatTraceFigures, writeTraceFigures } from '../../report/trace-figures.js';
import { readTrace } from '../../trace/read.js';
import { throwIfErrors, toTraceOptions, traceFlags } from '../plan-flags.js';

/**
 * `faasload trace figures`: registered under `trace` (see trace.ts) and kept here with the other
 * report commands. Reads the trace with the usual trace flags, writes the figures to --out.
 */
export const traceFiguresCommand = {
  command: 'figures <trace>',
  describe:
    'Draw the characterization figures of "Serverless in the Wild" (ATC 2020) from a trace: SVG, PNG, CSV and Vega-Lite spec each',
  builder: (y: Argv) =>
    traceFlags(y)
      .options({
        out: { type: 'string', demandOption: true, describe: 'Folder for the figures (created if missing)' },
      })
      .options({ png: { type: 'boolean', default: true, describe: 'Also write PNGs (--no-png: SVG only)' } })
      .example('$0 trace figures traces/azure2019-day1 --out figs/', 'seven figures, 4 files each'),
  handler: async (
    args: Awaited<ReturnType<ReturnType<typeof traceFlags>['parseAsync']>> & { out: string; png: boolean },
  ) => {
    const errors: string[] = [];
    const { trace, ...read } = toTraceOptions(args, errors);
    throwIfErrors(errors);
    const result = await writeTraceFigures(await readTrace(trace, read), args.out, { png: args.png });
    process.stdout.write(`${formatTraceFigures(result)}\n`);
  },
};
