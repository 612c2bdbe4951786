import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { PACING_CHOICES } from '../../dispatch/pacing.js';
import { RUNTIME_CHOICES } from '../../embedded/local/runtime.js';
import { PLATFORM_KINDS } from '../../platforms/registry.js';
import { INVOKE_VIA_CHOICES } from '../../run/invoke-via.js';
import { REPLAY_DEFAULTS, type ReplayOptions, replay } from '../../run/replay.js';
import { parseStartAt } from '../../run/start-at.js';
import { SEMI_SPACE_DEFAULT_MB, SEMI_SPACE_MAX_MB, validSemiSpaceMb } from '../../run/young-generation.js';
import { messageOf } from '../../util/message.js';
import { capacityFlags, toCapacityOptions } from '../capacity-flags.js';
import { dagFlags, toDagShape } from '../dag-flags.js';
import { STOP_EXIT_CODES } from '../exit-codes.js';
import { KNATIVE_FLAGS, knativeFlags, toKnativeOptions } from '../knative-flags.js';
import { LAMBDA_FLAGS, lambdaFlags, toLambdaOptions } from '../lambda-flags.js';
import { monitorFlags, toMonitorOptions } from '../monitor-flags.js';
import { OPENFAAS_FLAGS, openfaasFlags, toOpenFaasOptions } from '../openfaas-flags.js';
import { OPENWHISK_FLAGS, openwhiskFlags, toOpenWhiskOptions } from '../openwhisk-flags.js';
import { durationFlag, planFlags, throwIfErrors, toTracePlanOptions } from '../plan-flags.js';
import { toWorkload, workloadFlags } from '../workload-flags.js';
import { toWrapperOptions, wrapperFlags } from '../wrapper-flags.js';

export const command = 'replay <trace>';
export const describe = 'Replay a trace open-loop on a platform and write its dataset';

