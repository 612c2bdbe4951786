/**
 * The OpenFaaS platform, through its gateway's REST API:
 *
 * - deploy: with an image, POST /system/functions {service, image, envVars, labels, annotations,
 *   limits, requests} per function (409 = it exists: PUT the same body to update it); without
 *   one, GET /system/function/NAME checks each exists (the missing are named in one E_PLATFORM).
 *   Basic auth (user, password) on every /system request; 401 says the credentials were refused.
 * - invoke: POST /function/NAME with {...params, seq, durationMs, memoryMb}; the answer's
 *   X-Call-Id is the activation id and X-Duration-Seconds (the watchdog's) the execution time.
 *   With async: POST /async-function/NAME with X-Callback-Url pointing at faasload's callback
 *   server (127.0.0.1 by default); the gateway answers 202 with X-Call-Id, the queue worker later
 *   POSTs the result there with the same X-Call-Id, X-Function-Status and X-Duration-Seconds; the
 *   row ends when that callback arrives (no callback within invokeTimeoutMs: 'timeout').
 *   2xx is 'ok'; 404 (no such function), 429, 5xx and a failed async status are 'error'.
 * - teardown: DELETE /system/functions {functionName} for what deploy created (404 ignored);
 *   never throws (failures become notices); closes the pool and the callback server.
 * Namespaced functions (namespace given) are NAME.NAMESPACE in invocation paths, as the gateway
 * routes them, and ?namespace= on /system requests. The password never appears in any text.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { FaasloadError } from '../../errors.js';
import type { Arrival } from '../../schedule/types.js';
import { onAbort } from '../../util/abort.js';
import { epochUs } from '../../util/time.js';
import { VERSION } from '../../version.js';
import type { Deployable } from '../capabilities.js';
import { failureOfStatus } from '../failure.js';
import { excerpt, keepErrorExcerpt } from '../http/excerpt.js';
import { closePools, exchange, type Reply, unansweredResult } from '../http/exchange.js';
import { invocationPayload } from '../payload.js';
import type { FunctionSpec, InvocationResult } from '../types.js';
import {
  type OpenFaasPlatformOptions,
  type ResolvedOpenFaasOptions,
  resolveOpenFaasOptions,
} from './options.js';

/** The body of POST/PUT /system/functions (OpenFaaS FunctionDeployment). */
export interface FunctionDeployment {
  service: string;
  image: string;
  namespace?: string;
  envVars: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  limits?: { memory: string };
  requests?: { memory: string };
}

/** What the callback server received for one call id. */
interface Callback {
  status: number;
  durationMs: number | undefined;
  body: string;
  atUs: number;
}

/** Callbacks whose POST answer is not processed yet are kept at most this many. */
const MAX_EARLY = 10_000;
const KEEP_BYTES = 64 * 1024;

export class OpenFaasPlatform implements Deployable {
  readonly kind = 'openfaas';
  readonly address: string;
  readonly notices: string[] = [];
  /** What the last teardown could not delete (also a notice). */
  teardownFailure: string | undefined;
  private readonly options: ResolvedOpenFaasOptions;
  private readonly invokePool: Pool;
  private readonly controlPool: Pool;
  private readonly deployed = new Set<string>();
  private callbackServer: Server | undefined;
  private callbackUrl: string | undefined;
  /** Async calls waiting for their callback, by X-Call-Id. */
  private readonly waiting = new Map<string, (cb: Callback) => void>();
  private readonly early = new Map<string, Callback>();
  private closed = false;
  private tornDown: Promise<void> | undefined;

  constructor(options: OpenFaasPlatformOptions) {
    this.options = resolveOpenFaasOptions(options);
    const o = this.options;
    this.address = `${o.origin}${o.basePath}`;
    const poolOptions = (connections: number) => ({
      connections,
      pipelining: 1,
      connect: { timeout: o.connectTimeoutMs },
    });
    this.invokePool = new Pool(o.origin, poolOptions(o.connections));
    this.controlPool = new Pool(o.origin, poolOptions(8));
  }

  /** The deployment body for one function. */
  deployment(fn: FunctionSpec): FunctionDeployment {
    const d: FunctionDeployment = {
      service: fn.name,
      image: this.options.image ?? '',
      envVars: { FAASLOAD_FUNCTION: fn.id },
      labels: { faasload: 'true' },
      annotations: { 'faasload/function': fn.id, 'faasload/version': VERSION },
    };
    if (this.options.namespace !== undefined) d.namespace = this.options.namespace;
    if (fn.memoryMb !== undefined && fn.memoryMb > 0) {
      const mem = `${Math.ceil(fn.memoryMb)}Mi`;
      d.limits = { memory: mem };
      d.requests = { memory: mem };
    }
    return d;
  }

  private systemPath(path: string): string {
    const ns = this.options.namespace;
    return `${this.options.basePath}/system/${path}${ns !== undefined ? `?namespace=${encodeURIComponent(ns)}` : ''}`;
  }

