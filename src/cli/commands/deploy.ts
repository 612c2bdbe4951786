import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { FaasloadError } from '../../errors.js';
import { DEPLOY_KINDS, deployManifest, deployPlan } from '../../run/deploy.js';
import { knativeFlags, toKnativeOptions } from '../knative-flags.js';
import { openfaasFlags, toOpenFaasOptions } from '../openfaas-flags.js';
import { openwhiskFlags, toOpenWhiskOptions } from '../openwhisk-flags.js';
import { planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';
import { toWorkload, workloadFlags } from '../workload-flags.js';

export const command = 'deploy [trace]';
export const describe =
  "Create on an OpenWhisk, OpenFaaS or Knative the functions a replay of this trace needs (replay's names and limits), or an OpenWhisk manifest's";

export function builder(y: Argv) {
  return workloadFlags(openfaasFlags(knativeFlags(openwhiskFlags(planFlags(y)))))
    .options({
      platform: {
        choices: DEPLOY_KINDS,
        default: 'openwhisk' as const,
        describe:
          'Where to deploy: OpenWhisk actions, OpenFaaS functions (--openfaas-image), Knative Services (--knative-manifests)',
        group: 'Platform:',
      },
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
  const knative = args.platform === 'knative' ? toKnativeOptions(args, errors) : undefined;
  const openfaas =
    args.platform === 'openfaas'
      ? toOpenFaasOptions(args, errors, (f) => readFileSync(f, 'utf8'))
      : undefined;
  if (args.manifest !== undefined && args.platform !== 'openwhisk')
    errors.push('--manifest is a wskdeploy manifest: --platform openwhisk only');
  const workload = toWorkload(args, errors);
  throwIfErrors(errors);
  const r = await deployPlan({
    ...options,
    workload,
    platform: args.platform,
    openwhisk,
    ...(knative ? { knative } : {}),
    ...(openfaas ? { openfaas } : {}),
  });
  for (const n of r.notices) process.stderr.write(`${n}\n`);
  process.stdout.write(`deployed ${r.actions.length} actions to ${r.address}\n`);
}
