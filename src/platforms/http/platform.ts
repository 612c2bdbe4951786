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
import { messageOf } from '../../util/message.js';
import { epochUs } from '../../util/time.js';
import type { FunctionSpec, InvocationResult, PlatformAdapter, WarmInvoker, WarmPlan } from '../types.js';
import { type Sender, undiciSender } from './exchange.js';
import { H1Pool } from './h1.js';
import { type HttpPlatformOptions, type ResolvedHttpOptions, resolveHttpOptions } from './options.js';
import { type HttpRequest, send } from './request.js';
import { type Target, templateValues } from './template.js';
import { startWarmTarget } from './warm-target.js';

/**
 * warm(): connections opened per origin before the run, as many as answers taking this long would
 * keep busy at the plan's peak rate (Little's law), at least 1 and at most --connections.
 */
export const WARM_ANSWER_MS = 5;
/** An invocation that was not sent: settled at once, with no request. */
function failedResult(outcome: 'error' | 'cancelled', error: string): Promise<InvocationResult> {
  const now = epochUs();
  const failure = outcome === 'cancelled' ? 'cancelled' : 'client';
  return Promise.resolve({ outcome, sentAtUs: now, endedAtUs: now, failure, error });
}

/** warm(): origins are looked for among this many functions at most (templates rarely vary the host). */
const WARM_FUNCTIONS = 1000;

export class HttpPlatform implements PlatformAdapter {
  readonly kind = 'http';
  /** The URL template's origin, without credentials (placeholders in the host left as written). */
  readonly address: string;

  private readonly options: ResolvedHttpOptions;
  private readonly pools = new Map<string, Sender>();
  /** With a per-function URL template: each function's request, built at its first invocation. */
  private readonly requests = new Map<FunctionSpec, HttpRequest>();
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
  invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult> {
    return this.sendThrough(fn, arrival, signal, (origin) => this.pool(origin));
  }

  /**
   * Before time zero: opens the connections the plan will need on every http: origin of the
   * functions (WARM_ANSWER_MS at the peak rate; https: origins open theirs at the first send),
   * and returns a throw-away invoke that builds each request as invoke() does and sends it through
   * the same client to a server of this process (warm-target.ts), never to the target. A failed
   * connection is left for the run to report.
   */
  async warm(
    fns: readonly FunctionSpec[],
    plan: WarmPlan,
    signal: AbortSignal,
  ): Promise<WarmInvoker | undefined> {
    if (this.closed || signal.aborted) return undefined;
    const origins = new Set<string>();
    for (const fn of fns.slice(0, WARM_FUNCTIONS)) {
      try {
        origins.add(this.options.url.target(templateValues(fn, { seq: 0, fn: 0, atUs: 0 })).origin);
      } catch {
        // a template that cannot be filled fails each invocation, in the run
      }
    }
    const count = Math.min(
      this.options.connections,
      Math.max(1, Math.ceil((plan.peakPerS * WARM_ANSWER_MS) / 1000)),
    );
    await Promise.all([...origins].map((origin) => this.pool(origin).preconnect?.(count)));
    const target = await startWarmTarget();
    const pool = new H1Pool({
      origin: target.origin,
      connections: Math.min(count, 8),
      connectTimeoutMs: this.options.connectTimeoutMs,
    });
    return {
      invoke: (fn, arrival, s) => this.sendThrough(fn, arrival, s, () => pool),
      close: async () => {
        await pool.close('the warm-up is over', 0);
        await target.close();
      },
    };
  }

  /**
   * Not async: send()'s promise is returned as it is, without one more promise per request. When
   * the URL template is per function (UrlTemplate.perFunction), the request but its body is built
   * once per function and reused: the per-invocation garbage is what makes the dispatcher's
   * thread stop for collections.
   */
  private sendThrough(
    fn: FunctionSpec,
    arrival: Arrival,
    signal: AbortSignal,
    senderFor: (origin: string) => Sender,
  ): Promise<InvocationResult> {
    if (this.closed) return failedResult('error', 'the http platform has been torn down');
    if (signal.aborted) return failedResult('cancelled', 'aborted before it was sent');
    const { url, body, invokeTimeoutMs } = this.options;
    const values = body !== null || !url.perFunction ? templateValues(fn, arrival) : undefined;
    let request = url.perFunction ? this.requests.get(fn) : undefined;
    if (request === undefined) {
      try {
        request = this.request(url.target(values ?? templateValues(fn, arrival)));
      } catch (e) {
        return failedResult('error', messageOf(e));
      }
      if (url.perFunction) this.requests.set(fn, request);
    }
    const bodyText = values !== undefined ? (body?.render(values) ?? null) : null;
    return send(
      senderFor(request.origin),
      bodyText === null ? request : { ...request, body: bodyText },
      invokeTimeoutMs,
      signal,
    );
  }

  /** The request to `target`, without a body. */
  private request(target: Target): HttpRequest {
    const { method } = this.options;
    let headers = this.options.headers;
    if (target.authorization && !this.hasAuthorization) {
      headers = { ...headers, authorization: target.authorization };
    }
    return { origin: target.origin, path: target.path, url: target.url, method, headers, body: null };
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