  private system(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Reply> {
    const headers: Record<string, string> = { 'user-agent': `faasload/${VERSION}` };
    if (this.options.authorization) headers.authorization = this.options.authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return exchange(
      this.controlPool,
      {
        origin: this.options.origin,
        path: this.systemPath(path),
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      },
      this.options.requestTimeoutMs,
      signal,
      () => KEEP_BYTES,
    );
  }

  private systemError(what: string, reply: Reply): FaasloadError {
    const text =
      reply.kind !== 'answer'
        ? `cannot reach the OpenFaaS gateway at ${this.address}: ${reply.message}`
        : reply.status === 401
          ? `the OpenFaaS gateway at ${this.address} refused the credentials (HTTP 401): check --openfaas-user and the password`
          : `OpenFaaS gateway at ${this.address}: HTTP ${reply.status}: ${excerpt(reply.body)}`;
    return new FaasloadError('E_PLATFORM', this.redact(`${what}: ${text}`));
  }

  async deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the openfaas platform has been torn down');
    if (this.options.async) await this.startCallbackServer();
    if (this.options.image === undefined) {
      const missing: string[] = [];
      for (const fn of fns) {
        const reply = await this.system('GET', `function/${encodeURIComponent(fn.name)}`, undefined, signal);
        if (reply.kind === 'answer' && reply.status === 404) missing.push(fn.name);
        else if (reply.kind !== 'answer' || reply.status !== 200)
          throw this.systemError(`checking function '${fn.name}'`, reply);
      }
      if (missing.length > 0) {
        throw new FaasloadError(
          'E_PLATFORM',
          `OpenFaaS gateway at ${this.address}: ${missing.length} function(s) not deployed (give --openfaas-image to deploy them): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
        );
      }
      return;
    }
    for (const fn of fns) {
      const body = this.deployment(fn);
      let reply = await this.system('POST', 'functions', body, signal);
      if (reply.kind === 'answer' && reply.status === 409)
        reply = await this.system('PUT', 'functions', body, signal);
      if (reply.kind === 'cancelled' || reply.kind === 'aborted') signal.throwIfAborted();
      if (reply.kind !== 'answer' || reply.status < 200 || reply.status >= 300) {
        throw this.systemError(`deploying function '${fn.name}'`, reply);
      }
      this.deployed.add(fn.name);
    }
  }

  /** Forgets the functions deploy() created, so that teardown() leaves them (faasload deploy). */
  keepDeployed(): void {
    this.deployed.clear();
  }

  /**
   * Takes charge of the gateway's functions that faasload deployed (label faasload=true), so that
   * teardown() deletes them too; returns their names. For faasload teardown.
   */
  async adoptDeployed(signal: AbortSignal): Promise<string[]> {
    const reply = await this.system('GET', 'functions', undefined, signal);
    if (reply.kind !== 'answer' || reply.status !== 200)
      throw this.systemError('listing the functions', reply);
    let list: unknown;
    try {
      list = JSON.parse(reply.body);
    } catch {
      list = undefined;
    }
    if (!Array.isArray(list)) {
      throw new FaasloadError(
        'E_PLATFORM',
        `OpenFaaS gateway at ${this.address}: GET /system/functions did not answer a list`,
      );
    }
    const names: string[] = [];
    for (const f of list as { name?: unknown; labels?: Record<string, unknown> | null }[]) {
      if (typeof f.name === 'string' && f.labels?.faasload === 'true') {
        this.deployed.add(f.name);
        names.push(f.name);
      }
    }
    return names;
  }

  private async startCallbackServer(): Promise<void> {
    if (this.callbackServer) return;
    const server = createServer((req, res) => this.onCallback(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(
          new FaasloadError(
            'E_PLATFORM',
            `openfaas: cannot listen for callbacks on ${this.options.callbackHost}:${this.options.callbackPort}: ${e.message}`,
          ),
        ),
      );
      server.listen(this.options.callbackPort, this.options.callbackHost, () => resolve());
    });
    this.callbackServer = server;
    const { port } = server.address() as AddressInfo;
    const host = this.options.callbackHost.includes(':')
      ? `[${this.options.callbackHost}]`
      : this.options.callbackHost;
    this.callbackUrl = this.options.callbackUrl ?? `http://${host}:${port}/callback`;
  }

  private onCallback(req: IncomingMessage, res: import('node:http').ServerResponse): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      if (bytes < KEEP_BYTES) chunks.push(c);
      bytes += c.length;
    });
    req.on('end', () => {
      const atUs = epochUs();
      res.writeHead(202).end();
      const id = header(req, 'x-call-id');
      if (!id) return;
      const status = Number(header(req, 'x-function-status') ?? 200);
      const seconds = Number(header(req, 'x-duration-seconds'));
      const cb: Callback = {
        status: Number.isFinite(status) ? status : 0,
        durationMs:
          Number.isFinite(seconds) && header(req, 'x-duration-seconds') !== undefined
            ? seconds * 1000
            : undefined,
        body: Buffer.concat(chunks).toString('utf8'),
        atUs,
      };
      const waiter = this.waiting.get(id);
      if (waiter) waiter(cb);
      else if (this.early.size < MAX_EARLY) this.early.set(id, cb);
    });
  }

