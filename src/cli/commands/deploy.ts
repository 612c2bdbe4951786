import type { Argv } from 'yargs';
import { deployPlan } from '../../run/deploy.js';
import { openwhiskFlags, toOpenWhiskOptions } from '../openwhisk-flags.js';
import { planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';

export const command = 'deploy <trace>';
export const describe =
  "Create on an OpenWhisk the actions a replay of this trace needs (replay's names and limits)";

export function builder(y: Argv) {
  return openwhiskFlags(planFlags(y)).example(
    '$0 deploy azure2019/ --functions 50 --apihost http://127.0.0.1:3233 --auth UUID:KEY',
    'the 50 representative functions, as actions',
  );
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export async function handler(args: Args): Promise<void> {
  const errors: string[] = [];
  const options = toTracePlanOptions(args, errors);
  const openwhisk = toOpenWhiskOptions(args, errors);
  throwIfErrors(errors);
  const r = await deployPlan({ ...options, openwhisk });
  for (const n of r.notices) process.stderr.write(`${n}\n`);
  process.stdout.write(`deployed ${r.actions.length} actions to ${r.address}\n`);
}
