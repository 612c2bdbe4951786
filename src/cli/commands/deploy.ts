import type { Argv } from 'yargs';
import { FaasloadError } from '../../errors.js';
import { deployManifest, deployPlan } from '../../run/deploy.js';
import { openwhiskFlags, toOpenWhiskOptions } from '../openwhisk-flags.js';
import { planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';

export const command = 'deploy [trace]';
export const describe =
  "Create on an OpenWhisk the actions a replay of this trace needs (replay's names and limits), or a manifest's";

export function builder(y: Argv) {
  return openwhiskFlags(planFlags(y))
    .options({
      manifest: {
        type: 'string',
        describe:
          'Deploy a wskdeploy-style manifest (YAML: packages, actions with code file, runtime, limits) instead of a trace',
        group: 'OpenWhisk platform:',
      },
    })
    .example(
      '$0 deploy azure2019/ --functions 50 --apihost http://127.0.0.1:3233 --auth UUID:KEY',
      'the 50 representative functions, as actions',
    )
    .example('$0 deploy --manifest manifest.yaml', "a manifest's packages and actions");
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export async function handler(args: Args): Promise<void> {
  const errors: string[] = [];
  if ((args.trace === undefined) === (args.manifest === undefined)) {
    throw new FaasloadError('E_USAGE', 'deploy needs a trace or --manifest FILE (one of them)');
  }
  const openwhisk = toOpenWhiskOptions(args, errors);
  if (args.manifest !== undefined) {
    throwIfErrors(errors);
    const r = await deployManifest(args.manifest, { openwhisk });
    for (const n of r.notices) process.stderr.write(`${n}\n`);
    process.stdout.write(`deployed ${r.actions.length} actions to ${r.address}\n`);
    return;
  }
  const options = toTracePlanOptions({ ...args, trace: args.trace as string }, errors);
  throwIfErrors(errors);
  const r = await deployPlan({ ...options, openwhisk });
  for (const n of r.notices) process.stderr.write(`${n}\n`);
  process.stdout.write(`deployed ${r.actions.length} actions to ${r.address}\n`);
}
