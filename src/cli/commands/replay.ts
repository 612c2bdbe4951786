import type { Argv } from 'yargs';
import { PLATFORM_KINDS } from '../../platforms/registry.js';
import { REPLAY_DEFAULTS, type ReplayOptions, replay } from '../../run/replay.js';
import { durationFlag, planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';

export const command = 'replay <trace>';
export const describe = 'Replay a trace open-loop on a platform and write its dataset';

export function builder(y: Argv) {
  return planFlags(y)
    .options({
      platform: {
        choices: PLATFORM_KINDS,
        default: REPLAY_DEFAULTS.platform,
        describe: 'Where to run: local = the embedded platform, started in-process',
        group: 'Platform:',
      },
      'keep-alive': {
        type: 'string',
        default: '10m',
        describe: 'Idle time before an instance is removed',
        group: 'Platform:',
      },
      timeout: { type: 'string', default: '60s', describe: 'Per-invocation timeout', group: 'Platform:' },
      'max-instances': {
        type: 'number',
        default: REPLAY_DEFAULTS.maxInstances,
        describe: 'Instances alive at most on the embedded platform; past it invocations queue',
        group: 'Platform:',
      },
      'max-in-flight': {
        type: 'number',
        default: REPLAY_DEFAULTS.maxInFlight,
        describe: 'Invocations in flight at most; past it they are recorded as dropped',
        group: 'Dispatch:',
      },
      out: {
        type: 'string',
        describe: 'Run folder (must be new or empty); default results/<run-id>',
        group: 'Output:',
      },
      json: {
        type: 'boolean',
        default: false,
        describe: 'Print the summary as JSON on stdout',
        group: 'Output:',
      },
    })
    .example('$0 replay traces/sample-azure2021.csv --speed 10', 'the bundled sample, 10x faster')
    .example(
      '$0 replay azure2019/ --from 1h --to 1h5m --speed 4 --max-duration 20ms',
      'five minutes of an Azure 2019 day',
    );
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

/** Validates flag values, reporting every bad one at once, and maps them to ReplayOptions. */
export function toReplayOptions(args: Args): ReplayOptions {
  const errors: string[] = [];
  const options: ReplayOptions = toTracePlanOptions(args, errors);
  const keepAliveUs = durationFlag(args['keep-alive'], '--keep-alive', errors);
  const timeoutUs = durationFlag(args.timeout, '--timeout', errors);
  for (const flag of ['max-in-flight', 'max-instances'] as const) {
    if (!(Number.isInteger(args[flag]) && args[flag] > 0))
      errors.push(`--${flag}: expected a positive integer, got ${args[flag]}`);
  }
  throwIfErrors(errors);
  options.platform = args.platform;
  options.maxInFlight = args['max-in-flight'];
  options.maxInstances = args['max-instances'];
  if (keepAliveUs !== undefined) options.keepAliveMs = keepAliveUs / 1000;
  if (timeoutUs !== undefined) options.invokeTimeoutMs = timeoutUs / 1000;
  if (args.out !== undefined) options.out = args.out;
  return options;
}

/**
 * Ctrl-C once stops firing (the rest is recorded as cancelled, the dataset is written); twice
 * also aborts the invocations in flight.
 */
export async function handler(args: Args): Promise<void> {
  const options = toReplayOptions(args);
  const stop = new AbortController();
  const hard = new AbortController();
  const onSignal = () => {
    if (!stop.signal.aborted) {
      process.stderr.write(
        '\nstopping: no new invocations; waiting for those in flight (Ctrl-C again to abort them)\n',
      );
      stop.abort();
    } else hard.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await replay({
      ...options,
      signal: stop.signal,
      hardSignal: hard.signal,
      commandLine: process.argv.slice(1),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (args.json) process.stdout.write(`${JSON.stringify({ dir: result.dir, ...result.summary })}\n`);
    else process.stdout.write(`dataset: ${result.dir}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
