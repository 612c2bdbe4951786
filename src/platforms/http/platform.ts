/**
 * The generic HTTP platform: every invocation is one request to a URL made from a template, so a
 * replay can drive any HTTP endpoint (a FaaS gateway, a function URL, a plain service).
 *
 * Connections: one pool per origin, of at most `connections` kept-alive connections, one request
 * at a time on each (no pipelining): faasload's lean HTTP/1.1 client (h1.ts) for http: origins,
 * an undici Pool for https: ones. Past that, requests wait in the pool for a free connection; the
 * wait shows as lateness, since sentAtUs is the write to the socket (request.ts). undici Pools
 * rather than one Agent: Agent.close() forgets its pools at once, so a later Agent.destroy()
 * cannot end the requests still in flight (undici 7.30).
 * Nothing is deployed and nothing is platform-reported (coldStart, waitMs...): only the HTTP
 * status, the times and the error text.
 */
import { Pool } from 'undici';
import { FaasloadError } from '../../errors.js';
import type { Arrival } from '../../schedule/types.js';
import { epochUs } from '../../util/time.js';
import type { FunctionSpec, InvocationResult, PlatformAdapter } from '../types.js';
import { type Sender, undiciSender } from './exchange.js';
import { H1Pool } from './h1.js';
import { type HttpPlatformOptions, type ResolvedHttpOptions, resolveHttpOptions } from './options.js';
import { send } from './request.js';
import { templateValues } from './template.js';

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class HttpPlatform implements PlatformAdapter {
  readonly kind = 'http';
  /** The URL template's origin, without credentials (placeholders in the host left as written). */
  readonly address: string;

  private readonly options: ResolvedHttpOptions;
  private readonly pools = new Map<string, Sender>();
  /** Whether the headers give an authorization: then the URL's credentials are not used. */
  private readonly hasAuthorization: boolean;
  private closed = false;
  private tornDown: Promise<void> | undefined;

  /** Throws FaasloadError E_USAGE for invalid options. Opens no connection until the first invoke. */
  constructor(options: HttpPlatformOptions) {
    this.options = resolveHttpOptions(options);
    this.address = this.options.url.address;
    this.hasAuthorization = Object.keys(this.options.headers).some(
      (h) => h.toLowerCase() === 'authorization',
    );
  }

  private pool(origin: string): Sender {
    let pool = this.pools.get(origin);
    if (!pool) {
      const { connections, connectTimeoutMs } = this.options;
      pool = origin.startsWith('http:')
        ? new H1Pool({ origin, connections, connectTimeoutMs })
        : undiciSender(new Pool(origin, { connections, pipelining: 1, connectTimeout: connectTimeoutMs }));
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Nothing to deploy over plain HTTP: the functions are whatever the URL names. */
  async deploy(_fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the http platform has been torn down');
  }

  /** One request for the invocation; never rejects (see send() in request.ts for the outcomes). */
  async invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult> {
    const failed = (outcome: 'error' | 'cancelled', error: string): InvocationResult => {
      const now = epochUs();
      return { outcome, sentAtUs: now, endedAtUs: now, error };
    };
    if (this.closed) return failed('error', 'the http platform has been torn down');
    if (signal.aborted) return failed('cancelled', 'aborted before it was sent');
    const { url, method, body, invokeTimeoutMs } = this.options;
    let headers = this.options.headers;
    let target: ReturnType<typeof url.target>;
    const values = templateValues(fn, arrival);
    try {
      target = url.target(values);
    } catch (e) {
      return failed('error', messageOf(e));
    }
    if (target.authorization && !this.hasAuthorization) {
      headers = { ...headers, authorization: target.authorization };
    }
    return send(
      this.pool(target.origin),
      {
        origin: target.origin,
        path: target.path,
        url: target.url,
        method,
        headers,
        body: body?.render(values) ?? null,
      },
      invokeTimeoutMs,
      signal,
    );
  }

  /**
   * Closes every connection: requests in flight get CLOSE_GRACE_MS to finish, then are destroyed
   * (their outcome is 'error'). Idempotent. Afterwards invoke() answers 'error' and deploy() rejects.
   */
  teardown(): Promise<void> {
    this.closed = true;
    this.tornDown ??= this.close();
    return this.tornDown;
  }

  private async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close('the http platform was torn down')));
  }
}
