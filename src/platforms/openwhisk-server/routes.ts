/**
 * The OpenWhisk REST API (/api/v1; OpenWhisk's swagger is copied in test/fixtures/openwhisk) over a
 * LocalPlatform: actions (put, get, list, delete, invoke) and activations (list, get, result,
 * logs), per namespace. `_` is the caller's default namespace; any other valid name is a separate
 * namespace of the same key. Packages, triggers, rules and web actions are not served (404).
 *
 * Called by the HTTP server for every request; handlers never throw (a bug answers 500).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageOf } from '../../util/message.js';
import type { LocalFunctionSpec, LocalPlatform } from '../local/platform.js';
import {
  type ActionLimits,
  type ActionRecord,
  type ActivationRecord,
  actionBrief,
  actionView,
  activationBrief,
  activationRecord,
  DEFAULT_LIMITS,
  errorBody,
  type KeyValue,
  LIMIT_BOUNDS,
  newActivationId,
} from './records.js';
import { ActionStore, ActivationStore } from './store.js';

export const API_PREFIX = '/api/v1';

/** OpenWhisk's messages (common/scala/.../http/Messages.scala). */
export const MESSAGES = {
  unauthorized: 'The supplied authentication is invalid',
  notFound: 'The requested resource does not exist.',
  noRoute: 'The requested resource could not be found.',
  exists: 'resource already exists',
  malformed: 'The request content was malformed:',
  tooLarge: 'The request content was too large.',
} as const;

/** OpenWhisk's entity names: word characters, then also @ . - and spaces inside; at most 256. */
const ENTITY_NAME = /^(?:\w|\w[\w@ .-]*[\w@.-])$/;
const MAX_NAME_CHARS = 256;
/** Largest request body read: OpenWhisk's action size limit (48 MB) plus JSON overhead. */
const MAX_BODY_BYTES = 50 * 1024 * 1024;
/** Activation lists: default and largest page (OpenWhisk's). */
const LIST_DEFAULT = 30;
const LIST_MAX = 200;

export interface ApiOptions {
  platform: LocalPlatform;
  /** The caller's default namespace, what `_` means; also the activations' subject. */
  namespace: string;
  checkAuth: (header: string | undefined) => boolean;
  /** Activation records kept at most. */
  maxActivations: number;
  /** How long a blocking invoke waits before it answers 202 {activationId}. */
  blockingWaitMs: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Dict = Record<string, unknown>;
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

function isDict(x: unknown): x is Dict {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        reject(new HttpError(413, MESSAGES.tooLarge));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The body as a JSON object; empty → {} when allowed. Throws 400 otherwise. */
async function jsonBody(req: IncomingMessage, emptyOk: boolean): Promise<Dict> {
  const text = await readBody(req);
  if (text.trim() === '' && emptyOk) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `${MESSAGES.malformed}\n${messageOf(e)}`);
  }
  if (!isDict(body)) throw new HttpError(400, `${MESSAGES.malformed}\nthe body must be a JSON object`);
  return body;
}

function keyValues(x: unknown, field: string): KeyValue[] {
  if (x === undefined) return [];
  if (!Array.isArray(x)) throw new HttpError(400, `${MESSAGES.malformed}\n${field} must be an array`);
  return x.map((kv, i) => {
    if (!isDict(kv) || typeof kv.key !== 'string') {
      throw new HttpError(400, `${MESSAGES.malformed}\n${field}[${i}] must be {key, value}`);
    }
    return kv.value === undefined ? { key: kv.key } : { key: kv.key, value: kv.value };
  });
}

function limitsOf(x: unknown, base: ActionLimits): ActionLimits {
  if (x === undefined) return { ...base };
  if (!isDict(x)) throw new HttpError(400, `${MESSAGES.malformed}\nlimits must be an object`);
  const limits = { ...base };
  for (const key of Object.keys(LIMIT_BOUNDS) as (keyof ActionLimits)[]) {
    const v = x[key];
    if (v === undefined || v === null) continue;
    const [min, max] = LIMIT_BOUNDS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new HttpError(400, `${key} limit ${String(v)} is not an integer in [${min}, ${max}]`);
    }
    limits[key] = v;
  }
  return limits;
}

