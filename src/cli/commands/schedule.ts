import type { Argv } from 'yargs';
import { formatPlanLoad } from '../../report/plan-load.js';
import { scheduleCapacity, writeSchedule } from '../../run/schedule.js';
import { planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';

export const command = 'schedule <trace>';
export const describe = 'Plan a trace without firing it: write the plan as Parquet, or report its load';

export function builder(y: Argv) {
  return planFlags(y)
    .options({
      out: { type: 'string', describe: 'The plan file (.parquet)', group: 'Output:' },
      capacity: {
        type: 'boolean',
        default: false,
        describe:
          'Report what the plan asks per second (mean, peak and its second, peak/mean) without writing it; with --out, write it too',
        group: 'Output:',
      },
      json: { type: 'boolean', default: false, describe: 'Print the result as JSON', group: 'Output:' },
    })
    .example('$0 schedule trace.csv --speed 10 --out plan.parquet', 'the plan of a replay, for a dry run')
    .example('$0 schedule trace.csv --capacity', 'its arrivals per second: is there a burst?');
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export async function handler(args: Args): Promise<void> {
  const errors: string[] = [];
  const options = toTracePlanOptions(args, errors);
  if (args.out === undefined && !args.capacity)
    errors.push('name the plan file with --out, or ask --capacity');
  throwIfErrors(errors);
  const r =
    args.out === undefined
      ? await scheduleCapacity(options)
      : await writeSchedule({ ...options, out: args.out });
  const lines = [
    `${r.rows} invocations of ${r.functions} functions over ${(r.spanUs / 1e6).toFixed(1)} s${'file' in r ? ` -> ${r.file}` : ''}`,
  ];
  if (args.capacity) lines.push(`per second: ${formatPlanLoad(r.load)}`);
  process.stdout.write(args.json ? `${JSON.stringify(r)}\n` : `${lines.join('\n')}\n`);
}
