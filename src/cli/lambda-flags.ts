import type { Argv } from 'yargs';
import {
  INVOCATION_TYPES,
  type InvocationType,
  type LambdaPlatformOptions,
} from '../platforms/lambda/index.js';

const group = 'AWS Lambda platform:';

/** The flags of --platform lambda. Credentials are never flags: environment or profile only. */
export function lambdaFlags<T>(y: Argv<T>) {
  return y
    .options({
      'lambda-region': {
        type: 'string',
        describe: 'Region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)',
        group,
      },
      'lambda-endpoint': {
        type: 'string',
        describe: 'Lambda API endpoint (default: https://lambda.REGION.amazonaws.com)',
        group,
      },
      'lambda-profile': {
        type: 'string',
        describe:
          'Profile of ~/.aws/credentials to sign with (default: the AWS_* keys, else AWS_PROFILE, else default)',
        group,
      },
    })
    .options({
      'lambda-invocation-type': {
        choices: INVOCATION_TYPES,
        describe:
          'RequestResponse (wait, read the log tail) or Event (queued, 202) (default: RequestResponse)',
        group,
      },
      'lambda-qualifier': { type: 'string', describe: 'Version or alias to invoke', group },
      'lambda-function-prefix': {
        type: 'string',
        describe: "Prefix before each function's name to make its Lambda name",
        group,
      },
    });
}

export const LAMBDA_FLAGS = [
  'lambda-region',
  'lambda-endpoint',
  'lambda-profile',
  'lambda-invocation-type',
  'lambda-qualifier',
  'lambda-function-prefix',
] as const;

type LambdaArgs = { [K in (typeof LAMBDA_FLAGS)[number]]?: string | undefined };

export function toLambdaOptions(args: LambdaArgs): Omit<LambdaPlatformOptions, 'invokeTimeoutMs'> {
  const o: Omit<LambdaPlatformOptions, 'invokeTimeoutMs'> = {};
  if (args['lambda-region'] !== undefined) o.region = args['lambda-region'];
  if (args['lambda-endpoint'] !== undefined) o.endpoint = args['lambda-endpoint'];
  if (args['lambda-profile'] !== undefined) o.profile = args['lambda-profile'];
  if (args['lambda-invocation-type'] !== undefined)
    o.invocationType = args['lambda-invocation-type'] as InvocationType;
  if (args['lambda-qualifier'] !== undefined) o.qualifier = args['lambda-qualifier'];
  if (args['lambda-function-prefix'] !== undefined) o.functionPrefix = args['lambda-function-prefix'];
  return o;
}
