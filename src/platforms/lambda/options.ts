/** The AWS Lambda platform's options: one typed object, its defaults in one place, validated at once. */
import { FaasloadError } from '../../errors.js';
import { CONNECTION_DEFAULTS } from '../connection-defaults.js';
import { positiveInteger, timerMs } from '../option-checks.js';

export const INVOCATION_TYPES = ['RequestResponse', 'Event'] as const;
export type InvocationType = (typeof INVOCATION_TYPES)[number];

export interface LambdaPlatformOptions {
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region (credentials.ts). */
  region?: string;
  /** The Lambda API endpoint. Default https://lambda.{region}.amazonaws.com. */
  endpoint?: string;
  /** The shared-files profile to take credentials from (instead of the environment's keys). */
  profile?: string;
  /** RequestResponse (wait for the result, read the log tail) or Event (queued: 202). Default RequestResponse. */
  invocationType?: InvocationType;
  /** A version or alias, sent as ?Qualifier=. */
  qualifier?: string;
  /** Put before each function's action name to make its Lambda function name. Default ''. */
  functionPrefix?: string;
  connections?: number;
  connectTimeoutMs?: number;
  /** From invoke() to the end of the answer; past it 'timeout'. Default 60 000. */
  invokeTimeoutMs?: number;
}

export interface ResolvedLambdaOptions {
  region: string | undefined;
  endpoint: string | undefined;
  profile: string | undefined;
  invocationType: InvocationType;
  qualifier: string | undefined;
  functionPrefix: string;
  connections: number;
  connectTimeoutMs: number;
  invokeTimeoutMs: number;
}

export const LAMBDA_PLATFORM_DEFAULTS = {
  invocationType: 'RequestResponse',
  functionPrefix: '',
  ...CONNECTION_DEFAULTS,
} as const;

export function resolveLambdaOptions(o: LambdaPlatformOptions): ResolvedLambdaOptions {
  const d = LAMBDA_PLATFORM_DEFAULTS;
  const problems: string[] = [];
  if (o.endpoint !== undefined) {
    try {
      const url = new URL(o.endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      problems.push(`endpoint: '${o.endpoint}' is not an http(s) URL`);
    }
  }
  if (o.region !== undefined && !/^[a-z0-9-]+$/.test(o.region))
    problems.push(`region: '${o.region}' is not a region`);
  const invocationType = o.invocationType ?? d.invocationType;
  if (!INVOCATION_TYPES.includes(invocationType)) {
    problems.push(
      `invocation type: '${String(invocationType)}' is not one of ${INVOCATION_TYPES.join(', ')}`,
    );
  }
  const functionPrefix = o.functionPrefix ?? d.functionPrefix;
  if (!/^[A-Za-z0-9_-]*$/.test(functionPrefix))
    problems.push(`function prefix: '${functionPrefix}' has characters a function name cannot`);
  const connections = positiveInteger('connections', o.connections ?? d.connections, problems);
  const ms = (name: 'connectTimeoutMs' | 'invokeTimeoutMs') => timerMs(name, o[name] ?? d[name], problems);
  const resolved: ResolvedLambdaOptions = {
    region: o.region,
    endpoint: o.endpoint?.replace(/\/+$/, ''),
    profile: o.profile,
    invocationType,
    qualifier: o.qualifier,
    functionPrefix,
    connections,
    connectTimeoutMs: ms('connectTimeoutMs'),
    invokeTimeoutMs: ms('invokeTimeoutMs'),
  };
  if (problems.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid lambda platform options: ${problems.join('; ')}`);
  }
  return resolved;
}
