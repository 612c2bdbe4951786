import type { Argv } from 'yargs';
import { FaasloadError } from '../../errors.js';
import { PLATFORM_KINDS } from '../../platforms/registry.js';
import { REPLAY_DEFAULTS, type ReplayOptions, replay } from '../../run/replay.js';
import { TRACE_FORMATS, type TraceFormat } from '../../trace/types.js';
import { parseDurationUs } from '../../util/duration.js';

export const command = 'replay <trace>';
export const describe = 'Replay a trace open-loop on a platform and write its dataset';

export function builder(y: Argv) {
  return y
    .positional('trace', {
      type: 'string',
      demandOption: true,
      describe: 'Trace file or folder (Azure 2021 CSV; Azure 2019 folder or invocations file)',
    })
    .options({
      format: {
        choices: ['auto', ...TRACE_FORMATS],
        default: REPLAY_DEFAULTS.format,
        describe: 'Trace format; auto detects it from the header',
      },
      from: {
        type: 'string',
        describe: 'Start of the trace window, from trace time 0 (90s, 5m, 2h, seconds)',
      },
      to: { type: 'string', describe: 'End of the trace window (exclusive), same units' },
      speed: {
        type: 'number',
        default: REPLAY_DEFAULTS.speed,
        describe: 'Replay K times faster (0.5 = slower)',
      },
      'warp-durations': {
        type: 'boolean',
        default: REPLAY_DEFAULTS.warpDurations,
        describe: 'Divide function durations by --speed too',
      },
      'max-duration': { type: 'string', describe: 'Cap on every function duration (100ms, 2s, ...)' },
      seed: {
        type: 'number',
        default: REPLAY_DEFAULTS.seed,
        describe: 'Seed of every random choice in the plan',
      },
      platform: {
        choices: PLATFORM_KINDS,
        default: REPLAY_DEFAULTS.platform,
        describe: 'Where to run: local = the embedded platform, started in-process',
      },
      'keep-alive': { type: 'string', default: '10m', describe: 'Idle time before an instance is removed' },
      timeout: { type: 'string', default: '60s', describe: 'Per-invocation timeout' },
      'max-instances': {
        type: 'number',
        default: REPLAY_DEFAULTS.maxInstances,
        describe: 'Instances alive at most on the embedded platform; past it invocations queue',
      },
      'max-in-flight': {
        type: 'number',
        default: REPLAY_DEFAULTS.maxInFlight,
        describe: 'Invocations in flight at most; past it they are recorded as dropped',
      },
      out: { type: 'string', describe: 'Run folder (must be new or empty); default results/<run-id>' },
      json: { type: 'boolean', default: false, describe: 'Print the summary as JSON on stdout' },
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
  const duration = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    try {
      return parseDurationUs(value, flag);
    } catch (err) {
      errors.push((err as Error).message);
      return undefined;
    }
  };
  const positive = (value: number, flag: string, integer = false) => {
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      errors.push(`${flag}: expected a positive ${integer ? 'integer' : 'number'}, got ${value}`);
    }
  };
  const fromUs = duration(args.from, '--from');
  const toUs = duration(args.to, '--to');
  const maxDurationUs = duration(args['max-duration'], '--max-duration');
  const keepAliveUs = duration(args['keep-alive'], '--keep-alive');
  const timeoutUs = duration(args.timeout, '--timeout');
  positive(args.speed, '--speed');
  positive(args['max-in-flight'], '--max-in-flight', true);
  positive(args['max-instances'], '--max-instances', true);
  if (!Number.isSafeInteger(args.seed)) errors.push(`--seed: expected an integer, got ${args.seed}`);
  if (fromUs !== undefined && toUs !== undefined && fromUs >= toUs) errors.push('--from must be before --to');
  if (errors.length > 0) throw new FaasloadError('E_USAGE', errors.join('\n'));
  const options: ReplayOptions = {
    trace: args.trace,
    format: args.format as TraceFormat | 'auto',
    seed: args.seed,
    speed: args.speed,
    warpDurations: args['warp-durations'],
    platform: args.platform,
    maxInFlight: args['max-in-flight'],
    maxInstances: args['max-instances'],
  };
  if (fromUs !== undefined) options.fromUs = fromUs;
  if (toUs !== undefined) options.toUs = toUs;
  if (maxDurationUs !== undefined) options.maxDurationMs = maxDurationUs / 1000;
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
