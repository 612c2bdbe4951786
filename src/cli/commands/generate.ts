import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { RUNTIME_CHOICES } from '../../embedded/local/runtime.js';
import { GENERATE_PLATFORMS, generate } from '../../generate/run.js';
import type { PlatformOptions } from '../../platforms/registry.js';
import { STOP_EXIT_CODES } from '../exit-codes.js';
import { KNATIVE_FLAGS, knativeFlags, toKnativeOptions } from '../knative-flags.js';
import { LAMBDA_FLAGS, lambdaFlags, toLambdaOptions } from '../lambda-flags.js';
import { monitorFlags, toMonitorOptions } from '../monitor-flags.js';
import { OPENFAAS_FLAGS, openfaasFlags, toOpenFaasOptions } from '../openfaas-flags.js';
import { OPENWHISK_FLAGS, openwhiskFlags, toOpenWhiskOptions } from '../openwhisk-flags.js';
import { durationFlag, throwIfErrors } from '../plan-flags.js';

export const command = 'generate <plan>';
export const describe =
  'Build an execution dataset: run catalog or user functions over drawn inputs and parameters (a YAML plan), resumable';

export function builder(y: Argv) {
  return lambdaFlags(
    openfaasFlags(
      knativeFlags(
        monitorFlags(
          openwhiskFlags(
            y
              .positional('plan', {
                type: 'string',
                demandOption: true,
                describe:
                  'The generation plan (YAML; docs/generate.md, schema in docs/generate-plan.schema.json)',
              })
              .options({
                out: {
                  type: 'string',
                  demandOption: true,
                  describe: 'The generation folder (new, or the one to --resume)',
                },
                resume: {
                  type: 'boolean',
                  default: false,
                  describe:
                    'Continue a stopped generation in --out (the same plan; with --monitor perf, the same --perf-events as its first session)',
                },
                platform: {
                  choices: GENERATE_PLATFORMS,
                  default: 'local' as const,
                  describe:
                    'Where to run: local (embedded) and openwhisk deploy the functions and give every target; knative, openfaas and lambda invoke functions deployed there and give their own figures only',
                },
                grace: {
                  type: 'string',
                  default: '30s',
                  describe: 'On a stop, how long executions in flight may finish',
                },
              })
              .options({
                runtime: {
                  choices: RUNTIME_CHOICES,
                  default: 'auto' as const,
                  describe: 'Embedded platform instances',
                  group: 'Platform:',
                },
                'keep-alive': {
                  type: 'string',
                  default: '10m',
                  describe: 'Idle time before an instance is removed',
                  group: 'Platform:',
                },
                timeout: {
                  type: 'string',
                  default: '60s',
                  describe: 'Per-execution time limit',
                  group: 'Platform:',
                },
              }),
          ),
        ),
      ),
    ),
  )
    .example('$0 generate plan.yaml --out results/gen1', 'a new generation on the embedded platform')
    .example('$0 generate plan.yaml --out results/gen1 --resume', 'continue it after Ctrl-C or a crash')
    .example(
      '$0 generate plan.yaml --out results/gen2 --platform openwhisk --apihost http://127.0.0.1:3233 --auth KEY',
      'the same plan on an OpenWhisk',
    );
}

type Args = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export async function handler(args: Args): Promise<void> {
  const errors: string[] = [];
  const ms = (flag: string, v: string) => (durationFlag(v, flag, errors) ?? 0) / 1000;
  const graceMs = ms('--grace', args.grace);
  const keepAliveMs = ms('--keep-alive', args['keep-alive']);
  const invokeTimeoutMs = ms('--timeout', args.timeout);
  const only = (platform: string, flags: readonly (keyof Args & string)[]) => {
    const given = flags.filter((f) => args[f] !== undefined);
    if (args.platform !== platform && given.length > 0)
      errors.push(`${given.map((f) => `--${f}`).join(', ')} only apply to --platform ${platform}`);
  };
  only('openwhisk', OPENWHISK_FLAGS);
  only('knative', KNATIVE_FLAGS);
  only('openfaas', OPENFAAS_FLAGS);
  only('lambda', LAMBDA_FLAGS);
  const platformOptions: PlatformOptions = { runtime: args.runtime, keepAliveMs, invokeTimeoutMs };
  if (args.platform === 'openwhisk') platformOptions.openwhisk = toOpenWhiskOptions(args, errors);
  if (args.platform === 'knative') {
    const knative = toKnativeOptions(args, errors);
    if (knative) platformOptions.knative = knative;
  }
  if (args.platform === 'openfaas') {
    const openfaas = toOpenFaasOptions(args, errors, (f) => readFileSync(f, 'utf8'));
    if (openfaas) platformOptions.openfaas = openfaas;
  }
  if (args.platform === 'lambda') platformOptions.lambda = toLambdaOptions(args);
  const monitor = toMonitorOptions(args, errors);
  throwIfErrors(errors);

  // First signal: stop starting executions and let those in flight end; second: stop now.
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (stoppedBy) process.exit(STOP_EXIT_CODES[name as 'SIGINT' | 'SIGTERM']);
    stoppedBy = name;
    process.stderr.write(`\n${name}: stopping; executions in flight get ${args.grace} (again to stop now)\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stderr.isTTY;
  try {
    const r = await generate({
      planPath: args.plan as string,
      commandLine: process.argv.slice(1),
      out: args.out,
      resume: args.resume,
      platform: args.platform,
      platformOptions,
      monitor,
      signal: stop.signal,
      graceMs,
      onProgress: (p) => {
        const eta = Number.isFinite(p.etaS) ? `${Math.round(p.etaS)} s left` : 'time left unknown';
        const line = `${p.done}/${p.total} executions, ${p.inFlight} in flight, ${p.errors} errors, ${p.perS.toFixed(1)}/s, ${eta}`;
        process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    process.stdout.write(
      `${r.status}: ${r.done} of ${r.total} executions in ${r.out}/executions (session ${r.session} wrote ${r.rows}, ${r.errors} errors)\n`,
    );
    if (r.status === 'stopped') {
      process.stdout.write(`continue with: faasload generate ${args.plan} --out ${args.out} --resume\n`);
      process.exitCode = STOP_EXIT_CODES[stoppedBy === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'];
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
