import type { Argv } from 'yargs';
import { LOCAL_PLATFORM_DEFAULTS } from '../../embedded/local/options.js';
import { RUNTIME_CHOICES } from '../../embedded/local/runtime.js';
import {
  OPENWHISK_SERVER_DEFAULTS,
  type OpenWhiskServerOptions,
  startOpenWhiskServer,
} from '../../embedded/openwhisk-server/server.js';
import { capacityFlags, toCapacityOptions } from '../capacity-flags.js';
import { durationFlag, throwIfErrors } from '../plan-flags.js';

export const command = 'platform';
export const describe = "Run the embedded platform on its own, behind OpenWhisk's REST API";

function startBuilder(y: Argv) {
  return capacityFlags(y)
    .options({
      port: {
        type: 'number',
        default: OPENWHISK_SERVER_DEFAULTS.port,
        describe: 'TCP port on 127.0.0.1 (0 = any free port)',
      },
      runtime: {
        choices: RUNTIME_CHOICES,
        default: LOCAL_PLATFORM_DEFAULTS.runtime,
        describe: 'Instances: child processes, Docker containers (an engine must answer), or auto',
      },
      'keep-alive': { type: 'string', default: '10m', describe: 'Idle time before an instance is removed' },
      'max-instances': {
        type: 'number',
        default: LOCAL_PLATFORM_DEFAULTS.maxInstances,
        describe: 'Instances alive at most; past it activations queue (their waitTime)',
      },
      prewarm: {
        type: 'number',
        default: 0,
        describe: 'Idle instances of each action started when it is created or updated',
      },
      auth: { type: 'string', describe: 'The API key UUID:KEY (default: a new one)' },
    })
    .example('$0 platform start', 'serve on 127.0.0.1:3233 with a new key')
    .example('$0 platform start --port 0 --runtime docker', 'containers, any free port');
}

type StartArgs = Awaited<ReturnType<ReturnType<typeof startBuilder>['parseAsync']>>;

/** Validates the flags, reporting every bad one at once. */
export function toServerOptions(args: StartArgs): OpenWhiskServerOptions {
  const errors: string[] = [];
  if (!(Number.isInteger(args.port) && args.port >= 0 && args.port <= 65535))
    errors.push(`--port: expected a port number (0 to 65535), got ${args.port}`);
  if (!(Number.isInteger(args['max-instances']) && args['max-instances'] > 0))
    errors.push(`--max-instances: expected a positive integer, got ${args['max-instances']}`);
  if (!(Number.isInteger(args.prewarm) && args.prewarm >= 0))
    errors.push(`--prewarm: expected an integer >= 0, got ${args.prewarm}`);
  const keepAliveUs = durationFlag(args['keep-alive'], '--keep-alive', errors);
  const capacity = toCapacityOptions(args, errors);
  if (args.auth !== undefined && !/^[0-9a-f-]{36}:[A-Za-z0-9]+$/i.test(args.auth))
    errors.push('--auth: expected UUID:KEY (a UUID, a colon, an alphanumeric key)');
  throwIfErrors(errors);
  return {
    port: args.port,
    runtime: args.runtime,
    maxInstances: args['max-instances'],
    prewarm: args.prewarm,
    ...capacity,
    ...(keepAliveUs !== undefined ? { keepAliveMs: keepAliveUs / 1000 } : {}),
    ...(args.auth !== undefined ? { auth: args.auth } : {}),
  };
}

/** Serves until SIGINT or SIGTERM, then removes every instance and container and exits 0. */
async function startHandler(args: StartArgs): Promise<void> {
  const server = await startOpenWhiskServer(toServerOptions(args));
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stdout.write(
    `OpenWhisk API: ${server.apiHost}/api/v1 (runtime ${server.platform.runtimeKind()}, namespace ${server.namespace})\n` +
      `apihost: ${server.apiHost}\n` +
      `auth: ${server.auth}\n` +
      `wsk property set --apihost ${server.apiHost} --auth '${server.auth}'\n`,
  );
  const signal = await stopped;
  process.stderr.write(`${signal}: stopping the platform and removing its instances\n`);
  await server.close();
}

export function builder(y: Argv) {
  return y
    .command(
      'start',
      'Start the embedded platform and serve its OpenWhisk API until Ctrl-C',
      startBuilder,
      startHandler,
    )
    .demandCommand(1, 'Name a platform command: start');
}

export function handler(): void {}
