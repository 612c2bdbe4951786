import type { Argv } from 'yargs';
import { writeSchedule } from '../../run/schedule.js';
import { planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';

export const command = 'schedule <trace>';
export const describe = 'Plan a trace without firing it: write the plan as Parquet';

export function builder(y: Argv) {
  return planFlags(y)
    .options({
      out: { type: 'string', demandOption: true, describe: 'The plan file (.parquet)', group: 'Output:' },
      json: { type: 'boolean', default: false, describe: 'Print the result as JSON', group: 'Output:' },
    })
    .example('$0 schedule trace.csv --speed 10 --out plan.parquet', 'the plan of a replay, for a dry run');
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export async function handler(args: Args): Promise<void> {
  const errors: string[] = [];
  const options = toTracePlanOptions(args, errors);
  throwIfErrors(errors);
  const r = await writeSchedule({ ...options, out: args.out });
  process.stdout.write(
    args.json
      ? `${JSON.stringify(r)}\n`
      : `${r.rows} invocations of ${r.functions} functions over ${(r.spanUs / 1e6).toFixed(1)} s -> ${r.file}\n`,
  );
}
