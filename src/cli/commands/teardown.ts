import type { Argv } from 'yargs';
import { teardownDeployed } from '../../run/deploy.js';
import { openwhiskFlags, toOpenWhiskOptions } from '../openwhisk-flags.js';
import { throwIfErrors } from '../plan-flags.js';

export const command = 'teardown';
export const describe =
  "Delete from an OpenWhisk namespace every action faasload deployed (or a manifest's packages and actions)";

export function builder(y: Argv) {
  return openwhiskFlags(y)
    .options({
      manifest: {
        type: 'string',
        describe: "Delete this wskdeploy-style manifest's actions and packages",
        group: 'OpenWhisk platform:',
      },
    })
    .example('$0 teardown --apihost http://127.0.0.1:3233 --auth UUID:KEY', 'clean a namespace');
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export async function handler(args: Args): Promise<void> {
  const errors: string[] = [];
  const openwhisk = toOpenWhiskOptions(args, errors);
  throwIfErrors(errors);
  const r = await teardownDeployed({
    openwhisk,
    ...(args.manifest !== undefined ? { manifest: args.manifest } : {}),
  });
  process.stdout.write(`deleted ${r.actions.length} actions from ${r.address}\n`);
}
