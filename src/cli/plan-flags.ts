import type { Argv } from 'yargs';
import { FaasloadError } from '../errors.js';
import type { TracePlanOptions } from '../run/load-plan.js';
import { DEFAULT_SEED } from '../run/load-plan.js';
import { SAMPLE_METHODS, type SampleMethod } from '../schedule/select.js';
import { parseShard } from '../schedule/shard.js';
import { DEFAULT_IAT, IAT_MODES, type IatMode } from '../schedule/spread.js';
import { parseDays } from '../trace/days.js';
import {
  type CsvTraceColumns,
  DEFAULT_DUPLICATE_POLICY,
  DUPLICATE_POLICIES,
  type DuplicatePolicy,
  TRACE_FORMATS,
  type TraceFormat,
} from '../trace/types.js';
import { parseDurationUs } from '../util/duration.js';
import { messageOf } from '../util/message.js';

/** The flags that read a trace, shared by every command that takes one. */
export function traceFlags<T>(y: Argv<T>) {
  return y
    .positional('trace', {
      type: 'string',
      demandOption: true,
      describe: 'Trace file or folder (Azure 2019/2021, Huawei 2023, FaaSLoad workload, CSV)',
    })
    .options({
      format: {
        choices: ['auto', ...TRACE_FORMATS],
        default: 'auto',
        describe: 'Trace format; auto reads the header (csv must be named)',
        group: 'Trace:',
      },
      day: {
        type: 'string',
        describe:
          'Day(s) to read, numbered as the files are: Azure 2019 dNN from 1, Huawei 2023 day_NN from 0; e.g. 1, 1-3, 1,4,7',
        group: 'Trace:',
      },
      'time-column': {
        type: 'string',
        describe: '--format csv: the arrival time column (name or index)',
        group: 'Trace:',
      },
      'time-unit': {
        choices: ['s', 'ms', 'us', 'datetime'],
        describe: '--format csv: how times are written (default s)',
        group: 'Trace:',
      },
      'function-column': { type: 'string', describe: '--format csv: the function column', group: 'Trace:' },
      'duration-column': {
        type: 'string',
        describe: '--format csv: the duration column (ms)',
        group: 'Trace:',
      },
      'memory-column': { type: 'string', describe: '--format csv: the memory column (MB)', group: 'Trace:' },
      'on-duplicate': {
        choices: DUPLICATE_POLICIES,
        default: DEFAULT_DUPLICATE_POLICY,
        describe:
          'Azure 2019 rows repeating a function (owner, app, function): refuse naming both lines, sum their minute counts (durations and memory keep the first row), or keep the first',
        group: 'Trace:',
      },
    });
}

/**
 * How a binned trace's invocations are spread inside each bin, and the seed: shared by the
 * planning commands and `trace inspect` (which reports the plan's per-second peak).
 */
export function spreadFlags<T>(y: Argv<T>) {
  return y.options({
    iat: {
      choices: IAT_MODES,
      default: DEFAULT_IAT,
      describe:
        "How a bin's invocations are spread in it: exponential gaps (no second favoured), uniform, equidistant, or poisson (the count varies too)",
      group: 'Planning:',
    },
    shift: {
      type: 'boolean',
      default: false,
      describe:
        'With --iat equidistant: each function starts its spacing at its own seeded phase (the same in every bin); --no-shift: at the bin start',
      group: 'Planning:',
    },
    seed: {
      type: 'number',
      default: DEFAULT_SEED,
      describe: 'Seed of every random choice',
      group: 'Planning:',
    },
  });
}

/** The flags that read and plan a trace, shared by replay and schedule. */
export function planFlags<T>(y: Argv<T>) {
  return spreadFlags(
    traceFlags(y).options({
      from: {
        type: 'string',
        describe: 'Start of the trace window, from trace time 0 (90s, 5m, 2h, seconds)',
        group: 'Planning:',
      },
      to: {
        type: 'string',
        describe:
          "End of the trace window, same units (exclusive; at or past the trace's end, its last arrival is kept)",
        group: 'Planning:',
      },
      speed: {
        type: 'number',
        default: 1,
        describe: 'Replay K times faster (0.5 = slower)',
        group: 'Planning:',
      },
      'warp-durations': {
        type: 'boolean',
        default: false,
        describe: 'Divide function durations by --speed too',
        group: 'Planning:',
      },
      'max-duration': {
        type: 'string',
        describe: 'Cap on every function duration (100ms, 2s, ...)',
        group: 'Planning:',
      },
      scale: {
        type: 'number',
        default: 1,
        describe:
          "Multiply the rate (0.1 = a tenth); fractions are rounded by a seeded coin. Per-invocation traces: copies spread over the gap to the function's next arrival (at most 1 s)",
        group: 'Planning:',
      },
      functions: { type: 'number', describe: 'Keep N functions, chosen by --sample', group: 'Planning:' },
      sample: {
        choices: SAMPLE_METHODS,
        default: 'representative',
        describe: 'How --functions chooses: busiest, random, or closest in distribution to the trace',
        group: 'Planning:',
      },
      trigger: {
        type: 'string',
        describe: 'Keep functions with these triggers, e.g. http,timer',
        group: 'Planning:',
      },
    }),
  ).options({
    shard: {
      type: 'string',
      describe:
        'I/N: only shard I (from 0) of N, a split by function balanced by invocations, the same on every machine',
      group: 'Planning:',
    },
  });
}

