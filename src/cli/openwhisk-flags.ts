import type { Argv } from 'yargs';
import type { OpenWhiskSetup } from '../platforms/openwhisk/index.js';
import { durationFlag } from './plan-flags.js';

/** The flags that reach an OpenWhisk (replay --platform openwhisk, deploy, teardown). */
export function openwhiskFlags<T>(y: Argv<T>) {
  return y
    .options({
      apihost: {
        type: 'string',
        describe: '--platform openwhisk: the API host (default: APIHOST of ~/.wskprops)',
        group: 'OpenWhisk platform:',
      },
      auth: {
        type: 'string',
        describe: 'The key UUID:KEY (default: AUTH of ~/.wskprops); never written to the dataset',
        group: 'OpenWhisk platform:',
      },
      namespace: {
        type: 'string',
        describe: 'The namespace (default: NAMESPACE of ~/.wskprops, else _)',
        group: 'OpenWhisk platform:',
      },
      'non-blocking': {
        type: 'boolean',
        describe: 'Invoke without waiting; poll the activation records',
        group: 'OpenWhisk platform:',
      },
      insecure: {
        type: 'boolean',
        describe: "Accept the controller's self-signed TLS certificate",
        group: 'OpenWhisk platform:',
      },
      'poll-interval': {
        type: 'string',
        describe: 'First wait between polls of an activation record (it grows)',
        group: 'OpenWhisk platform:',
      },
    })
    .options({
      wskprops: {
        type: 'string',
        describe: 'A wsk properties file to read instead of ~/.wskprops (APIHOST, AUTH, NAMESPACE)',
        group: 'OpenWhisk platform:',
      },
      tenants: {
        type: 'string',
        describe:
          "A YAML/JSON file of tenants, one key (and namespace) each; functions go to their owner's tenant (docs/platforms.md)",
        group: 'OpenWhisk platform:',
      },
    });
}

/** The OpenWhisk flags, for "only with --platform openwhisk" checks. */
export const OPENWHISK_FLAGS = [
  'apihost',
  'auth',
  'namespace',
  'non-blocking',
  'insecure',
  'poll-interval',
  'wskprops',
  'tenants',
] as const;

/** The OpenWhisk options the flags give (apiHost, auth and namespace default to ~/.wskprops or --wskprops). */
export function toOpenWhiskOptions(
  args: {
    apihost?: string | undefined;
    auth?: string | undefined;
    namespace?: string | undefined;
    'non-blocking'?: boolean | undefined;
    insecure?: boolean | undefined;
    'poll-interval'?: string | undefined;
    wskprops?: string | undefined;
    tenants?: string | undefined;
  },
  errors: string[],
): OpenWhiskSetup {
  const o: OpenWhiskSetup = {};
  if (args.wskprops !== undefined) o.configFile = args.wskprops;
  if (args.tenants !== undefined) o.tenantsFile = args.tenants;
  if (args.apihost !== undefined) o.apiHost = args.apihost;
  if (args.auth !== undefined) o.auth = args.auth;
  if (args.namespace !== undefined) o.namespace = args.namespace;
  if (args['non-blocking']) o.blocking = false;
  if (args.insecure) o.insecure = true;
  const pollUs = durationFlag(args['poll-interval'], '--poll-interval', errors);
  if (pollUs !== undefined) o.pollIntervalMs = pollUs / 1000;
  return o;
}
