/**
 * The OpenWhisk REST API (/api/v1; OpenWhisk's swagger is copied in test/fixtures/openwhisk) over a
 * LocalPlatform: actions (put, get, list, delete, invoke) and activations (list, get, result,
 * logs), per namespace. `_` is the caller's default namespace; any other valid name is a separate
 * namespace of the same key. Packages (with bound parameters, no bindings), actions inside them,
 * sequences, triggers (fired: one activation per active rule), rules (enable, disable) and the
 * /whisk.system/alarms feeds are served; web actions and package bindings are not.
 *
 * Called by the HTTP server for every request; handlers never throw (a bug answers 500).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageOf } from '../../util/message.js';
import type { LocalFunctionSpec, LocalPlatform } from '../local/platform.js';
import { ALARM_FEEDS, ALARMS_NAMESPACE, ALARMS_PACKAGE, AlarmFeeds } from './alarms.js';
import {
  fqnString,
  type PackageRecord,
  packageBrief,
  packageView,
  parseFqn,
  type RuleRecord,
  ruleBrief,
  type TriggerRecord,
  triggerBrief,
  triggerView,
} from './entities.js';
import {
  type ActionExec,
  type ActionLimits,
  type ActionRecord,
  type ActivationRecord,
  actionBrief,
  actionView,
  activationBrief,
  activationRecord,
  DEFAULT_LIMITS,
  errorBody,
  isSequence,
  type KeyValue,
  LIMIT_BOUNDS,
  newActivationId,
  type ResponseStatus,
  type SequenceExec,
  STATUS_CODES,
} from './records.js';
import { ActivationStore, EntityStore } from './store.js';

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
/** `text`: the body is sent as text/plain (OpenWhisk's bare 'OK'). */
type Reply = { status: number; body: unknown; headers?: Record<string, string>; text?: boolean };

function isDict(x: unknown): x is Dict {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.status === 204) {
    res.writeHead(204, reply.headers);
    res.end();
    return;
  }
  const text = reply.text ? String(reply.body) : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': reply.text ? 'text/plain; charset=UTF-8' : 'application/json',
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

/** A PUT's annotations or parameters: the body's when it gives them, else those kept (an update's). */
function keyValuesOr(
  body: Dict,
  field: 'annotations' | 'parameters',
  kept: readonly KeyValue[] | undefined,
): KeyValue[] {
  return body[field] !== undefined ? keyValues(body[field], field) : [...(kept ?? [])];
}

