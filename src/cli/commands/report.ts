import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { FaasloadError } from '../../errors.js';
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
        out: {
          type: 'string',
          describe: 'Folder for the figures (created if missing); optional with --json',
        },
      })
      .options({ png: { type: 'boolean', default: true, describe: 'Also write PNGs (--no-png: SVG only)' } })
      .options({
        json: {
          type: 'boolean',
          default: false,
          describe:
            'Print the statistics behind each figure as JSON, beside the numbers the paper publishes (docs/traces.md)',
        },
      })
      .example('$0 trace figures traces/azure2019-day1 --out figs/', 'seven figures, 4 files each')
      .example(
        '$0 trace figures paper-day --json',
        "the shares and fits behind the figures, and the paper's",
      ),
  handler: async (
    args: Awaited<ReturnType<ReturnType<typeof traceFlags>['parseAsync']>> & {
      out?: string;
      png: boolean;
      json: boolean;
    },
  ) => {
    const errors: string[] = [];
    const { trace: path, ...read } = toTraceOptions(args, errors);
    if (args.out === undefined && !args.json)
      errors.push('name a folder for the figures (--out DIR), or ask for --json');
    throwIfErrors(errors);
    // Figures load the plotting libraries: only when a figure is asked for (start-up of the rest).
    const { formatTraceFigures, traceFunctionStats, writeTraceFigures } = await import(
      '../../report/trace-figures.js'
    );
    const { traceFiguresJson } = await import('../../report/trace-stats.js');
    const trace = await readTrace(path, read);
    const stats = traceFunctionStats(trace);
    const result =
      args.out === undefined ? undefined : await writeTraceFigures(trace, args.out, { png: args.png, stats });
    if (args.json) process.stdout.write(`${JSON.stringify(traceFiguresJson(trace, stats), null, 2)}\n`);
    else if (result !== undefined) process.stdout.write(`${formatTraceFigures(result)}\n`);
  },
};

/** Opens a file with the desktop's viewer; a failure is a note on stderr, never an error. */
function openFile(path: string): void {
  const [cmd, args]: [string, string[]] =
    process.platform === 'darwin'
      ? ['open', [path]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', path]]
        : ['xdg-open', [path]];
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  child.on('error', (err) => process.stderr.write(`faasload: could not open ${path}: ${err.message}\n`));
  child.unref();
}

const pngFlag = {
  png: { type: 'boolean', default: true, describe: 'Also write a PNG of each figure (--no-png: faster)' },
} as const;
const openFlag = {
  open: { type: 'boolean', default: false, describe: 'Open the report in the default browser' },
} as const;

const runReport = {
  command: '$0 <run>',
  describe: 'Write <run>/report.html and <run>/figures/, and print the summary',
  builder: (y: Argv) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'A run folder (results/<run-id>)' })
      .options(openFlag)
      .options(pngFlag),
  handler: async (args: { run: string; open: boolean; png: boolean }) => {
    const { writeRunReport } = await import('../../report/html-report.js');
    const result = await writeRunReport(args.run, { png: args.png });
    process.stdout.write(`${result.text}\n`);
    if (args.open) openFile(result.html);
  },
};

const compareReport = {
  command: 'compare <runs..>',
  describe: 'Overlay the figures of several runs: <out>/compare.html and <out>/figures/',
  builder: (y: Argv) =>
    y
      .positional('runs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Two run folders or more',
      })
      .options({
        out: {
          type: 'string',
          describe: 'Folder for the comparison (default: compare-<time> beside the first run)',
        },
      })
      .options(openFlag)
      .options(pngFlag),
  handler: async (args: { runs: string[]; out?: string; open: boolean; png: boolean }) => {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const [first] = args.runs;
    if (first === undefined)
      throw new FaasloadError('E_USAGE', 'report compare: name two run folders or more');
    const out = args.out ?? join(first, '..', `compare-${stamp}`);
    const { writeCompareReport } = await import('../../report/html-report.js');
    const result = await writeCompareReport(args.runs, out, { png: args.png });
    process.stdout.write(`${result.text}\n`);
    if (args.open) openFile(result.html);
  },
};

/** `faasload report <run>` and `faasload report compare <run> <run>...`. */
export const command = 'report';
export const describe =
  "report <run>: report.html with the run's summary and figures; report compare <run> <run>...: runs overlaid";

export function builder(y: Argv) {
  return y
    .command(compareReport)
    .command(runReport)
    .example('$0 report results/<run-id> --open', 'report.html beside the dataset')
    .example('$0 report compare results/a results/b --out cmp/', 'the figures of both runs overlaid');
}

export function handler(): void {}