export function builder(y: Argv) {
  return capacityFlags(
    wrapperFlags(
      workloadFlags(
        lambdaFlags(openfaasFlags(knativeFlags(monitorFlags(openwhiskFlags(dagFlags(planFlags(y))))))),
      ),
    ),
    'Platform:',
  )
    .options({
      platform: {
        choices: PLATFORM_KINDS,
        default: REPLAY_DEFAULTS.platform,
        describe:
          'Where to run: local = the embedded platform, started in-process; http = any endpoint (--url)',
        group: 'Platform:',
      },
      url: {
        type: 'string',
        describe: "--platform http: URL template, {function} = the function's name, {id} = its trace id",
        group: 'HTTP platform:',
      },
      method: { type: 'string', default: 'POST', describe: 'HTTP method', group: 'HTTP platform:' },
      header: {
        type: 'string',
        array: true,
        describe: "A request header 'Name: value' (repeatable)",
        group: 'HTTP platform:',
      },
      body: {
        type: 'string',
        describe: 'Body template: {function} {id} {seq} {durationMs} {memoryMb}; default a small JSON',
        group: 'HTTP platform:',
      },
      connections: {
        type: 'number',
        default: 256,
        describe: 'Keep-alive connections per origin at most',
        group: 'HTTP platform:',
      },
      'connect-timeout': {
        type: 'string',
        default: '10s',
        describe: 'TCP connect timeout',
        group: 'HTTP platform:',
      },
      'invoke-via': {
        choices: INVOKE_VIA_CHOICES,
        default: REPLAY_DEFAULTS.invokeVia,
        describe:
          'How each invocation is made: direct (invoke the action), trigger (fire a trigger whose rule invokes it; platforms with triggers: openwhisk), auto (functions with a timer, queue or event trigger in the trace through a trigger where the platform has triggers, the rest directly)',
        group: 'Platform:',
      },
      'keep-alive': {
        type: 'string',
        default: '10m',
        describe: 'Idle time before an instance is removed',
        group: 'Platform:',
      },
      timeout: { type: 'string', default: '60s', describe: 'Per-invocation timeout', group: 'Platform:' },
      runtime: {
        choices: RUNTIME_CHOICES,
        default: REPLAY_DEFAULTS.runtime,
        describe:
          'Embedded platform instances: child processes, Docker containers (an engine must answer), or auto',
        group: 'Platform:',
      },
      fit: {
        type: 'boolean',
        default: false,
        describe:
          "Embedded platform: before firing, the plan's needs (peak cores of function work per minute, instances and memory under the keep-alive, cold starts per second) are printed and set against this machine's cores, --pool-memory and --max-instances; when they exceed them, replay at the --scale that fits (recorded in the manifest's needs.fit)",
        group: 'Platform:',
      },
      prewarm: {
        type: 'number',
        default: 0,
        describe: 'Embedded platform: idle instances of each function started before the run',
        group: 'Platform:',
      },
      'max-instances': {
        type: 'number',
        default: REPLAY_DEFAULTS.maxInstances,
        describe: 'Instances alive at most on the embedded platform; past it invocations queue',
        group: 'Platform:',
      },
      pacing: {
        choices: PACING_CHOICES,
        default: REPLAY_DEFAULTS.pacing,
        describe:
          "How to wait for fire times: precise wakes to the µs from a wake thread (tens of µs late, ~100 µs of CPU a wait), timer sleeps to the ms (≤ ~1 ms late, least CPU), auto = precise if the free cores hold the dispatcher at the plan's peak rate plus half a core",
        group: 'Dispatch:',
      },
      'semi-space-mb': {
        type: 'number',
        default: SEMI_SPACE_DEFAULT_MB,
        describe: `Young generation of the dispatcher's node, MB per semi-space (a power of two up to ${SEMI_SPACE_MAX_MB}): bin/faasload.js starts node again with it, for rarer garbage-collection pauses (about 2x this in memory); 0 = node's default (16), not started again; ignored when node's own --max-semi-space-size is given`,
        group: 'Dispatch:',
      },
      'max-in-flight': {
        type: 'number',
        default: REPLAY_DEFAULTS.maxInFlight,
        describe: 'Invocations in flight at most; past it they are recorded as dropped',
        group: 'Dispatch:',
      },
      'max-lateness': {
        type: 'string',
        describe: 'Drop (record as dropped) an invocation this late when its turn comes; default never',
        group: 'Dispatch:',
      },
      'max-burst': {
        type: 'number',
        default: REPLAY_DEFAULTS.maxBurst,
        describe: 'Overdue invocations fired back to back before responses get a turn',
        group: 'Dispatch:',
      },
      warmup: {
        type: 'string',
        default: '0s',
        describe:
          "A measured warm-up: the plan's first part, marked warmup, left out of the figures (connections, JIT and writer are warmed before time zero anyway)",
        group: 'Dispatch:',
      },
      'lag-share': {
        type: 'number',
        default: REPLAY_DEFAULTS.lagShare,
        describe: 'Warn when the sent rate over 5 s falls more than this share below the plan',
        group: 'Dispatch:',
      },
      'lateness-bound': {
        type: 'string',
        default: `${REPLAY_DEFAULTS.latenessBoundMs}ms`,
        describe: 'Warn when the lateness p99 over 5 s passes this',
        group: 'Dispatch:',
      },
      'abort-on-lag': {
        type: 'boolean',
        default: false,
        describe: 'Stop the run at the first lag warning (exit code 6)',
        group: 'Dispatch:',
      },
      grace: {
        type: 'string',
        default: '10s',
        describe: 'After Ctrl-C, how long invocations in flight may finish before they are aborted',
        group: 'Dispatch:',
      },
      progress: {
        type: 'boolean',
        describe: 'Show progress (default: on a terminal; log lines every 10 s otherwise with --progress)',
        group: 'Output:',
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
    .options({
      'start-at': {
        type: 'string',
        describe:
          'Start the plan at this wall-clock time (ISO 8601 with zone, e.g. 2026-05-04T12:00:00Z), so that shards on several machines start together; their clocks must be in sync',
        group: 'Scale-out:',
      },
      'start-tolerance': {
        type: 'string',
        default: `${REPLAY_DEFAULTS.startToleranceMs / 1000}s`,
        describe: 'How far past --start-at the run may still start (its first arrivals late); later fails',
        group: 'Scale-out:',
      },
    })
    .example('$0 replay traces/sample-azure2021.csv --speed 10', 'the bundled sample, 10x faster')
    .example(
      '$0 replay trace.csv --shard 0/3 --start-at 2026-05-04T12:00:00Z',
      'shard 0 of 3 (run 1/3 and 2/3 elsewhere), all starting at noon UTC',
    )
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
  const ms = (flag: string, value: string | undefined) => {
    const us = durationFlag(value, flag, errors);
    return us === undefined ? undefined : us / 1000;
  };
  const keepAliveMs = ms('--keep-alive', args['keep-alive']);
  const timeoutMs = ms('--timeout', args.timeout);
  const maxLatenessMs = ms('--max-lateness', args['max-lateness']);
  const warmupMs = ms('--warmup', args.warmup);
  const latenessBoundMs = ms('--lateness-bound', args['lateness-bound']);
  const graceMs = ms('--grace', args.grace);
  const connectTimeoutMs = ms('--connect-timeout', args['connect-timeout']);
  const startToleranceMs = ms('--start-tolerance', args['start-tolerance']);
  let startAtMs: number | undefined;
  try {
    if (args['start-at'] !== undefined) startAtMs = parseStartAt(args['start-at']);
  } catch (err) {
    errors.push(messageOf(err));
  }
  for (const flag of ['max-in-flight', 'max-instances', 'max-burst', 'connections'] as const) {
    if (!(Number.isInteger(args[flag]) && args[flag] > 0))
      errors.push(`--${flag}: expected a positive integer, got ${args[flag]}`);
  }
  if (!validSemiSpaceMb(args['semi-space-mb']))
    errors.push(
      `--semi-space-mb: expected 0 or a power of two from 1 to ${SEMI_SPACE_MAX_MB}, got ${args['semi-space-mb']}`,
    );
  if (!(Number.isInteger(args.prewarm) && args.prewarm >= 0))
    errors.push(`--prewarm: expected an integer >= 0, got ${args.prewarm}`);
  if (!(args['lag-share'] > 0 && args['lag-share'] < 1))
    errors.push(`--lag-share: expected a share between 0 and 1 (e.g. 0.05), got ${args['lag-share']}`);
  const headers = parseHeaders(args.header ?? [], errors);
  if (args.platform === 'http' && args.url === undefined)
    errors.push("--platform http needs --url, e.g. --url 'http://127.0.0.1:8080/{function}'");
  const only = (platform: string, flags: readonly (keyof Args & string)[]) => {
    const given = flags.filter((f) => args[f] !== undefined);
    if (args.platform !== platform && given.length > 0)
      errors.push(`${given.map((f) => `--${f}`).join(', ')} only apply to --platform ${platform}`);
  };
  only('http', ['url', 'header', 'body']);
  if (args.fit && args.platform !== 'local') errors.push('--fit only applies to --platform local');
  only('openwhisk', OPENWHISK_FLAGS);
  only('knative', KNATIVE_FLAGS);
  only('openfaas', OPENFAAS_FLAGS);
  only('lambda', LAMBDA_FLAGS);
  const knative = args.platform === 'knative' ? toKnativeOptions(args, errors) : undefined;
  const openfaas =
    args.platform === 'openfaas'
      ? toOpenFaasOptions(args, errors, (f) => readFileSync(f, 'utf8'))
      : undefined;
  const monitor = toMonitorOptions(args, errors);
  const workload = toWorkload(args, errors);
  const dag = toDagShape(args, errors);
  if (dag && workload.some((w) => w !== 'synthetic'))
    errors.push('--dag and --dag-shape run synthetic steps only: leave --workload at synthetic');
  const wrappers = toWrapperOptions(args, errors);
  const capacity = toCapacityOptions(args, errors);
  throwIfErrors(errors);
  Object.assign(options, capacity);
  Object.assign(options, wrappers);
  options.monitor = monitor;
  options.workload = workload;
  options.platform = args.platform;
  options.pacing = args.pacing;
  options.maxInFlight = args['max-in-flight'];
  options.maxInstances = args['max-instances'];
  options.runtime = args.runtime;
  options.prewarm = args.prewarm;
  options.fit = args.fit;
  options.maxBurst = args['max-burst'];
  options.lagShare = args['lag-share'];
  options.abortOnLag = args['abort-on-lag'];
  options.invokeVia = args['invoke-via'];
  if (dag) options.dag = dag;
  if (keepAliveMs !== undefined) options.keepAliveMs = keepAliveMs;
  if (timeoutMs !== undefined) options.invokeTimeoutMs = timeoutMs;
  if (maxLatenessMs !== undefined) options.maxLatenessMs = maxLatenessMs;
  if (warmupMs !== undefined) options.warmupMs = warmupMs;
  if (latenessBoundMs !== undefined) options.latenessBoundMs = latenessBoundMs;
  if (graceMs !== undefined) options.graceMs = graceMs;
  if (args.url !== undefined) {
    options.http = { url: args.url, method: args.method, headers, connections: args.connections };
    if (args.body !== undefined) options.http.body = args.body;
    if (connectTimeoutMs !== undefined) options.http.connectTimeoutMs = connectTimeoutMs;
  }
  if (args.platform === 'openwhisk') {
    options.openwhisk = { connections: args.connections, ...toOpenWhiskOptions(args, errors) };
    if (connectTimeoutMs !== undefined) options.openwhisk.connectTimeoutMs = connectTimeoutMs;
  }
  if (knative) options.knative = knative;
  if (openfaas) options.openfaas = openfaas;
  if (args.platform === 'lambda') options.lambda = toLambdaOptions(args);
  if (args.out !== undefined) options.out = args.out;
  if (startAtMs !== undefined) options.startAtMs = startAtMs;
  if (startToleranceMs !== undefined) options.startToleranceMs = startToleranceMs;
  return options;
}

/** 'Name: value' header flags into a record; a flag without a colon is an error. */
function parseHeaders(flags: readonly string[], errors: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of flags) {
    const colon = h.indexOf(':');
    if (colon <= 0) {
      errors.push(`--header: expected 'Name: value', got '${h}'`);
      continue;
    }
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Ctrl-C (or SIGTERM) once stops firing: the rest is recorded as cancelled, invocations in flight
 * get --grace to finish, the dataset is written, and the exit code is 130 (143). Twice also
 * aborts the invocations in flight at once; the dataset is still written.
 */
export async function handler(args: Args): Promise<void> {
  const options = toReplayOptions(args);
  const stop = new AbortController();
  const hard = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      stoppedBy = name;
      process.stderr.write(
        `\n${name}: no new invocations; those in flight get ${args.grace} to finish (again to abort them now)\n`,
      );
      stop.abort(name);
    } else hard.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stderr.isTTY === true;
  try {
    const result = await replay({
      ...options,
      signal: stop.signal,
      hardSignal: hard.signal,
      commandLine: process.argv.slice(1),
      log: (line) => process.stderr.write(`${line}\n`),
      ...((args.progress ?? tty)
        ? { progress: { tty, write: (text: string) => process.stderr.write(text) } }
        : {}),
    });
    if (args.json) process.stdout.write(`${JSON.stringify({ dir: result.dir, ...result.summary })}\n`);
    else process.stdout.write(`dataset: ${result.dir}\n`);
    if (result.manifest.status === 'aborted') process.exitCode = STOP_EXIT_CODES.lag;
    else if (result.manifest.status === 'stopped' && stoppedBy === 'SIGTERM')
      process.exitCode = STOP_EXIT_CODES.SIGTERM;
    else if (result.manifest.status === 'stopped') process.exitCode = STOP_EXIT_CODES.SIGINT;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
