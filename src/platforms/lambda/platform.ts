/**
 * The AWS Lambda platform: the Invoke API (POST /2015-03-31/functions/NAME/invocations), every
 * request signed with Signature Version 4 (@smithy/signature-v4 with @aws-crypto/sha256-js, the
 * AWS SDK's own signer), credentials from the environment or a profile (credentials.ts).
 *
 * - deploy: nothing is created (a Lambda function needs a package and a role, made by the user's
 *   own tooling); GET /2015-03-31/functions/NAME checks each exists, and the missing ones are
 *   named in one E_PLATFORM error. Function name = functionPrefix + the action name.
 * - invoke: RequestResponse with X-Amz-Log-Type: Tail. 200 is 'ok' unless X-Amz-Function-Error
 *   says the function failed ('error' with its type and the payload's start); the log tail's
 *   REPORT line (log.ts) gives execMs = Duration, initMs = Init Duration (coldStart = it is
 *   present); activationId = x-amzn-RequestId. Event: 202 is 'ok' with the request id only.
 *   404 ResourceNotFoundException, 429 TooManyRequestsException, 5xx: 'error' with the status,
 *   the error type (x-amzn-ErrorType) and the message. Signing happens before the request is
 *   written, so its cost is lateness, never latency.
 * - Billed duration and max memory used become billedMs and maxMemoryMb (the dataset's billed_ms
 *   and max_memory_mb).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { Pool } from 'undici';
import { FaasloadError } from '../../errors.js';
import type { Arrival } from '../../schedule/types.js';
import { epochUs } from '../../util/time.js';
import { VERSION } from '../../version.js';
import { failureOfStatus } from '../failure.js';
import { excerpt } from '../http/excerpt.js';
import { closePools, exchange, type Reply, unansweredResult } from '../http/exchange.js';
import { invocationPayload } from '../payload.js';
import type { FunctionSpec, InvocationResult, PlatformAdapter } from '../types.js';
import { type AwsIdentity, resolveAwsIdentity } from './credentials.js';
import { reportFromHeader } from './log.js';
import { type LambdaPlatformOptions, type ResolvedLambdaOptions, resolveLambdaOptions } from './options.js';

const KEEP_ERROR_BYTES = 2048;

interface Signed {
  signer: SignatureV4;
  url: URL;
  pool: Pool;
}

export class LambdaPlatform implements PlatformAdapter {
  readonly kind = 'lambda';
  readonly notices: string[] = [];
  private readonly options: ResolvedLambdaOptions;
  private setup: Promise<Signed> | undefined;
  private pool: Pool | undefined;
  private closed = false;
  private tornDown: Promise<void> | undefined;

  constructor(
    options: LambdaPlatformOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.options = resolveLambdaOptions(options);
  }

  /** The endpoint, once the region is known ('lambda' before). Never credentials. */
  get address(): string {
    const o = this.options;
    return (
      o.endpoint ??
      (o.region ? `https://lambda.${o.region}.amazonaws.com` : 'https://lambda.<region>.amazonaws.com')
    );
  }

  /** Credentials, region and signer, resolved once (E_USAGE when there are none). */
  private ready(): Promise<Signed> {
    this.setup ??= (async () => {
      const o = this.options;
      const id: AwsIdentity = await resolveAwsIdentity(
        {
          ...(o.profile !== undefined ? { profile: o.profile } : {}),
          ...(o.region !== undefined ? { region: o.region } : {}),
        },
        this.env,
      );
      if (id.region === undefined) {
        throw new FaasloadError(
          'E_USAGE',
          'no AWS region: --lambda-region, AWS_REGION or region in the profile',
        );
      }
      const url = new URL(o.endpoint ?? `https://lambda.${id.region}.amazonaws.com`);
      const signer = new SignatureV4({
        service: 'lambda',
        region: id.region,
        credentials: id.credentials,
        sha256: Sha256,
      });
      this.pool = new Pool(url.origin, {
        connections: o.connections,
        pipelining: 1,
        connect: { timeout: o.connectTimeoutMs },
      });
      return { signer, url, pool: this.pool };
    })();
    return this.setup;
  }

  functionName(fn: FunctionSpec): string {
    return `${this.options.functionPrefix}${fn.name}`;
  }

  /** Signs and sends one request; headers are lower-case. */
  private async send(
    s: Signed,
    method: string,
    path: string,
    query: Record<string, string>,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
    keep: (status: number) => number,
  ): Promise<Reply> {
    const host = s.url.host;
    const signed = await s.signer.sign({
      method,
      protocol: s.url.protocol,
      hostname: s.url.hostname,
      ...(s.url.port ? { port: Number(s.url.port) } : {}),
      path,
      query,
      headers: { host, 'user-agent': `faasload/${VERSION}`, ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    const qs = new URLSearchParams(query).toString();
    return exchange(
      s.pool,
      {
        origin: s.url.origin,
        path: `${path}${qs ? `?${qs}` : ''}`,
        method,
        headers: signed.headers as Record<string, string>,
        ...(body !== undefined ? { body } : {}),
      },
      timeoutMs,
      signal,
      keep,
    );
  }

  async deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the lambda platform has been torn down');
    const s = await this.ready();
    const missing: string[] = [];
    for (const fn of fns) {
      const name = this.functionName(fn);
      const reply = await this.send(
        s,
        'GET',
        `/2015-03-31/functions/${encodeURIComponent(name)}`,
        this.options.qualifier ? { Qualifier: this.options.qualifier } : {},
        {},
        undefined,
        30_000,
        signal,
        () => KEEP_ERROR_BYTES,
      );
      if (reply.kind === 'answer' && reply.status === 200) continue;
      if (reply.kind === 'answer' && reply.status === 404) {
        missing.push(name);
        continue;
      }
      if (reply.kind === 'cancelled' || reply.kind === 'aborted') signal.throwIfAborted();
      throw new FaasloadError(
        'E_PLATFORM',
        reply.kind === 'answer'
          ? `Lambda at ${s.url.origin}: checking function '${name}': ${errorText(reply)}`
          : `cannot reach Lambda at ${s.url.origin}: ${reply.message}`,
      );
    }
    if (missing.length > 0) {
      throw new FaasloadError(
        'E_PLATFORM',
        `Lambda at ${s.url.origin}: ${missing.length} function(s) do not exist (deploy them first): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
      );
    }
  }

  async invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult> {
    const failed = (outcome: 'error' | 'cancelled', error: string): InvocationResult => {
      const now = epochUs();
      const failure = outcome === 'cancelled' ? 'cancelled' : 'client';
      return { outcome, sentAtUs: now, endedAtUs: now, failure, error };
    };
    if (this.closed) return failed('error', 'the lambda platform was torn down');
    if (signal.aborted) return failed('cancelled', 'aborted before it was sent');
    let s: Signed;
    try {
      s = await this.ready();
    } catch (e) {
      return failed('error', e instanceof Error ? e.message : String(e));
    }
    const o = this.options;
    const event = o.invocationType === 'Event';
    const reply = await this.send(
      s,
      'POST',
      `/2015-03-31/functions/${encodeURIComponent(this.functionName(fn))}/invocations`,
      o.qualifier ? { Qualifier: o.qualifier } : {},
      {
        'content-type': 'application/json',
        'x-amz-invocation-type': o.invocationType,
        ...(event ? {} : { 'x-amz-log-type': 'Tail' }),
      },
      invocationPayload(arrival),
      o.invokeTimeoutMs,
      signal,
      () => KEEP_ERROR_BYTES,
    );
    if (reply.kind !== 'answer') return unansweredResult(reply, `POST ${s.url.origin}`);
    const result: InvocationResult = {
      outcome: 'ok',
      sentAtUs: reply.sentAtUs,
      endedAtUs: reply.endedAtUs,
      httpStatus: reply.status,
    };
    const requestId = reply.headers['x-amzn-requestid'];
    if (requestId) result.activationId = requestId;
    if (reply.status < 200 || reply.status >= 300)
      return { ...result, outcome: 'error', failure: failureOfStatus(reply.status), error: errorText(reply) };
    const report = reportFromHeader(reply.headers['x-amz-log-result']);
    if (report) {
      if (report.durationMs !== undefined) result.execMs = report.durationMs;
      result.coldStart = report.initDurationMs !== undefined;
      if (report.initDurationMs !== undefined) result.initMs = report.initDurationMs;
      if (report.billedDurationMs !== undefined) result.billedMs = report.billedDurationMs;
      if (report.maxMemoryUsedMb !== undefined) result.maxMemoryMb = report.maxMemoryUsedMb;
      if (!result.activationId && report.requestId) result.activationId = report.requestId;
    }
    const fnError = reply.headers['x-amz-function-error'];
    if (fnError) {
      const text = excerpt(reply.body);
      return {
        ...result,
        outcome: 'error',
        failure: 'application',
        error: `function error ${fnError}${text ? `: ${text}` : ''}`,
      };
    }
    return result;
  }

  teardown(): Promise<void> {
    this.closed = true;
    this.tornDown ??= this.pool
      ? closePools([this.pool], 'the lambda platform was torn down')
      : Promise.resolve();
    return this.tornDown;
  }
}

/** 'HTTP 429 TooManyRequestsException: Rate Exceeded.' from an error answer. */
function errorText(reply: Extract<Reply, { kind: 'answer' }>): string {
  const type = reply.headers['x-amzn-errortype']?.split(':')[0];
  let message: string | undefined;
  try {
    const body = JSON.parse(reply.body) as { message?: unknown; Message?: unknown; Type?: unknown };
    const m = body.message ?? body.Message;
    if (typeof m === 'string') message = m;
  } catch {
    message = excerpt(reply.body) || undefined;
  }
  return `HTTP ${reply.status}${type ? ` ${type}` : ''}${message ? `: ${message}` : ''}`;
}
