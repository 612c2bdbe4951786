import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { DEPLOY_KINDS, teardownDeployed } from '../../run/deploy.js';
import { knativeFlags, toKnativeOptions } from '../knative-flags.js';
import { openfaasFlags, toOpenFaasOptions } from '../openfaas-flags.js';
import { openwhiskFlags, toOpenWhiskOptions } from '../openwhisk-flags.js';
import { throwIfErrors } from '../plan-flags.js';

export const command = 'teardown';
export const describe =
  "Delete what faasload deployed: an OpenWhisk namespace's actions (or a manifest's), OpenFaaS functions, Knative Services";

export function builder(y: Argv) {
  return openfaasFlags(knativeFlags(openwhiskFlags(y)))
    .options({
      platform: {
        choices: DEPLOY_KINDS,
        default: 'openwhisk' as const,
        describe:
          'Where: OpenWhisk (actions annotated faasload), OpenFaaS (functions labelled faasload=true), Knative (kubectl delete of --knative-manifests)',
        group: 'Platform:',
      },
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
  const knative = args.platform === 'knative' ? toKnativeOptions(args, errors) : undefined;
  const openfaas =
    args.platform === 'openfaas'
      ? toOpenFaasOptions(args, errors, (f) => readFileSync(f, 'utf8'))
      : undefined;
  throwIfErrors(errors);
  const r = await teardownDeployed({
    platform: args.platform,
    openwhisk,
    ...(knative ? { knative } : {}),
    ...(openfaas ? { openfaas } : {}),
    ...(args.manifest !== undefined ? { manifest: args.manifest } : {}),
  });
  process.stdout.write(`deleted ${r.actions.length} actions from ${r.address}\n`);
}
