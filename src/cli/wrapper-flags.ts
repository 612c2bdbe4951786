import type { Argv } from 'yargs';
import type { WrapperOptions } from '../platforms/wrappers.js';
import { durationFlag } from './plan-flags.js';

/** Flags of the wrappers every platform gets (platforms/wrappers.ts). */
export function wrapperFlags<T>(y: Argv<T>) {
  return y.options({
    retries: {
      type: 'number',
      default: 0,
      describe:
        'Send a failed invocation again, up to N times, when it failed in a retryable way (failure capacity: 429, 503, 504; or connect: a failed connection); its attempts are in the dataset',
      group: 'Platform:',
    },
    'retry-backoff': {
      type: 'string',
      default: '100ms',
      describe: 'Wait before the first retry, doubled for each next one',
      group: 'Platform:',
    },
    'trace-requests': {
      type: 'string',
      describe: 'Write every invocation result as a JSON line to this file (for debugging a platform)',
      group: 'Platform:',
    },
  });
}

export function toWrapperOptions(
  args: { retries: number; 'retry-backoff': string; 'trace-requests'?: string | undefined },
  errors: string[],
): WrapperOptions {
  const o: WrapperOptions = {};
  if (!(Number.isInteger(args.retries) && args.retries >= 0)) {
    errors.push(`--retries: expected an integer >= 0, got ${args.retries}`);
  } else if (args.retries > 0) {
    const backoffUs = durationFlag(args['retry-backoff'], '--retry-backoff', errors);
    o.retry = { retries: args.retries, backoffMs: (backoffUs ?? 0) / 1000 };
  }
  if (args['trace-requests'] !== undefined) o.traceRequestsPath = args['trace-requests'];
  return o;
}