type TraceArgs = Awaited<ReturnType<ReturnType<typeof traceFlags>['parseAsync']>>;
type SpreadArgs = Awaited<ReturnType<ReturnType<typeof spreadFlags>['parseAsync']>>;
type PlanArgs = Awaited<ReturnType<ReturnType<typeof planFlags>['parseAsync']>>;
export type TraceOptions = Pick<TracePlanOptions, 'trace' | 'format' | 'days' | 'csv' | 'onDuplicate'>;

const CSV_FLAGS = [
  'time-column',
  'time-unit',
  'function-column',
  'duration-column',
  'memory-column',
] as const;

/** What to read (path, format, days, CSV columns, repeated rows); problems go to `errors`. */
export function toTraceOptions(args: TraceArgs, errors: string[]): TraceOptions {
  const o: TraceOptions = {
    trace: args.trace,
    format: args.format as TraceFormat | 'auto',
    onDuplicate: args['on-duplicate'] as DuplicatePolicy,
  };
  if (args.day !== undefined) {
    try {
      o.days = parseDays(args.day);
    } catch (err) {
      errors.push(messageOf(err));
    }
  }
  const given = CSV_FLAGS.filter((f) => args[f] !== undefined);
  if (given.length > 0 && args.format !== 'csv') errors.push(`--${given[0]} needs --format csv`);
  if (args.format === 'csv') {
    const csv: CsvTraceColumns = {};
    if (args['time-column'] !== undefined) csv.timeColumn = args['time-column'];
    if (args['time-unit'] !== undefined) csv.timeUnit = args['time-unit'] as CsvTraceColumns['timeUnit'];
    if (args['function-column'] !== undefined) csv.functionColumn = args['function-column'];
    if (args['duration-column'] !== undefined) csv.durationColumn = args['duration-column'];
    if (args['memory-column'] !== undefined) csv.memoryColumn = args['memory-column'];
    o.csv = csv;
  }
  return o;
}

/** The spreading and the seed; problems go to `errors`. */
export function toSpreadOptions(
  args: SpreadArgs,
  errors: string[],
): Required<Pick<TracePlanOptions, 'iat' | 'shift' | 'seed'>> {
  if (!Number.isSafeInteger(args.seed)) errors.push(`--seed: expected an integer, got ${args.seed}`);
  const iat = args.iat as IatMode;
  if (args.shift && iat !== 'equidistant') {
    errors.push(
      `--shift phases equidistant spacing, and --iat is ${iat}${iat === DEFAULT_IAT ? ' (the default)' : ''}: name --iat equidistant --shift`,
    );
  }
  return { iat, shift: args.shift, seed: args.seed };
}

/** Validates the planning flags, collecting every problem in `errors`, and maps them to options. */
export function toTracePlanOptions(args: PlanArgs, errors: string[]): TracePlanOptions {
  const fromUs = durationFlag(args.from, '--from', errors);
  const toUs = durationFlag(args.to, '--to', errors);
  const maxDurationUs = durationFlag(args['max-duration'], '--max-duration', errors);
  if (!(args.speed > 0) || !Number.isFinite(args.speed)) {
    errors.push(`--speed: expected a positive number, got ${args.speed}`);
  }
  if (!(args.scale >= 0) || !Number.isFinite(args.scale)) {
    errors.push(`--scale: expected a number >= 0, got ${args.scale}`);
  }
  if (args.functions !== undefined && !(Number.isInteger(args.functions) && args.functions > 0)) {
    errors.push(`--functions: expected a positive integer, got ${args.functions}`);
  }
  if (fromUs !== undefined && toUs !== undefined && fromUs >= toUs) errors.push('--from must be before --to');

  const o: TracePlanOptions = {
    ...toTraceOptions(args, errors),
    ...toSpreadOptions(args, errors),
    speed: args.speed,
    warpDurations: args['warp-durations'],
    scale: args.scale,
    sample: args.sample as SampleMethod,
  };
  if (args.shard !== undefined) {
    try {
      o.shard = parseShard(args.shard);
    } catch (err) {
      errors.push(messageOf(err));
    }
  }
  if (fromUs !== undefined) o.fromUs = fromUs;
  if (toUs !== undefined) o.toUs = toUs;
  if (maxDurationUs !== undefined) o.maxDurationMs = maxDurationUs / 1000;
  if (args.functions !== undefined) o.functions = args.functions;
  if (args.trigger !== undefined) {
    o.triggers = args.trigger
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  }
  return o;
}

/** A duration flag in microseconds; undefined if absent, or invalid (the problem goes to `errors`). */
export function durationFlag(value: string | undefined, flag: string, errors: string[]): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDurationUs(value, flag);
  } catch (err) {
    errors.push(messageOf(err));
    return undefined;
  }
}

/** Throws one usage error listing every problem, if any. */
export function throwIfErrors(errors: readonly string[]): void {
  if (errors.length > 0) throw new FaasloadError('E_USAGE', errors.join('\n'));
}
