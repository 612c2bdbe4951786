import type { Argv } from 'yargs';
import { LOCAL_PLATFORM_DEFAULTS as DEFAULTS } from '../../embedded/local/options.js';
import { formatPlanLoad } from '../../report/plan-load.js';
import { scheduleCapacity, writeSchedule } from '../../run/schedule.js';
import { poolFlags, toPoolOptions } from '../capacity-flags.js';
import { durationFlag, planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';

export const command = 'schedule <trace>';
export const describe = 'Plan a trace without firing it: write the plan as Parquet, or report its load';

export function builder(y: Argv) {
  return poolFlags(planFlags(y), 'Needs (--capacity):')
    .options({
      out: { type: 'string', describe: 'The plan file (.parquet)', group: 'Output:' },
      capacity: {
        type: 'boolean',
        default: false,
        describe:
          'Report what the plan asks: per second (mean, peak and its second, peak/mean), and its needs on the embedded platform (peak cores of function work per minute, instances and memory under --keep-alive, cold starts per second) against this machine, with the --scale that fits; without writing it. With --out, write it too',
        group: 'Output:',
      },
      'keep-alive': {
        type: 'string',
        default: `${DEFAULTS.keepAliveMs / 60_000}m`,
        describe: "--capacity: idle time before an instance is removed, as replay's --keep-alive",
        group: 'Needs (--capacity):',
      },
      'max-instances': {
        type: 'number',
        default: DEFAULTS.maxInstances,
        describe: "--capacity: instances alive at most, as replay's --max-instances",
        group: 'Needs (--capacity):',
      },
      json: { type: 'boolean', default: false, describe: 'Print the result as JSON', group: 'Output:' },
    })
    .example('$0 schedule trace.csv --speed 10 --out plan.parquet', 'the plan of a replay, for a dry run')
    .example('$0 schedule trace.csv --capacity', 'its arrivals per second and its needs: does it fit here?');
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export async function handler(args: Args): Promise<void> {
  const errors: string[] = [];
  const options = toTracePlanOptions(args, errors);
  const pool = toPoolOptions(args, errors);
  const keepAliveUs = durationFlag(args['keep-alive'], '--keep-alive', errors);
  if (!(Number.isInteger(args['max-instances']) && args['max-instances'] > 0))
    errors.push(`--max-instances: expected a positive integer, got ${args['max-instances']}`);
  if (args.out === undefined && !args.capacity)
    errors.push('name the plan file with --out, or ask --capacity');
  throwIfErrors(errors);
  const settings = {
    keepAliveMs: (keepAliveUs ?? DEFAULTS.keepAliveMs * 1000) / 1000,
    maxInstances: args['max-instances'],
    memoryClassesMb: pool.memoryClassesMb,
    poolMemoryMb: pool.poolMemoryMb,
  };
  const capacity = args.capacity ? await scheduleCapacity(options, settings) : undefined;
  const written = args.out === undefined ? undefined : await writeSchedule({ ...options, out: args.out });
  const r = written ?? capacity;
  if (!r) return;
  const lines = [
    `${r.rows} invocations of ${r.functions} functions over ${(r.spanUs / 1e6).toFixed(1)} s${written ? ` -> ${written.file}` : ''}`,
  ];
  if (capacity) lines.push(`per second: ${formatPlanLoad(capacity.load)}`, ...capacity.lines);
  const json = {
    rows: r.rows,
    functions: r.functions,
    spanUs: r.spanUs,
    ...(written ? { file: written.file, load: written.load } : {}),
    ...(capacity ? { load: capacity.load, needs: capacity.needs } : {}),
  };
  process.stdout.write(args.json ? `${JSON.stringify(json)}\n` : `${lines.join('\n')}\n`);
}