/** An entity's next version: 0.0.1 when new, else its patch bumped, as OpenWhisk does. */
function nextVersion(before: { version: string } | undefined): string {
  return before ? bumpPatch(before.version) : '0.0.1';
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

/** A resolved action: its record and the package it is in, if any. */
interface Resolved {
  action: ActionRecord;
  pkg?: PackageRecord;
}

/** How an activation came about: a sequence's component has the sequence's activation as cause. */
interface ActivationContext {
  cause?: string;
  /** Sequences nested so far (OpenWhisk bounds the total of atomic components instead). */
  depth: number;
}

/** OpenWhisk's bound on a sequence's components (actionSequenceLimit). */
export const MAX_SEQUENCE_COMPONENTS = 50;

/** The API's state and handlers. One per server. */
export class OpenWhiskApi {
  readonly actions = new EntityStore<ActionRecord>();
  readonly packages = new EntityStore<PackageRecord>();
  readonly triggers = new EntityStore<TriggerRecord>();
  readonly rules = new EntityStore<RuleRecord>();
  readonly activations: ActivationStore;
  /** The /whisk.system/alarms feeds: fire triggers of this API on their schedule. */
  readonly alarms: AlarmFeeds;
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
    this.alarms = new AlarmFeeds((trigger, payload) => {
      const t = parseFqn(trigger, o.namespace);
      if (t && !t.path.includes('/')) this.fire(t.path, t.name, payload);
    });
    this.seedAlarmsPackage();
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

  /** Stops the alarms, aborts the activations under way and waits for their records. */
  async close(): Promise<void> {
    this.alarms.close();
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
      if (rest.length > 2) throw new HttpError(404, MESSAGES.notFound);
      // 'name', or 'pkg/name' for an action of a package.
      const path = rest.length === 2 ? `${ns}/${checkName(rest[0]!, 'package')}` : ns;
      const name = checkName(rest.at(-1)!, 'action');
      switch (method) {
        case 'PUT':
          return this.putAction(path, name, q, await jsonBody(req, false));
        case 'GET':
          return this.getAction(path, name, q);
        case 'DELETE':
          return this.deleteAction(path, name);
        case 'POST':
          return this.invoke(path, name, q, await jsonBody(req, true));
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
    if (collection === 'packages' || collection === 'triggers' || collection === 'rules') {
      if (rest.length === 0) {
        if (method !== 'GET') throw new HttpError(405, 'HTTP method not allowed, supported methods: GET');
        return this.listEntities(collection, ns, q);
      }
      if (rest.length > 1) throw new HttpError(404, MESSAGES.noRoute);
      const what = collection.slice(0, -1);
      const name = checkName(rest[0]!, what);
      if (method === 'GET') return this.getEntity(collection, ns, name);
      if (method === 'DELETE') return this.deleteEntity(collection, ns, name, q);
      if (method === 'PUT') {
        const body = await jsonBody(req, collection !== 'rules');
        if (collection === 'packages') return this.putPackage(ns, name, q, body);
        if (collection === 'triggers') return this.putTrigger(ns, name, q, body);
        return this.putRule(ns, name, q, body);
      }
      if (method === 'POST' && collection === 'triggers') {
        const trigger = this.triggers.get(ns, name);
        if (!trigger) throw new HttpError(404, MESSAGES.notFound);
        const fired = this.fire(ns, name, await jsonBody(req, true));
        if (!fired) return { status: 204, body: undefined };
        return {
          status: 202,
          body: { activationId: fired },
          headers: { 'x-openwhisk-activation-id': fired },
        };
      }
      if (method === 'POST' && collection === 'rules')
        return this.setRuleStatus(ns, name, await jsonBody(req, false));
      const allowed = collection === 'packages' ? 'GET, PUT, DELETE' : 'GET, PUT, DELETE, POST';
      throw new HttpError(405, `HTTP method not allowed, supported methods: ${allowed}`);
    }
    throw new HttpError(404, MESSAGES.noRoute);
  }

  private listActions(ns: string, q: URLSearchParams): Reply {
    const skip = queryInt(q, 'skip') ?? 0;
    const limit = queryInt(q, 'limit') || LIST_DEFAULT;
    if (limit > LIST_MAX)
      throw new HttpError(400, `The value ${limit} exceeds the allowed limit ${LIST_MAX}.`);
    // The namespace's actions and those of its packages, as OpenWhisk lists them.
    const page = this.actions.listDeep(ns).slice(skip, skip + limit);
    return { status: 200, body: page.map(actionBrief) };
  }

  private getAction(path: string, name: string, q: URLSearchParams): Reply {
    const record = this.actions.get(path, name);
    if (!record) throw new HttpError(404, MESSAGES.notFound);
    return { status: 200, body: actionView(record, q.get('code') !== 'false') };
  }

  private async putAction(path: string, name: string, q: URLSearchParams, body: Dict): Promise<Reply> {
    if (path.includes('/')) {
      const [ns, pkg] = path.split('/') as [string, string];
      if (!this.packages.get(ns, pkg)) throw new HttpError(404, MESSAGES.notFound);
      if (ns === ALARMS_NAMESPACE) throw new HttpError(403, 'the system packages are read-only');
    }
    const before = this.actions.get(path, name);
    if (before && q.get('overwrite') !== 'true') throw new HttpError(409, MESSAGES.exists);
    const exec = body.exec;
    let execRecord: ActionExec;
    if (exec === undefined && before) {
      execRecord = before.exec; // an update of parameters, annotations or limits only
    } else {
      if (!isDict(exec)) throw new HttpError(400, `${MESSAGES.malformed}\nexec must be an object`);
      const kind = exec.kind;
      if (kind === 'sequence') execRecord = this.sequenceExec(path, name, exec);
      else {
        if (typeof kind !== 'string' || !/^nodejs(:[\w.]+)?$/.test(kind)) {
          throw new HttpError(
            400,
            `kind '${String(kind)}' is not supported here (nodejs:* and sequence only)`,
          );
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
    }
    const annotations = keyValuesOr(
      body,
      'annotations',
      before?.annotations.filter((a) => a.key !== 'exec'),
    );
    if (!annotations.some((a) => a.key === 'exec'))
      annotations.push({ key: 'exec', value: isSequence(execRecord) ? 'sequence' : 'nodejs' });
    const record: ActionRecord = {
      namespace: path,
      name,
      version: nextVersion(before),
      publish: body.publish === true,
      exec: execRecord,
      annotations,
      parameters: keyValuesOr(body, 'parameters', before?.parameters),
      limits: limitsOf(body.limits, before?.limits ?? DEFAULT_LIMITS),
      updated: Date.now(),
    };
    const key = `${path}/${name}`;
    if (isSequence(record.exec)) {
      // A sequence runs its components; nothing of its own is deployed.
      this.undeploy(key);
    } else {
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
    }
    this.actions.put(record);
    return { status: 200, body: actionView(record, false) };
  }

  /** A sequence's exec: every component an existing action, not the sequence itself. */
  private sequenceExec(path: string, name: string, exec: Dict): SequenceExec {
    const components = exec.components;
    if (!Array.isArray(components) || components.length === 0) {
      throw new HttpError(
        400,
        'For sequence actions, exec.components must be a non-empty array of action names.',
      );
    }
    if (components.length > MAX_SEQUENCE_COMPONENTS) {
      throw new HttpError(400, `Too many actions in the sequence (at most ${MAX_SEQUENCE_COMPONENTS}).`);
    }
    const self = `${path}/${name}`;
    const names: string[] = [];
    for (const c of components) {
      const fqn = typeof c === 'string' ? parseFqn(c, this.o.namespace) : undefined;
      if (!fqn) throw new HttpError(400, `Sequence component name '${String(c)}' is not valid.`);
      if (fqnString(fqn) === self) throw new HttpError(400, 'Sequence may not refer to itself.');
      if (!this.actions.get(fqn.path, fqn.name)) {
        throw new HttpError(400, 'Sequence component does not exist.');
      }
      names.push(`/${fqnString(fqn)}`);
    }
    return { kind: 'sequence', components: names, binary: false };
  }

  private deleteAction(path: string, name: string): Reply {
    if (path.startsWith(`${ALARMS_NAMESPACE}/`))
      throw new HttpError(403, 'the system packages are read-only');
    const record = this.actions.delete(path, name);
    if (!record) throw new HttpError(404, MESSAGES.notFound);
    this.undeploy(`${path}/${name}`);
    return { status: 200, body: actionView(record, false) };
  }

  private undeploy(key: string): void {
    const spec = this.specs.get(key);
    this.specs.delete(key);
    if (spec) this.o.platform.undeploy(spec.name);
  }

  /** A platform function name for `namespace/name`: readable, and unique once sanitized. */
  private platformName(key: string): string {
    const known = this.platformNames.get(key);
    if (known) return known;
    const base = platformSafe(key.replaceAll('/', '.'));
    let name = base;
    for (let n = 2; this.usedPlatformNames.has(name); n++) name = `${base}.${n}`;
    this.platformNames.set(key, name);
    this.usedPlatformNames.add(name);
    return name;
  }

  /** The action at path/name and its package; undefined if either is gone. */
  private resolve(path: string, name: string): Resolved | undefined {
    const action = this.actions.get(path, name);
    if (!action) return undefined;
    if (!path.includes('/')) return { action };
    const [ns, pkgName] = path.split('/') as [string, string];
    const pkg = this.packages.get(ns, pkgName);
    return pkg ? { action, pkg } : undefined;
  }

  /** Bound parameters below the input: the package's, then the action's, then `input`. */
  private paramsOf(r: Resolved, input: Dict): Dict {
    const params: Dict = {};
    for (const p of r.pkg?.parameters ?? []) params[p.key] = p.value;
    for (const p of r.action.parameters) params[p.key] = p.value;
    return Object.assign(params, input);
  }

  /**
   * Starts one activation of a resolved action (code, sequence or system feed); its record is
   * stored when done. The id is known at once (a non-blocking invoke answers with it).
   */
  private activate(
    r: Resolved,
    params: Dict,
    ctx: ActivationContext,
  ): { id: string; done: Promise<ActivationRecord> } {
    const id = newActivationId();
    const controller = new AbortController();
    this.running.add(controller);
    let work: Promise<ActivationRecord>;
    if (isSequence(r.action.exec)) work = this.runSequence(r.action, r.action.exec, id, params, ctx);
    else if (r.action.namespace === `${ALARMS_NAMESPACE}/${ALARMS_PACKAGE}`) {
      work = Promise.resolve(this.runFeed(r.action, id, params, ctx));
    } else {
      const spec = this.specs.get(`${r.action.namespace}/${r.action.name}`);
      if (!spec) work = Promise.resolve(this.missingRecord(r.action, id, ctx));
      else {
        const action = r.action;
        work = this.o.platform.run(spec, params, controller.signal, id).then((res) =>
          activationRecord(action, this.o.namespace, res, {
            kind: action.exec.kind,
            containerId: res.containerId,
            cause: ctx.cause,
          }),
        );
      }
    }
    const done: Promise<ActivationRecord> = work
      .then((record) => {
        this.activations.add(record);
        return record;
      })
      .finally(() => {
        this.running.delete(controller);
        this.pending.delete(done);
      });
    this.pending.add(done);
    return { id, done };
  }

  /**
   * Runs a sequence's components in order, each one's result the next one's input (below its
   * own bound parameters); stops at the first that does not succeed. The sequence's record, as
   * OpenWhisk writes it: logs = the components' activation ids, response = the last one's,
   * duration = the sum of theirs, annotations topmost, path, kind 'sequence', limits, and the
   * enclosing sequence's activation as cause when nested.
   */
  private async runSequence(
    seq: ActionRecord,
    exec: SequenceExec,
    id: string,
    params: Dict,
    ctx: ActivationContext,
  ): Promise<ActivationRecord> {
    const start = Date.now();
    const ids: string[] = [];
    let duration = 0;
    let input = params;
    let last: ActivationRecord | undefined;
    let failure: string | undefined;
    for (const component of exec.components) {
      const fqn = parseFqn(component, this.o.namespace)!;
      const r = this.resolve(fqn.path, fqn.name);
      if (!r) {
        failure = `Sequence component does not exist: ${component}`;
        break;
      }
      if (ctx.depth >= MAX_SEQUENCE_COMPONENTS) {
        failure = 'Too many nested sequences.';
        break;
      }
      const run = this.activate(r, this.paramsOf(r, input), { cause: id, depth: ctx.depth + 1 });
      ids.push(run.id);
      last = await run.done;
      duration += last.duration ?? 0;
      if (!last.response.success) break;
      input = isDict(last.response.result) ? last.response.result : {};
    }
    const end = Math.max(start, Date.now());
    const response: ActivationRecord['response'] = failure
      ? {
          status: 'action developer error',
          statusCode: STATUS_CODES['action developer error'],
          success: false,
          result: { error: failure },
          size: Buffer.byteLength(JSON.stringify({ error: failure })),
        }
      : { ...last!.response };
    return {
      namespace: seq.namespace.split('/')[0]!,
      name: seq.name,
      version: seq.version,
      publish: false,
      subject: this.o.namespace,
      activationId: id,
      start,
      end,
      duration,
      ...(ctx.cause !== undefined ? { cause: ctx.cause } : {}),
      statusCode: response.statusCode,
      response,
      logs: ids,
      annotations: [
        { key: 'topmost', value: ctx.cause === undefined },
        { key: 'path', value: `${seq.namespace}/${seq.name}` },
        { key: 'kind', value: 'sequence' },
        { key: 'limits', value: { ...seq.limits } },
        ...(ctx.cause !== undefined ? [{ key: 'causedBy', value: 'sequence' }] : []),
      ],
    };
  }

  /** A /whisk.system/alarms feed action, run in the server (no instance). */
  private runFeed(action: ActionRecord, id: string, params: Dict, ctx: ActivationContext): ActivationRecord {
    const start = Date.now();
    const feed = ALARM_FEEDS.find((f) => f === action.name);
    const answer = feed ? this.alarms.handle(feed, params) : { ok: false as const, error: 'not a feed' };
    const result = answer.ok ? answer.result : { error: answer.error };
    return this.plainRecord(action, id, start, answer.ok ? 'success' : 'application error', result, ctx);
  }

  /** The record of an action whose code is gone (deleted while a sequence or rule named it). */
  private missingRecord(action: ActionRecord, id: string, ctx: ActivationContext): ActivationRecord {
    return this.plainRecord(
      action,
      id,
      Date.now(),
      'whisk internal error',
      { error: MESSAGES.notFound },
      ctx,
    );
  }

  private plainRecord(
    action: ActionRecord,
    id: string,
    start: number,
    status: ResponseStatus,
    result: Dict,
    ctx: ActivationContext,
  ): ActivationRecord {
    const end = Math.max(start, Date.now());
    const statusCode = STATUS_CODES[status];
    return {
      namespace: action.namespace.split('/')[0]!,
      name: action.name,
      version: action.version,
      publish: false,
      subject: this.o.namespace,
      activationId: id,
      start,
      end,
      duration: end - start,
      ...(ctx.cause !== undefined ? { cause: ctx.cause } : {}),
      statusCode,
      response: {
        status,
        statusCode,
        success: status === 'success',
        result,
        size: Buffer.byteLength(JSON.stringify(result)),
      },
      logs: [],
      annotations: [
        { key: 'path', value: `${action.namespace}/${action.name}` },
        { key: 'kind', value: action.exec.kind },
        { key: 'limits', value: { ...action.limits } },
      ],
    };
  }

  private async invoke(path: string, name: string, q: URLSearchParams, payload: Dict): Promise<Reply> {
    const r = this.resolve(path, name);
    if (!r) throw new HttpError(404, MESSAGES.notFound);
    const blocking = q.get('blocking') === 'true';
    const resultOnly = q.get('result') === 'true';
    const { id: activationId, done } = this.activate(r, this.paramsOf(r, payload), { depth: 0 });
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

  /**
   * Fires trigger ns/name with `payload`: with no active rule, nothing happens (undefined: the
   * API answers 204); else each active rule's action is invoked (non-blocking) with the
   * trigger's parameters below the payload, and the trigger's activation is stored at once:
   * response = the payload, logs = one JSON line per rule ({statusCode, success, activationId |
   * error, rule, action}, as OpenWhisk writes them), end 0 and no duration. Returns its id.
   */
  fire(ns: string, name: string, payload: Dict): string | undefined {
    const trigger = this.triggers.get(ns, name);
    if (!trigger) return undefined;
    const linked = [...this.rules.all()].filter((r) => r.trigger.path === ns && r.trigger.name === name);
    if (!linked.some((r) => r.status === 'active')) return undefined;
    const id = newActivationId();
    const start = Date.now();
    const args: Dict = {};
    for (const p of trigger.parameters) args[p.key] = p.value;
    Object.assign(args, payload);
    const logs: string[] = [];
    for (const rule of linked.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const ruleName = `${rule.namespace}/${rule.name}`;
      const actionName = fqnString(rule.action);
      let line: Dict;
      if (rule.status !== 'active') {
        line = {
          statusCode: STATUS_CODES['application error'],
          success: false,
          error: `Rule '${ruleName}' is inactive, action '${actionName}' was not activated.`,
        };
      } else {
        const r = this.resolve(rule.action.path, rule.action.name);
        if (!r) {
          line = { statusCode: STATUS_CODES['application error'], success: false, error: MESSAGES.notFound };
        } else {
          const run = this.activate(r, this.paramsOf(r, args), { depth: 0 });
          run.done.catch(() => {});
          line = { statusCode: 0, success: true, activationId: run.id };
        }
      }
      logs.push(JSON.stringify({ ...line, rule: ruleName, action: actionName }));
    }
    const result = { ...payload };
    this.activations.add({
      namespace: ns,
      name,
      version: trigger.version,
      publish: false,
      subject: this.o.namespace,
      activationId: id,
      start,
      end: 0,
      statusCode: 0,
      response: {
        status: 'success',
        statusCode: 0,
        success: true,
        result,
        size: Buffer.byteLength(JSON.stringify(result)),
      },
      logs,
      annotations: [],
    });
    return id;
  }

  private listEntities(collection: 'packages' | 'triggers' | 'rules', ns: string, q: URLSearchParams): Reply {
    const skip = queryInt(q, 'skip') ?? 0;
    const limit = queryInt(q, 'limit') || LIST_DEFAULT;
    if (limit > LIST_MAX)
      throw new HttpError(400, `The value ${limit} exceeds the allowed limit ${LIST_MAX}.`);
    const page = <T>(items: T[]) => items.slice(skip, skip + limit);
    if (collection === 'packages')
      return { status: 200, body: page(this.packages.list(ns)).map(packageBrief) };
    if (collection === 'triggers')
      return { status: 200, body: page(this.triggers.list(ns)).map(triggerBrief) };
    return { status: 200, body: page(this.rules.list(ns)).map(ruleBrief) };
  }

  private getEntity(collection: 'packages' | 'triggers' | 'rules', ns: string, name: string): Reply {
    if (collection === 'packages') {
      const p = this.packages.get(ns, name);
      if (!p) throw new HttpError(404, MESSAGES.notFound);
      return { status: 200, body: packageView(p, this.actions.list(`${ns}/${name}`)) };
    }
    if (collection === 'triggers') {
      const t = this.triggers.get(ns, name);
      if (!t) throw new HttpError(404, MESSAGES.notFound);
      return { status: 200, body: triggerView(t, [...this.rules.all()]) };
    }
    const r = this.rules.get(ns, name);
    if (!r) throw new HttpError(404, MESSAGES.notFound);
    return { status: 200, body: r };
  }

  private deleteEntity(
    collection: 'packages' | 'triggers' | 'rules',
    ns: string,
    name: string,
    q: URLSearchParams,
  ): Reply {
    if (collection === 'packages') {
      if (ns === ALARMS_NAMESPACE) throw new HttpError(403, 'the system packages are read-only');
      const p = this.packages.get(ns, name);
      if (!p) throw new HttpError(404, MESSAGES.notFound);
      const inside = this.actions.list(`${ns}/${name}`);
      if (inside.length > 0 && q.get('force') !== 'true') {
        const n = inside.length;
        throw new HttpError(
          409,
          `Package not empty (contains ${n} ${n === 1 ? 'entity' : 'entities'}). Set force param or delete package contents.`,
        );
      }
      for (const a of inside) this.deleteAction(`${ns}/${name}`, a.name);
      this.packages.delete(ns, name);
      return { status: 200, body: packageBrief(p) };
    }
    if (collection === 'triggers') {
      const t = this.triggers.get(ns, name);
      if (!t) throw new HttpError(404, MESSAGES.notFound);
      const body = triggerView(t, [...this.rules.all()]);
      this.triggers.delete(ns, name);
      return { status: 200, body };
    }
    const r = this.rules.delete(ns, name);
    if (!r) throw new HttpError(404, MESSAGES.notFound);
    return { status: 200, body: { ...r, status: 'inactive' } };
  }

  private putPackage(ns: string, name: string, q: URLSearchParams, body: Dict): Reply {
    if (ns === ALARMS_NAMESPACE) throw new HttpError(403, 'the system packages are read-only');
    const before = this.packages.get(ns, name);
    if (before && q.get('overwrite') !== 'true') throw new HttpError(409, MESSAGES.exists);
    if (body.binding !== undefined && !(isDict(body.binding) && Object.keys(body.binding).length === 0)) {
      throw new HttpError(400, 'package bindings are not supported here');
    }
    const record: PackageRecord = {
      namespace: ns,
      name,
      version: nextVersion(before),
      publish: body.publish === true,
      annotations: keyValuesOr(body, 'annotations', before?.annotations),
      parameters: keyValuesOr(body, 'parameters', before?.parameters),
      updated: Date.now(),
    };
    this.packages.put(record);
    return { status: 200, body: packageView(record) };
  }

  private putTrigger(ns: string, name: string, q: URLSearchParams, body: Dict): Reply {
    const before = this.triggers.get(ns, name);
    if (before && q.get('overwrite') !== 'true') throw new HttpError(409, MESSAGES.exists);
    const annotations = keyValuesOr(body, 'annotations', before?.annotations);
    const feed = annotations.find((a) => a.key === 'feed')?.value;
    if (feed !== undefined && (typeof feed !== 'string' || !parseFqn(feed, this.o.namespace))) {
      throw new HttpError(400, 'Feed name is not valid');
    }
    const record: TriggerRecord = {
      namespace: ns,
      name,
      version: nextVersion(before),
      publish: body.publish === true,
      annotations,
      parameters: keyValuesOr(body, 'parameters', before?.parameters),
      updated: Date.now(),
    };
    this.triggers.put(record);
    return { status: 200, body: triggerView(record, [...this.rules.all()]) };
  }

  private putRule(ns: string, name: string, q: URLSearchParams, body: Dict): Reply {
    const before = this.rules.get(ns, name);
    if (before && q.get('overwrite') !== 'true') throw new HttpError(409, MESSAGES.exists);
    const triggerText = body.trigger ?? (before ? `/${fqnString(before.trigger)}` : undefined);
    const actionText = body.action ?? (before ? `/${fqnString(before.action)}` : undefined);
    if (typeof triggerText !== 'string' || typeof actionText !== 'string') {
      throw new HttpError(400, 'rule requires a valid trigger and a valid action');
    }
    const trigger = parseFqn(triggerText, ns);
    const action = parseFqn(actionText, ns);
    if (!trigger || trigger.path.includes('/') || !action) {
      throw new HttpError(400, 'rule requires a valid trigger and a valid action');
    }
    if (!this.triggers.get(trigger.path, trigger.name)) {
      throw new HttpError(400, `trigger /${fqnString(trigger)} does not exist`);
    }
    if (!this.resolve(action.path, action.name)) {
      throw new HttpError(400, `action /${fqnString(action)} does not exist`);
    }
    const record: RuleRecord = {
      namespace: ns,
      name,
      version: nextVersion(before),
      publish: body.publish === true,
      annotations: keyValuesOr(body, 'annotations', before?.annotations),
      // A new rule is active; an update keeps the status (OpenWhisk's).
      status: before?.status ?? 'active',
      trigger,
      action,
      updated: Date.now(),
    };
    this.rules.put(record);
    return { status: 200, body: record };
  }

  /** POST {status: active | inactive}: 200 'OK' (also when it already was so). */
  private setRuleStatus(ns: string, name: string, body: Dict): Reply {
    const rule = this.rules.get(ns, name);
    if (!rule) throw new HttpError(404, MESSAGES.notFound);
    const status = body.status;
    if (status !== 'active' && status !== 'inactive') {
      throw new HttpError(400, `${MESSAGES.malformed}\nstatus must be 'active' or 'inactive'`);
    }
    if (!this.triggers.get(rule.trigger.path, rule.trigger.name)) {
      throw new HttpError(404, 'Only rules with existing triggers can be activated');
    }
    this.rules.put({ ...rule, status });
    return { status: 200, body: 'OK', text: true };
  }

  /** /whisk.system/alarms with its feed actions (run by the server itself, see alarms.ts). */
  private seedAlarmsPackage(): void {
    const now = Date.now();
    this.packages.put({
      namespace: ALARMS_NAMESPACE,
      name: ALARMS_PACKAGE,
      version: '0.0.1',
      publish: true,
      annotations: [{ key: 'description', value: 'Alarms and periodic utility' }],
      parameters: [],
      updated: now,
    });
    for (const feed of ALARM_FEEDS) {
      this.actions.put({
        namespace: `${ALARMS_NAMESPACE}/${ALARMS_PACKAGE}`,
        name: feed,
        version: '0.0.1',
        publish: true,
        exec: { kind: 'nodejs:20', code: '// built into the server: see alarms.ts', binary: false },
        annotations: [
          { key: 'feed', value: true },
          { key: 'exec', value: 'nodejs' },
        ],
        parameters: [],
        limits: { ...DEFAULT_LIMITS },
        updated: now,
      });
    }
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
