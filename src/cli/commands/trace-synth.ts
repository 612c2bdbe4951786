import type { Argv } from 'yargs';
import { FaasloadError } from '../../errors.js';
import { parseDays } from '../../trace/days.js';
import { SYNTHETIC_LIKE, type SyntheticTraceOptions, writeSyntheticTrace } from '../../trace/synth-files.js';

/**
 * `faasload trace synth`: writes a synthetic trace. A subcommand of `trace`: register it inside
 * the `trace` command's builder, e.g.
 * `y.command('trace <command>', 'Trace tools', (t) => t.command(traceSynth).demandCommand(1))`.
 */
export const command = 'synth';
export const describe = 'Write a synthetic trace in a public format (Azure 2019 raw days, Azure 2021)';

export function builder(y: Argv) {
  return y
    .options({
      format: {
        choices: ['azure2019', 'azure2021'] as const,
        default: 'azure2019' as const,
        describe: 'azure2019: raw dNN files, streamed to disk; azure2021: one CSV',
      },
      like: {
        choices: SYNTHETIC_LIKE,
        describe:
          'azure2019: a day whose marginals match "Serverless in the Wild" (functions per app, triggers, app rates, diurnal baseline, IAT CV, execution time, memory); see docs/traces.md',
      },
      functions: { type: 'number', default: 46_000, describe: 'Number of functions' },
      minutes: {
        type: 'number',
        default: 1440,
        describe: 'Minutes: per day (azure2019) or the span of the arrivals (azure2021)',
      },
      seed: { type: 'number', default: 1, describe: 'Seed: the same flags and seed make the same bytes' },
      out: { type: 'string', demandOption: true, describe: 'Folder to write into (made if missing)' },
      day: {
        type: 'string',
        default: '1',
        describe: 'azure2019: the days to write, e.g. 1, 1-3, 1,4 (days share their functions)',
      },
      apps: {
        type: 'number',
        describe: 'Number of apps; default functions / 2.5 (with --like: from the paper)',
      },
      invocations: { type: 'number', describe: 'azure2021: number of rows; default 20 per function' },
      json: { type: 'boolean', default: false, describe: 'Print the summary as JSON on stdout' },
    })
    .example(
      '$0 trace synth --out synthetic-day',
      'a full synthetic Azure 2019 day (46,000 functions, ~140 MB)',
    )
    .example(
      '$0 trace synth --like azure2019 --out paper-day',
      "a day shaped like the paper's: 46,000 functions, ~440 M invocations",
    )
    .example(
      '$0 trace synth --functions 200 --minutes 60 --day 1-3 --out traces/small',
      'three small days, read back with --day 1-3',
    );
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

/** Maps flags to SyntheticTraceOptions, reporting every bad value at once. */
export function toSyntheticTraceOptions(args: Args): SyntheticTraceOptions {
  const errors: string[] = [];
  const positive = (name: string, v: number | undefined) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      errors.push(`--${name} must be a positive integer, not ${v}`);
  };
  positive('functions', args.functions);
  positive('minutes', args.minutes);
  positive('apps', args.apps);
  positive('invocations', args.invocations);
  if (!Number.isInteger(args.seed)) errors.push(`--seed must be an integer, not ${args.seed}`);
  let days: number[] = [];
  try {
    days = parseDays(args.day);
  } catch (err) {
    errors.push(`--day: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (args.format !== 'azure2019' && args.day !== '1')
    errors.push('--day applies to --format azure2019 only');
  if (args.format !== 'azure2021' && args.invocations !== undefined && args.like === undefined) {
    errors.push('--invocations applies to --format azure2021 only');
  }
  if (errors.length > 0) throw new FaasloadError('E_USAGE', errors.join('; '));
  return {
    format: args.format,
    seed: args.seed,
    functions: args.functions,
    minutes: args.minutes,
    outDir: args.out,
    days,
    ...(args.apps === undefined ? {} : { apps: args.apps }),
    ...(args.invocations === undefined ? {} : { invocations: args.invocations }),
    ...(args.like === undefined ? {} : { like: args.like }),
  };
}

export async function handler(args: Args): Promise<void> {
  const summary = await writeSyntheticTrace(toSyntheticTraceOptions(args));
  if (args.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const mb = (summary.bytes / 1e6).toFixed(1);
  process.stdout.write(
    `${summary.format}${summary.like ? ` (like ${summary.like})` : ''}: ${summary.functions} functions, ${summary.apps === undefined ? '' : `${summary.apps} apps, `}${summary.invocations} invocations, ${mb} MB\n${summary.files.join('\n')}\n`,
  );
}
