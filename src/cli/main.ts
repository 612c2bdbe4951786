import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { VERSION } from '../version.js';
import * as datasetCommand from './commands/dataset.js';
import * as deployCommand from './commands/deploy.js';
import * as generateCommand from './commands/generate.js';
import * as platformCommand from './commands/platform.js';
import * as replayCommand from './commands/replay.js';
import * as reportCommand from './commands/report.js';
import * as scheduleCommand from './commands/schedule.js';
import * as simulateCommand from './commands/simulate.js';
import * as teardownCommand from './commands/teardown.js';
import * as traceCommand from './commands/trace.js';
import { reportError } from './exit-codes.js';

/** The CLI: thin commands over the exported functions; errors become exit codes in one place. */
export async function main(argv: string[]): Promise<number> {
  try {
    await yargs(argv)
      .scriptName('faasload')
      .version(VERSION)
      .command(replayCommand)
      .command(scheduleCommand)
      .command(simulateCommand)
      .command(generateCommand)
      .command(traceCommand)
      .command(reportCommand)
      .command(deployCommand)
      .command(teardownCommand)
      .command(platformCommand)
      .command(datasetCommand)
      .demandCommand(
        1,
        'Name a command: replay, schedule, trace, generate, simulate, report, dataset, platform, deploy or teardown',
      )
      .strict()
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .fail((message, err) => {
        throw err ?? new UsageError(message);
      })
      .parseAsync();
    // A command that finished but did not complete its work (a stopped replay) says so here.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`faasload: ${err.message}\nRun 'faasload --help' for the commands and flags.\n`);
      return 2;
    }
    return reportError(err, (text) => process.stderr.write(text));
  }
}

class UsageError extends Error {}

/** Entry point of bin/faasload.js. */
export async function run(): Promise<void> {
  const code = await main(hideBin(process.argv));
  // Exit even if a library keeps a handle open: the dataset and manifest are already written.
  process.stdout.write('', () => process.exit(code));
}