  async invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult> {
    const now = epochUs();
    if (this.closed)
      return {
        outcome: 'error',
        sentAtUs: now,
        endedAtUs: now,
        failure: 'client',
        error: 'the openfaas platform was torn down',
      };
    const o = this.options;
    const target = o.namespace !== undefined ? `${fn.name}.${o.namespace}` : fn.name;
    const asyncCall = o.async && this.callbackUrl !== undefined;
    const path = `${o.basePath}/${asyncCall ? 'async-function' : 'function'}/${encodeURIComponent(target)}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `faasload/${VERSION}`,
    };
    if (asyncCall) headers['x-callback-url'] = this.callbackUrl!;
    const deadline = performance.now() + o.invokeTimeoutMs;
    const reply = await exchange(
      this.invokePool,
      {
        origin: o.origin,
        path,
        method: 'POST',
        headers,
        body: invocationPayload(arrival),
      },
      o.invokeTimeoutMs,
      signal,
      keepErrorExcerpt,
    );
    if (reply.kind !== 'answer') return unansweredResult(reply, `POST ${this.address}${path}`);
    const { sentAtUs } = reply;
    const result: InvocationResult = {
      outcome: 'ok',
      sentAtUs,
      endedAtUs: reply.endedAtUs,
      httpStatus: reply.status,
    };
    const callId = reply.headers['x-call-id'];
    if (callId) result.activationId = callId;
    if (reply.status < 200 || reply.status >= 300) {
      const text = excerpt(reply.body);
      return {
        ...result,
        outcome: 'error',
        failure: failureOfStatus(reply.status),
        error: `HTTP ${reply.status}${text ? `: ${text}` : ''}`,
      };
    }
    if (!asyncCall) {
      const seconds = Number(reply.headers['x-duration-seconds']);
      if (reply.headers['x-duration-seconds'] !== undefined && Number.isFinite(seconds))
        result.execMs = seconds * 1000;
      return result;
    }
    if (!callId) {
      return {
        ...result,
        outcome: 'error',
        failure: 'platform',
        error: `HTTP ${reply.status} without an X-Call-Id`,
      };
    }
    const cb = await this.awaitCallback(callId, deadline - performance.now(), signal);
    if (cb === 'timeout' || cb === 'aborted') {
      return {
        ...result,
        outcome: cb === 'timeout' ? 'timeout' : 'error',
        endedAtUs: epochUs(),
        failure: cb,
        error: cb === 'timeout' ? `no callback within ${o.invokeTimeoutMs} ms` : 'aborted',
      };
    }
    result.endedAtUs = cb.atUs;
    if (cb.durationMs !== undefined) result.execMs = cb.durationMs;
    if (cb.status < 200 || cb.status >= 300) {
      result.outcome = 'error';
      // The function's own status; 0 is the callback this adapter gave up at its teardown.
      result.failure = cb.status === TORN_DOWN_STATUS ? 'client' : 'application';
      const text = excerpt(cb.body);
      result.error = `function status ${cb.status}${text ? `: ${text}` : ''}`;
    }
    return result;
  }

  private awaitCallback(
    id: string,
    leftMs: number,
    signal: AbortSignal,
  ): Promise<Callback | 'timeout' | 'aborted'> {
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const done = (v: Callback | 'timeout' | 'aborted') => {
        clearTimeout(timer);
        unsubscribe();
        this.waiting.delete(id);
        resolve(v);
      };
      const timer = setTimeout(() => done('timeout'), Math.max(0, leftMs));
      const unsubscribe = onAbort(signal, () => done('aborted'));
      this.waiting.set(id, done);
    });
  }

  teardown(): Promise<void> {
    this.closed = true;
    this.tornDown ??= (async () => {
      const never = new AbortController().signal;
      const failures: string[] = [];
      for (const name of this.deployed) {
        const reply = await this.system('DELETE', 'functions', { functionName: name }, never);
        if (reply.kind === 'answer' && ((reply.status >= 200 && reply.status < 300) || reply.status === 404))
          continue;
        failures.push(
          `${name} (${reply.kind === 'answer' ? `HTTP ${reply.status}` : this.redact(reply.message)})`,
        );
        if (reply.kind === 'transport') break;
      }
      this.deployed.clear();
      if (failures.length > 0) {
        this.teardownFailure = `openfaas: teardown could not delete ${failures.length} function(s) at ${this.address}: ${failures.slice(0, 5).join(', ')}`;
        this.notices.push(this.teardownFailure);
      }
      for (const done of [...this.waiting.values()])
        done({ status: TORN_DOWN_STATUS, durationMs: undefined, body: 'torn down', atUs: epochUs() });
      if (this.callbackServer) {
        const s = this.callbackServer;
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      await closePools([this.invokePool, this.controlPool], 'the openfaas platform was torn down');
    })();
    return this.tornDown;
  }

  private redact(text: string): string {
    let out = text;
    for (const s of this.options.secrets) out = out.split(s).join('***');
    return out;
  }
}

/** The status of a callback that never came because the adapter was torn down. */
const TORN_DOWN_STATUS = 0;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