function checkName(name: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    throw new HttpError(400, `${what} name is not valid`);
  }
  if (decoded.length > MAX_NAME_CHARS || !ENTITY_NAME.test(decoded)) {
    throw new HttpError(400, `The ${what} name '${decoded}' contains illegal characters.`);
  }
  return decoded;
}

function bumpPatch(version: string): string {
  const [major = '0', minor = '0', patch = '0'] = version.split('.');
  return `${major}.${minor}.${Number(patch) + 1}`;
}

/** A query integer ≥ 0, or undefined when absent; 400 otherwise. */
function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new HttpError(400, `The parameter '${name}' must be a non-negative integer, got '${v}'`);
  }
  return n;
}

const platformSafe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/** The API's state and handlers. One per server. */
export class OpenWhiskApi {
  readonly actions = new ActionStore();
  readonly activations: ActivationStore;
  /** Platform function names by `namespace/name`, unique even after sanitizing. */
  private readonly platformNames = new Map<string, string>();
  private readonly usedPlatformNames = new Set<string>();
  /** Deployed specs, by `namespace/name`. */
  private readonly specs = new Map<string, LocalFunctionSpec>();
  /** Activations under way; aborted by close(). */
  private readonly running = new Set<AbortController>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly o: ApiOptions) {
    this.activations = new ActivationStore(o.maxActivations);
  }

  /** Entry point of the HTTP server's request listener. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req).then(
      (reply) => send(res, reply),
      (e: unknown) => {
        if (e instanceof HttpError) send(res, { status: e.status, body: errorBody(e.message) });
        else send(res, { status: 500, body: errorBody(`internal error: ${messageOf(e)}`) });
        if (!req.complete) req.resume();
      },
    );
  }

  /** Aborts the activations under way and waits for their records. */
  async close(): Promise<void> {
    for (const c of this.running) c.abort(new Error('the server is closing'));
    await Promise.allSettled([...this.pending]);
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname !== API_PREFIX && !url.pathname.startsWith(`${API_PREFIX}/`)) {
      throw new HttpError(404, MESSAGES.noRoute);
    }
    if (!this.o.checkAuth(req.headers.authorization)) throw new HttpError(401, MESSAGES.unauthorized);
    const parts = url.pathname
      .slice(API_PREFIX.length)
      .split('/')
      .filter((p) => p !== '');
    const q = url.searchParams;
    if (parts.length === 1 && parts[0] === 'namespaces' && method === 'GET') {
      return { status: 200, body: [this.o.namespace] };
    }
    if (parts[0] !== 'namespaces' || parts.length < 3) throw new HttpError(404, MESSAGES.noRoute);
    const ns = parts[1] === '_' ? this.o.namespace : checkName(parts[1]!, 'namespace');
    const collection = parts[2];
    const rest = parts.slice(3);

    if (collection === 'actions') {
      if (rest.length === 0) {
        if (method !== 'GET') throw new HttpError(405, 'HTTP method not allowed, supported methods: GET');
        return this.listActions(ns, q);
      }
      if (rest.length > 1) throw new HttpError(404, MESSAGES.notFound); // packages are not served
      const name = checkName(rest[0]!, 'action');
      switch (method) {
        case 'PUT':
          return this.putAction(ns, name, q, await jsonBody(req, false));
        case 'GET':
          return this.getAction(ns, name, q);
        case 'DELETE':
          return this.deleteAction(ns, name);
        case 'POST':
          return this.invoke(ns, name, q, await jsonBody(req, true));
        default:
          throw new HttpError(405, 'HTTP method not allowed, supported methods: GET, PUT, DELETE, POST');
      }
    }
    if (collection === 'activations') {
      if (method !== 'GET') throw new HttpError(405, 'HTTP method not allowed, supported methods: GET');
      if (rest.length === 0) return this.listActivations(ns, q);
      const record = this.activations.get(ns, rest[0]!);
      if (!record || rest.length > 2) throw new HttpError(404, MESSAGES.notFound);
      if (rest.length === 1) return { status: 200, body: record };
      if (rest[1] === 'result') {
        const { status, success, result, size } = record.response;
        return { status: 200, body: { status, success, result, size } };
      }
      if (rest[1] === 'logs') return { status: 200, body: { logs: record.logs } };
      throw new HttpError(404, MESSAGES.notFound);
    }
    throw new HttpError(404, MESSAGES.noRoute);
  }

  private listActions(ns: string, q: URLSearchParams): Reply {
    const skip = queryInt(q, 'skip') ?? 0;
    const limit = queryInt(q, 'limit') || LIST_DEFAULT;
    if (limit > LIST_MAX)
      throw new HttpError(400, `The value ${limit} exceeds the allowed limit ${LIST_MAX}.`);
    const page = this.actions.list(ns).slice(skip, skip + limit);
    return { status: 200, body: page.map(actionBrief) };
  }

  private getAction(ns: string, name: string, q: URLSearchParams): Reply {
    const record = this.actions.get(ns, name);
    if (!record) throw new HttpError(404, MESSAGES.notFound);
    return { status: 200, body: actionView(record, q.get('code') !== 'false') };
  }

  private async putAction(ns: string, name: string, q: URLSearchParams, body: Dict): Promise<Reply> {
    const before = this.actions.get(ns, name);
    if (before && q.get('overwrite') !== 'true') throw new HttpError(409, MESSAGES.exists);
    const exec = body.exec;
    let execRecord: ActionRecord['exec'];
    if (exec === undefined && before) {
      execRecord = before.exec; // an update of parameters, annotations or limits only
    } else {
      if (!isDict(exec)) throw new HttpError(400, `${MESSAGES.malformed}\nexec must be an object`);
      const kind = exec.kind;
      if (typeof kind !== 'string' || !/^nodejs(:[\w.]+)?$/.test(kind)) {
        throw new HttpError(400, `kind '${String(kind)}' is not supported here (nodejs:* only)`);
      }
      if (exec.binary === true) throw new HttpError(400, 'binary (zip) actions are not supported here');
      if (typeof exec.code !== 'string' || exec.code === '') {
        throw new HttpError(400, `${MESSAGES.malformed}\nexec.code must be a non-empty string`);
      }
      if (
        exec.main !== undefined &&
        (typeof exec.main !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(exec.main))
      ) {
        throw new HttpError(400, `${MESSAGES.malformed}\nexec.main must be a function name`);
      }
      execRecord = { kind, code: exec.code, binary: false, ...(exec.main ? { main: exec.main } : {}) };
    }
    const annotations =
      body.annotations !== undefined
        ? keyValues(body.annotations, 'annotations')
        : (before?.annotations ?? []);
    if (!annotations.some((a) => a.key === 'exec')) annotations.push({ key: 'exec', value: 'nodejs' });
    const record: ActionRecord = {
      namespace: ns,
      name,
      version: before ? bumpPatch(before.version) : '0.0.1',
      publish: body.publish === true,
      exec: execRecord,
      annotations,
      parameters:
        body.parameters !== undefined ? keyValues(body.parameters, 'parameters') : (before?.parameters ?? []),
      limits: limitsOf(body.limits, before?.limits ?? DEFAULT_LIMITS),
      updated: Date.now(),
    };
    const key = `${ns}/${name}`;
    const spec: LocalFunctionSpec = {
      id: key,
      name: this.platformName(key),
      memoryMb: record.limits.memory,
      timeoutMs: record.limits.timeout,
      concurrency: record.limits.concurrency,
      logLimitBytes: record.limits.logs * 1024 * 1024,
      action: { code: record.exec.code, main: record.exec.main ?? 'main' },
    };
    try {
      await this.o.platform.deploy([spec], AbortSignal.timeout(600_000));
    } catch (e) {
      throw new HttpError(500, `the platform could not deploy the action: ${messageOf(e)}`);
    }
    this.specs.set(key, spec);
    this.actions.put(record);
    return { status: 200, body: actionView(record, false) };
  }

  private deleteAction(ns: string, name: string): Reply {
    const record = this.actions.delete(ns, name);
    if (!record) throw new HttpError(404, MESSAGES.notFound);
    const key = `${ns}/${name}`;
    const spec = this.specs.get(key);
    this.specs.delete(key);
    if (spec) this.o.platform.undeploy(spec.name);
    return { status: 200, body: actionView(record, false) };
  }

  /** A platform function name for `namespace/name`: readable, and unique once sanitized. */
  private platformName(key: string): string {
    const known = this.platformNames.get(key);
    if (known) return known;
    const base = platformSafe(key.replace('/', '.'));
    let name = base;
    for (let n = 2; this.usedPlatformNames.has(name); n++) name = `${base}.${n}`;
    this.platformNames.set(key, name);
    this.usedPlatformNames.add(name);
    return name;
  }

  private async invoke(ns: string, name: string, q: URLSearchParams, payload: Dict): Promise<Reply> {
    const action = this.actions.get(ns, name);
    const spec = this.specs.get(`${ns}/${name}`);
    if (!action || !spec) throw new HttpError(404, MESSAGES.notFound);
    const blocking = q.get('blocking') === 'true';
    const resultOnly = q.get('result') === 'true';
    const params: Dict = {};
    for (const p of action.parameters) params[p.key] = p.value;
    Object.assign(params, payload);

    const activationId = newActivationId();
    const controller = new AbortController();
    this.running.add(controller);
    const done = this.o.platform
      .run(spec, params, controller.signal, activationId)
      .then((r) => {
        const record = activationRecord(action, this.o.namespace, r, {
          kind: action.exec.kind,
          containerId: r.containerId,
        });
        this.activations.add(record);
        return record;
      })
      .finally(() => {
        this.running.delete(controller);
        this.pending.delete(done);
      });
    this.pending.add(done);
    const headers = { 'x-openwhisk-activation-id': activationId };
    if (!blocking) return { status: 202, body: { activationId }, headers };

    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      done,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, this.o.blockingWaitMs, undefined);
      }),
    ]);
    clearTimeout(timer);
    // Still running past the blocking wait: OpenWhisk answers 202 with the id to poll.
    if (!waited) return { status: 202, body: { activationId }, headers };
    return { status: httpStatusOf(waited), body: resultOnly ? waited.response.result : waited, headers };
  }

  private listActivations(ns: string, q: URLSearchParams): Reply {
    const limit = queryInt(q, 'limit') || LIST_DEFAULT;
    if (limit > LIST_MAX)
      throw new HttpError(400, `The value ${limit} exceeds the allowed limit ${LIST_MAX}.`);
    const name = q.get('name');
    const since = queryInt(q, 'since');
    const upto = queryInt(q, 'upto');
    const found = this.activations.query({
      namespace: ns,
      skip: queryInt(q, 'skip') ?? 0,
      limit,
      ...(name ? { name: name.split('/').pop()! } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(upto !== undefined ? { upto } : {}),
    });
    return { status: 200, body: q.get('docs') === 'true' ? found : found.map(activationBrief) };
  }
}

/**
 * OpenWhisk's controller: success 200; application error and action developer error 502 (Bad
 * Gateway: the action failed, not the platform); whisk internal error 500.
 */
export function httpStatusOf(a: ActivationRecord): number {
  switch (a.response.status) {
    case 'success':
      return 200;
    case 'application error':
    case 'action developer error':
      return 502;
    default:
      return 500;
  }
}
