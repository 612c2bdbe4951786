/**
 * The OpenWhisk platform: deploys the plan's functions as OpenWhisk actions through the REST API
 * (/api/v1, the controller's apiv1swagger.json, copied in test/fixtures/openwhisk), invokes them one
 * POST per invocation and reads each activation record into the row; works against Apache OpenWhisk
 * and against faasload's embedded OpenWhisk-compatible server.
 *
 * - deploy: PUT /namespaces/{ns}/actions/{name}?overwrite=true, at most deployConcurrency at once;
 *   exec {kind, code, main} (FunctionSpec.action, else the synthetic function), limits.memory =
 *   FunctionSpec.memoryMb rounded up to an integer and to OpenWhisk's 128 MB minimum (a notice says
 *   so), annotations faasload = true and faasload-function = the trace function's id.
 * - invoke: POST /namespaces/{ns}/actions/{name}?blocking=true|false with invocationValue()
 *   (the synthetic {...params, durationMs, memoryMb}, or a bound catalog function's input and
 *   parameters; see workload/binding.ts). sentAtUs is the write to the socket (request.ts). 200 and 502 (an
 *   application error) carry the activation record (activation.ts reads it). 202 (blocking: the
 *   action ran past the controller's wait; non-blocking: always) carries an activationId: then
 *   GET /namespaces/{ns}/activations/{id} is polled (404 = not yet) with a back-off from
 *   pollIntervalMs (x1.5, up to pollMaxIntervalMs) until the record or invokeTimeoutMs from the
 *   call ('timeout'). The row keeps the client's times: sentAtUs of the POST, endedAtUs when the
 *   record arrived; httpStatus is the POST's status (202 when polled).
 * - teardown: DELETE of every action deploy() created (404 ignored), then the pools close.
 *   Never throws (a failed DELETE becomes a notice), so the dataset is always written.
 *
 * Connections: an undici Pool of `connections` for invocations and a separate one of
 * `controlConnections` for deploy, polls and deletes, so polling never delays a send.
 * The key: only in the Authorization header; address, errors and notices never contain it.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { FaasloadError } from '../../errors.js';
import type { Arrival } from '../../schedule/types.js';
import { onAbort } from '../../util/abort.js';
import { messageOf } from '../../util/message.js';
import { epochUs } from '../../util/time.js';
import { VERSION } from '../../version.js';
import { invocationValue } from '../../workload/binding.js';
import { SYNTHETIC_ACTION_CODE, SYNTHETIC_ACTION_MAIN } from '../../workload/synthetic-action.js';
import type { ActionInvocationResult, ManifestDeployable, ReturnsActionResults } from '../capabilities.js';
import { type FailureKind, failureOfStatus } from '../failure.js';
import { closePools, unansweredResult } from '../http/exchange.js';
import type { SequenceCapable } from '../sequences.js';
import type { TriggerCapable } from '../triggers.js';
import type { FunctionSpec, InvocationResult } from '../types.js';
import { clip, isActivationRecord, parseObject, readActivation, resultOf } from './activation.js';
import type { KeyValue, Manifest, ManifestAction, ManifestLimits } from './manifest.js';
import {
  OPENWHISK_MIN_MEMORY_MB,
  type OpenWhiskPlatformOptions,
  type ResolvedOpenWhiskOptions,
  resolveOpenWhiskOptions,
} from './options.js';
import { type ApiRequest, type Reply, request } from './request.js';

/** Each next poll waits this much longer than the previous one (up to pollMaxIntervalMs). */
const POLL_BACKOFF = 1.5;

/** The body of an action PUT (swagger ActionPut). */
export interface ActionPut {
  namespace: string;
  name: string;
  exec: { kind: string; code: string; main: string };
  limits?: ManifestLimits;
  parameters?: KeyValue[];
  annotations: KeyValue[];
  publish: false;
}

/** Actions listed per request (OpenWhisk's largest page). */
const LIST_PAGE = 200;

export class OpenWhiskPlatform
  implements ManifestDeployable, ReturnsActionResults, TriggerCapable, SequenceCapable
{
  readonly kind = 'openwhisk';
  /** A successful activation's response.result is in the result (activation.ts). */
  readonly returnsActionResults = true;
  /** The API host (scheme, host, port, path prefix), without credentials. */
  readonly address: string;
  /**
   * What the user should know that is not an error: memory limits raised to OpenWhisk's minimum,
   * actions teardown could not delete. Never contains the key.
   */
  readonly notices: string[] = [];
  /** What the last teardown could not delete (also a notice). */
  teardownFailure: string | undefined;

  private readonly options: ResolvedOpenWhiskOptions;
  private readonly invokePool: Pool;
  private readonly controlPool: Pool;
  private readonly headers: Record<string, string>;
  /** Actions deploy() created or updated, for teardown. */
  private readonly deployed = new Set<string>();
  /** Packages deployManifest() created, deleted at teardown after their actions. */
  private readonly deployedPackages = new Set<string>();
  /** Rules and triggers deployTriggers() created, deleted at teardown before the actions. */
  private readonly deployedRules = new Set<string>();
  private readonly deployedTriggers = new Set<string>();
  /** Sequences deploySequence() created: deleted before the other actions. */
  private readonly sequences = new Set<string>();
  private closed = false;
  private tornDown: Promise<void> | undefined;

  /** Throws FaasloadError E_USAGE for invalid options. Opens no connection until the first request. */
  constructor(options: OpenWhiskPlatformOptions) {
    this.options = resolveOpenWhiskOptions(options);
    const o = this.options;
    this.address = o.address;
    this.headers = {
      authorization: o.authorization,
      accept: 'application/json',
      'user-agent': `faasload/${VERSION}`,
    };
    const poolOptions = (connections: number) => ({
      connections,
      pipelining: 1,
      connect: { timeout: o.connectTimeoutMs, ...(o.insecure ? { rejectUnauthorized: false } : {}) },
    });
    this.invokePool = new Pool(o.origin, poolOptions(o.connections));
    this.controlPool = new Pool(o.origin, poolOptions(o.controlConnections));
  }

  /** /api/v1/namespaces/{ns}/actions/{name}; a name 'pkg/action' is a package's action. */
  actionPath(name: string): string {
    const segments = name.split('/').map(encodeURIComponent).join('/');
    return `${this.options.basePath}/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/actions/${segments}`;
  }

  /**
   * Takes charge of the actions of the namespace that faasload deployed (annotation faasload),
   * whoever deployed them, so that teardown() deletes them too; returns their names. For
   * `faasload teardown` after a `faasload deploy` or a run that could not clean up.
   */
  async adoptDeployed(signal: AbortSignal): Promise<string[]> {
    const list = `${this.options.basePath}/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/actions`;
    const found: string[] = [];
    for (let skip = 0; ; skip += LIST_PAGE) {
      const reply = await this.control(
        { method: 'GET', path: `${list}?limit=${LIST_PAGE}&skip=${skip}` },
        signal,
      );
      if (reply.kind !== 'answer' || reply.status !== 200) {
        const why =
          reply.kind === 'answer' ? this.statusText(reply.status, reply.body) : this.redact(reply.message);
        throw new FaasloadError('E_PLATFORM', `cannot list the actions at ${this.address}: ${why}`);
      }
      const page = JSON.parse(reply.body) as { name?: unknown; annotations?: { key?: unknown }[] }[];
      for (const a of page) {
        if (typeof a.name === 'string' && a.annotations?.some((k) => k.key === 'faasload')) {
          this.deployed.add(a.name);
          found.push(a.name);
        }
      }
      if (page.length < LIST_PAGE) return found;
    }
  }

  /** Forgets the actions deploy() created, so that teardown() only closes connections. */
  keepDeployed(): void {
    this.deployed.clear();
    this.deployedPackages.clear();
    this.deployedRules.clear();
    this.deployedTriggers.clear();
  }

  /** Takes charge of a manifest's actions and packages (no request), so that teardown() deletes them. */
  adoptManifest(manifest: Manifest): void {
    for (const pkg of manifest.packages) {
      if (pkg.name !== undefined) this.deployedPackages.add(pkg.name);
      for (const a of pkg.actions) this.deployed.add(a.name);
    }
  }

  /** /api/v1/namespaces/{ns}/packages/{name}. */
  packagePath(name: string): string {
    return `${this.options.basePath}/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/packages/${encodeURIComponent(name)}`;
  }

  /** The PUT body of one manifest action (annotated faasload, as deploy() does). */
  manifestActionPut(a: ManifestAction): ActionPut {
    const put: ActionPut = {
      namespace: this.options.namespace,
      name: a.name.split('/').at(-1)!,
      exec: { kind: a.kind, code: a.code, main: a.main },
      annotations: [
        { key: 'faasload', value: true },
        { key: 'faasload-version', value: VERSION },
      ],
      publish: false,
    };
    if (Object.keys(a.limits).length > 0) put.limits = { ...a.limits };
    if (a.parameters.length > 0) put.parameters = a.parameters;
    return put;
  }

  /**
   * Deploys a wskdeploy-style manifest (manifest.ts): each package first (PUT ?overwrite=true,
   * its parameters, annotation faasload), then its actions, deployConcurrency at a time; the first
   * failure rejects with E_PLATFORM naming the package or action. teardown() deletes them (actions
   * first), unless keepDeployed() was called. Returns the action names ('pkg/action').
   */
  async deployManifest(manifest: Manifest, signal: AbortSignal): Promise<string[]> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the openwhisk platform has been torn down');
    const names: string[] = [];
    for (const pkg of manifest.packages) {
      if (pkg.name !== undefined) {
        const path = `${this.packagePath(pkg.name)}?overwrite=true`;
        const body = {
          namespace: this.options.namespace,
          name: pkg.name,
          publish: false,
          annotations: [{ key: 'faasload', value: true }],
          ...(pkg.parameters.length > 0 ? { parameters: pkg.parameters } : {}),
        };
        const reply = await this.control({ method: 'PUT', path, body: JSON.stringify(body) }, signal);
        if (reply.kind === 'cancelled' || reply.kind === 'aborted') signal.throwIfAborted();
        if (reply.kind !== 'answer' || reply.status < 200 || reply.status >= 300) {
          throw this.apiError(`deploying package '${pkg.name}' of ${manifest.file}`, 'PUT', path, reply);
        }
        this.deployedPackages.add(pkg.name);
      }
      await eachLimited(pkg.actions, this.options.deployConcurrency, async (a) => {
        const path = `${this.actionPath(a.name)}?overwrite=true`;
        const reply = await this.control(
          { method: 'PUT', path, body: JSON.stringify(this.manifestActionPut(a)) },
          signal,
        );
        if (reply.kind === 'answer' && reply.status >= 200 && reply.status < 300) {
          this.deployed.add(a.name);
          return;
        }
        if (reply.kind === 'cancelled' || reply.kind === 'aborted') signal.throwIfAborted();
        throw this.apiError(`deploying action '${a.name}' of ${manifest.file}`, 'PUT', path, reply);
      });
      names.push(...pkg.actions.map((a) => a.name));
    }
    return names;
  }

  activationPath(id: string): string {
    return `${this.options.basePath}/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/activations/${encodeURIComponent(id)}`;
  }

  /** The PUT body for one function (exported for tests and for a dry run). */
  actionPut(fn: FunctionSpec): ActionPut {
    const put: ActionPut = {
      namespace: this.options.namespace,
      name: fn.name,
      exec: {
        kind: this.options.kind,
        code: fn.action?.code ?? SYNTHETIC_ACTION_CODE,
        main: fn.action?.main ?? SYNTHETIC_ACTION_MAIN,
      },
      annotations: [
        { key: 'faasload', value: true },
        { key: 'faasload-function', value: fn.id },
        { key: 'faasload-version', value: VERSION },
      ],
      publish: false,
    };
    const mb = fn.memoryMb;
    if (mb !== undefined && Number.isFinite(mb) && mb > 0) {
      put.limits = { memory: Math.max(OPENWHISK_MIN_MEMORY_MB, Math.ceil(mb)) };
    }
    return put;
  }

  /**
   * Creates or updates every action, deployConcurrency PUTs at a time. The first failure stops
   * further PUTs and rejects with FaasloadError E_PLATFORM naming the action and the answer (401:
   * the key was refused; unreachable: the host). An abort rejects with the signal's reason.
   */
  async deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the openwhisk platform has been torn down');
    const byName = new Map<string, FunctionSpec>();
    for (const fn of fns) if (!byName.has(fn.name)) byName.set(fn.name, fn);
    const raised = [...byName.values()].filter(
      (fn) => fn.memoryMb !== undefined && fn.memoryMb > 0 && fn.memoryMb < OPENWHISK_MIN_MEMORY_MB,
    );
    if (raised.length > 0) {
      const least = Math.min(...raised.map((fn) => fn.memoryMb!));
      this.notices.push(
        `openwhisk: ${raised.length} action(s) asked for less than ${OPENWHISK_MIN_MEMORY_MB} MB (the least ${least} MB): deployed with ${OPENWHISK_MIN_MEMORY_MB} MB, OpenWhisk's minimum memory limit`,
      );
    }
    await eachLimited([...byName.values()], this.options.deployConcurrency, async (fn) => {
      const path = `${this.actionPath(fn.name)}?overwrite=true`;
      const reply = await this.control(
        { method: 'PUT', path, body: JSON.stringify(this.actionPut(fn)) },
        signal,
      );
      if (reply.kind === 'answer' && reply.status >= 200 && reply.status < 300) {
        this.deployed.add(fn.name);
        return;
      }
      if (reply.kind === 'cancelled' || reply.kind === 'aborted') signal.throwIfAborted();
      throw this.apiError(`deploying action '${fn.name}'`, 'PUT', path, reply);
    });
  }

  /** One invocation (see the module comment). Never rejects. */
  async invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<ActionInvocationResult> {
    const deadlineMs = performance.now() + this.options.invokeTimeoutMs;
    const posted = await this.post(this.actionPath(fn.name), fn, arrival, signal, undefined, deadlineMs);
    if ('failed' in posted) return posted.failed;
    return resultOf(readActivation(posted.record), posted);
  }

  /**
   * POSTs an invocation to an action path (the value: `value`, else invocationValue()) and gets
   * its activation record: from the answer, or polled after a 202. Never rejects.
   */
  private async post(
    actionPath: string,
    fn: FunctionSpec,
    arrival: Arrival,
    signal: AbortSignal,
    given: Record<string, unknown> | undefined,
    deadlineMs: number,
  ): Promise<
    | { record: Record<string, unknown>; sentAtUs: number; endedAtUs: number; httpStatus: number }
    | { failed: InvocationResult }
  > {
    if (this.closed)
      return { failed: failed('error', 'client', 'the openwhisk platform has been torn down') };
    if (signal.aborted) return { failed: failed('cancelled', 'cancelled', 'aborted before it was sent') };
    let value: Record<string, unknown>;
    try {
      value = given ?? invocationValue(fn, arrival);
    } catch (e) {
      return { failed: failed('error', 'client', `parameters: ${messageOf(e)}`) };
    }
    const path = `${actionPath}?blocking=${this.options.blocking}`;
    const reply = await this.postJson(path, value, signal);
    if (reply.kind !== 'answer') return { failed: this.transportResult(reply, 'POST', path) };
    const { status, sentAtUs, endedAtUs } = reply;
    const body = parseObject(reply.body);
    const base = { sentAtUs, endedAtUs, httpStatus: status };
    if (status === 202) {
      const id = body?.activationId;
      if (typeof id !== 'string' || id === '') {
        return {
          failed: {
            ...base,
            outcome: 'error',
            failure: 'platform',
            error: 'HTTP 202 without an activationId',
          },
        };
      }
      const found = await this.pollRecord(id, sentAtUs, status, deadlineMs, signal);
      if ('failed' in found) return found;
      return { record: found.record, sentAtUs, endedAtUs: found.endedAtUs, httpStatus: status };
    }
    if (isActivationRecord(body)) return { record: body, ...base };
    const failure = failureOfStatus(status);
    const outcome = failure === 'timeout' ? 'timeout' : 'error';
    return { failed: { ...base, outcome, failure, error: this.statusText(status, reply.body) } };
  }

  /**
   * Polls for activation `id` until its record (with when it arrived), the deadline ('timeout'),
   * an abort ('error' 'aborted') or teardown. 404 means not stored yet; other failures are retried
   * until the deadline.
   */
  private async pollRecord(
    id: string,
    sentAtUs: number,
    httpStatus: number,
    deadlineMs: number,
    signal: AbortSignal,
    firstWaitMs = this.options.pollIntervalMs,
  ): Promise<{ record: Record<string, unknown>; endedAtUs: number } | { failed: InvocationResult }> {
    const o = this.options;
    const path = this.activationPath(id);
    const base = { sentAtUs, httpStatus, activationId: id };
    const stopped = (failure: FailureKind, error: string) => ({
      failed: { ...base, outcome: 'error' as const, endedAtUs: epochUs(), failure, error },
    });
    let wait = firstWaitMs;
    let lastProblem: string | undefined;
    for (;;) {
      let left = deadlineMs - performance.now();
      if (left <= 0) break;
      if (wait > 0 && !(await sleep(Math.min(wait, left), signal))) return stopped('aborted', 'aborted');
      if (this.closed) return stopped('client', 'the openwhisk platform was torn down');
      wait = Math.min(Math.max(wait, o.pollIntervalMs) * POLL_BACKOFF, o.pollMaxIntervalMs);
      left = deadlineMs - performance.now();
      if (left <= 0) break;
      const reply = await request(
        this.controlPool,
        { origin: o.origin, method: 'GET', path, headers: this.headers },
        Math.min(left, o.requestTimeoutMs),
        signal,
      );
      if (reply.kind === 'cancelled' || reply.kind === 'aborted') return stopped('aborted', 'aborted');
      if (reply.kind !== 'answer') {
        lastProblem = this.redact(reply.message);
        continue;
      }
      if (reply.status === 404) continue;
      if (reply.status === 200) {
        const record = parseObject(reply.body);
        if (isActivationRecord(record)) return { record, endedAtUs: reply.endedAtUs };
        lastProblem = 'HTTP 200 without an activation record';
        continue;
      }
      const text = this.statusText(reply.status, reply.body);
      if (reply.status === 401 || reply.status === 403) return stopped('platform', `polling: ${text}`);
      lastProblem = text;
    }
    return {
      failed: {
        ...base,
        outcome: 'timeout',
        endedAtUs: epochUs(),
        failure: 'timeout',
        error: `no activation record within ${o.invokeTimeoutMs} ms${lastProblem ? ` (last poll: ${lastProblem})` : ''}`,
      },
    };
  }

  /** POSTs `value` as JSON on the invocation pool (an action's or a trigger's path), within the invocation timeout. */
  private postJson(path: string, value: Record<string, unknown>, signal: AbortSignal) {
    return request(
      this.invokePool,
      {
        origin: this.options.origin,
        method: 'POST',
        path,
        headers: { ...this.headers, 'content-type': 'application/json' },
        body: JSON.stringify(value),
      },
      this.options.invokeTimeoutMs,
      signal,
    );
  }

  /** /api/v1/namespaces/{ns}/{triggers|rules}/{name}. */
  private entityPath(collection: 'triggers' | 'rules', name: string): string {
    return `${this.options.basePath}/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/${collection}/${encodeURIComponent(name)}`;
  }

  /** The trigger and the rule that stand for fn's events: `<action>-trigger`, `<action>-rule`. */
  triggerNames(fn: FunctionSpec): { trigger: string; rule: string } {
    return { trigger: `${fn.name}-trigger`, rule: `${fn.name}-rule` };
  }

  /**
   * Creates (or updates) a sequence action `name` of deployed actions, in order (PUT exec
   * {kind: 'sequence', components: ['/ns/a', ...]}); teardown() deletes it. Rejects with
   * E_PLATFORM naming it.
   */
  async deploySequence(name: string, components: readonly string[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the openwhisk platform has been torn down');
    const ns = this.options.namespace;
    const path = `${this.actionPath(name)}?overwrite=true`;
    const body = {
      namespace: ns,
      name,
      exec: { kind: 'sequence', components: components.map((c) => `/${ns}/${c}`) },
      annotations: [
        { key: 'faasload', value: true },
        { key: 'faasload-version', value: VERSION },
      ],
      publish: false,
    };
    const reply = await this.control({ method: 'PUT', path, body: JSON.stringify(body) }, signal);
    if (reply.kind === 'answer' && reply.status >= 200 && reply.status < 300) {
      this.deployed.add(name);
      this.sequences.add(name);
      return;
    }
    if (reply.kind === 'cancelled' || reply.kind === 'aborted') signal.throwIfAborted();
    throw this.apiError(`deploying sequence '${name}'`, 'PUT', path, reply);
  }

  /**
   * Invokes sequence `fn` (as invoke()) and then reads its components' activation records (see
   * stepsOf()). Never rejects.
   */
  async invokeSequence(
    fn: FunctionSpec,
    arrival: Arrival,
    signal: AbortSignal,
  ): Promise<{ result: InvocationResult; steps: InvocationResult[] }> {
    const result = await this.invoke(fn, arrival, signal);
    if (result.activationId === undefined || result.outcome === 'cancelled') return { result, steps: [] };
    return { result, steps: await this.stepsOf(result.activationId, signal) };
  }

  /**
   * The components that sequence activation `id` ran, in order: its record's logs list their
   * activation ids; each record is read (polled while not stored yet, up to invokeTimeoutMs), with
   * the platform's own start and end; a record that cannot be read is an 'error' step. Never rejects.
   */
  async stepsOf(id: string, signal: AbortSignal): Promise<InvocationResult[]> {
    const deadlineMs = performance.now() + this.options.invokeTimeoutMs;
    const now = epochUs();
    const found = await this.pollRecord(id, now, 200, deadlineMs, signal, 0);
    if ('failed' in found) return [];
    const logs = Array.isArray(found.record.logs) ? found.record.logs : [];
    return Promise.all(
      logs.map(async (step): Promise<InvocationResult> => {
        if (typeof step !== 'string')
          return failed('error', 'platform', 'a sequence log line that is not an activation id');
        const component = await this.pollRecord(step, now, 200, deadlineMs, signal, 0);
        if ('failed' in component) return component.failed;
        return stepResult(component.record);
      }),
    );
  }

  /**
   * For each function, a trigger `<action>-trigger` and an active rule `<action>-rule` from it to
   * the action (PUT ?overwrite=true), deployConcurrency functions at a time; teardown() deletes
   * them (rules first). The first failure rejects with E_PLATFORM.
   */
  async deployTriggers(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the openwhisk platform has been torn down');
    const ns = this.options.namespace;
    const annotations = [{ key: 'faasload', value: true }];
    await eachLimited(fns, this.options.deployConcurrency, async (fn) => {
      const { trigger, rule } = this.triggerNames(fn);
      const puts: [string, string, Record<string, unknown>][] = [
        ['triggers', trigger, { namespace: ns, name: trigger, annotations, publish: false }],
        [
          'rules',
          rule,
          { name: rule, trigger: `/${ns}/${trigger}`, action: `/${ns}/${fn.name}`, annotations },
        ],
      ];
      for (const [collection, name, body] of puts) {
        const path = `${this.entityPath(collection === 'rules' ? 'rules' : 'triggers', name)}?overwrite=true`;
        const reply = await this.control({ method: 'PUT', path, body: JSON.stringify(body) }, signal);
        if (reply.kind === 'answer' && reply.status >= 200 && reply.status < 300) {
          (collection === 'rules' ? this.deployedRules : this.deployedTriggers).add(name);
          continue;
        }
        if (reply.kind === 'cancelled' || reply.kind === 'aborted') signal.throwIfAborted();
        throw this.apiError(`deploying ${collection.slice(0, -1)} '${name}'`, 'PUT', path, reply);
      }
    });
  }

  /**
   * Fires fn's trigger (POST, the invocation's value as payload: 202 {activationId}), polls for the
   * trigger's activation, takes the action activation id its rule's log line names, and polls for
   * that record. sentAtUs is the POST's, endedAtUs when the action's record arrived; triggerMs =
   * the action activation's start - the trigger activation's start (both platform-reported).
   * A 204 (no active rule) or a failed rule line is an 'error'. Never rejects.
   */
  async fire(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult> {
    const deadlineMs = performance.now() + this.options.invokeTimeoutMs;
    const via = { invokedVia: 'trigger' as const };
    if (this.closed)
      return { ...failed('error', 'client', 'the openwhisk platform has been torn down'), ...via };
    if (signal.aborted) return { ...failed('cancelled', 'cancelled', 'aborted before it was sent'), ...via };
    let value: Record<string, unknown>;
    try {
      value = invocationValue(fn, arrival);
    } catch (e) {
      return { ...failed('error', 'client', `parameters: ${messageOf(e)}`), ...via };
    }
    const { trigger } = this.triggerNames(fn);
    const path = this.entityPath('triggers', trigger);
    const reply = await this.postJson(path, value, signal);
    if (reply.kind !== 'answer') return { ...this.transportResult(reply, 'POST', path), ...via };
    const { status, sentAtUs, endedAtUs } = reply;
    const base = { sentAtUs, httpStatus: status, ...via };
    const triggerId = parseObject(reply.body)?.activationId;
    if (status !== 202 || typeof triggerId !== 'string') {
      const why =
        status === 204
          ? `trigger ${trigger} has no active rule (HTTP 204)`
          : this.statusText(status, reply.body);
      return {
        ...base,
        endedAtUs,
        outcome: 'error',
        failure: status === 204 ? 'not_found' : failureOfStatus(status),
        error: why,
      };
    }
    const withTrigger = { ...via, triggerActivationId: triggerId };
    const fired = await this.pollRecord(triggerId, sentAtUs, status, deadlineMs, signal);
    if ('failed' in fired) return { ...fired.failed, ...withTrigger };
    const line = ruleLine(fired.record, this.triggerNames(fn).rule);
    if ('error' in line) {
      return {
        ...base,
        ...withTrigger,
        endedAtUs: fired.endedAtUs,
        outcome: 'error',
        failure: 'platform',
        error: clip(line.error),
      };
    }
    const ran = await this.pollRecord(line.id, sentAtUs, status, deadlineMs, signal);
    if ('failed' in ran) return { ...ran.failed, ...withTrigger };
    const result = resultOf(readActivation(ran.record), {
      sentAtUs,
      endedAtUs: ran.endedAtUs,
      httpStatus: status,
    });
    const triggerStart = fired.record.start;
    const actionStart = ran.record.start;
    return {
      ...result,
      ...withTrigger,
      ...(typeof triggerStart === 'number' && typeof actionStart === 'number'
        ? { triggerMs: Math.max(0, actionStart - triggerStart) }
        : {}),
    };
  }

  /**
   * Deletes the actions deploy() created (404 ignored), then closes every connection: requests in
   * flight get CLOSE_GRACE_MS, then are destroyed. Idempotent; never rejects (failed deletes
   * become notices). Afterwards invoke() answers 'error' and deploy() rejects.
   */
  teardown(): Promise<void> {
    this.closed = true;
    this.tornDown ??= this.close();
    return this.tornDown;
  }

  private async close(): Promise<void> {
    const failures: string[] = [];
    let unreachable: string | undefined;
    const never = new AbortController().signal;
    // Rules before their triggers and actions; sequences before the actions they name.
    for (const [collection, set] of [
      ['rules', this.deployedRules],
      ['triggers', this.deployedTriggers],
    ] as const) {
      await eachLimited([...set], this.options.deployConcurrency, async (name) => {
        if (unreachable) return void failures.push(`${collection.slice(0, -1)} ${name}`);
        const reply = await this.control(
          { method: 'DELETE', path: this.entityPath(collection, name) },
          never,
        );
        if (
          reply.kind === 'answer' &&
          ((reply.status >= 200 && reply.status < 300) || reply.status === 404)
        ) {
          set.delete(name);
          return;
        }
        if (reply.kind === 'transport') unreachable = this.redact(reply.message);
        failures.push(`${collection.slice(0, -1)} ${name}`);
      }).catch(() => undefined);
    }
    const sequences = [...this.sequences].filter((n) => this.deployed.has(n));
    await eachLimited(sequences, this.options.deployConcurrency, async (name) => {
      if (unreachable) return;
      const reply = await this.control({ method: 'DELETE', path: this.actionPath(name) }, never);
      if (reply.kind === 'answer' && ((reply.status >= 200 && reply.status < 300) || reply.status === 404)) {
        this.deployed.delete(name);
      }
    }).catch(() => undefined);
    const names = [...this.deployed];
    await eachLimited(names, this.options.deployConcurrency, async (name) => {
      if (unreachable) return void failures.push(name);
      const path = this.actionPath(name);
      const reply = await this.control({ method: 'DELETE', path }, never);
      if (reply.kind === 'answer' && ((reply.status >= 200 && reply.status < 300) || reply.status === 404)) {
        this.deployed.delete(name);
        return;
      }
      if (reply.kind === 'transport') unreachable = this.redact(reply.message);
      failures.push(
        `${name} (${reply.kind === 'answer' ? this.statusText(reply.status, reply.body) : this.redact(reply.message)})`,
      );
    }).catch(() => undefined);
    for (const pkg of this.deployedPackages) {
      if (unreachable) break;
      const reply = await this.control({ method: 'DELETE', path: this.packagePath(pkg) }, never);
      if (reply.kind === 'answer' && ((reply.status >= 200 && reply.status < 300) || reply.status === 404)) {
        this.deployedPackages.delete(pkg);
      } else {
        failures.push(
          `package ${pkg} (${reply.kind === 'answer' ? this.statusText(reply.status, reply.body) : this.redact(reply.message)})`,
        );
      }
    }
    if (failures.length > 0) {
      const shown = failures.slice(0, 5).join(', ');
      const more = failures.length > 5 ? ` and ${failures.length - 5} more` : '';
      this.teardownFailure = `openwhisk: teardown could not delete ${failures.length} action(s) at ${this.address}${unreachable ? ` (unreachable: ${unreachable})` : ''}: ${shown}${more}`;
      this.notices.push(this.teardownFailure);
    }
    await closePools([this.invokePool, this.controlPool], 'the openwhisk platform was torn down');
  }

  /** A deploy / teardown request on the control pool, JSON in and out. */
  private control(req: Omit<ApiRequest, 'origin' | 'headers'>, signal: AbortSignal): Promise<Reply> {
    const headers =
      req.body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' };
    return request(
      this.controlPool,
      { ...req, origin: this.options.origin, headers },
      this.options.requestTimeoutMs,
      signal,
    );
  }

  /** An InvocationResult for a POST that got no answer. */
  private transportResult(
    reply: Exclude<Reply, { kind: 'answer' }>,
    method: string,
    path: string,
  ): InvocationResult {
    const result = unansweredResult(reply, `${method} ${this.address}${path}`);
    return reply.kind === 'transport' ? { ...result, error: this.redact(result.error!) } : result;
  }

  /** 'HTTP <status>: <the answer's error or start of its body>'; 401 and 403 say the key was refused. */
  private statusText(status: number, body: string): string {
    if (status === 401) return `HTTP 401: OpenWhisk at ${this.address} refused the API key`;
    if (status === 403) {
      return `HTTP 403: the API key may not use namespace '${this.options.namespace}' at ${this.address}`;
    }
    const parsed = parseObject(body);
    const error = parsed && typeof parsed.error === 'string' ? parsed.error : body.trim();
    return this.redact(clip(error ? `HTTP ${status}: ${error}` : `HTTP ${status}`));
  }

  /** A FaasloadError E_PLATFORM for a deploy request that failed. */
  private apiError(what: string, method: string, path: string, reply: Reply): FaasloadError {
    let message: string;
    if (reply.kind === 'answer') {
      message =
        reply.status === 401
          ? `OpenWhisk at ${this.address} refused the API key (HTTP 401) while ${what}: check --auth or AUTH in ~/.wskprops`
          : `OpenWhisk at ${this.address}: ${what} failed: ${this.statusText(reply.status, reply.body)}`;
    } else if (reply.kind === 'transport') {
      message = `cannot reach OpenWhisk at ${this.address} (${what}): ${method} ${path}: ${reply.message}`;
    } else {
      message = `OpenWhisk at ${this.address}: ${what}: ${reply.message}`;
    }
    return new FaasloadError('E_PLATFORM', this.redact(message));
  }

  /** Removes the key from a text shown to the user. */
  private redact(text: string): string {
    let out = text;
    for (const secret of this.options.secrets) out = out.split(secret).join('***');
    return out;
  }
}

/** A sequence component's row: its record's fields, its own start and end (platform clock). */
function stepResult(record: Record<string, unknown>): InvocationResult {
  const start = typeof record.start === 'number' ? record.start * 1000 : epochUs();
  const end = typeof record.end === 'number' ? record.end * 1000 : start;
  return resultOf(readActivation(record), { sentAtUs: start, endedAtUs: end });
}

/** The action activation id of `rule` in a trigger activation's logs, or why there is none. */
function ruleLine(record: Record<string, unknown>, rule: string): { id: string } | { error: string } {
  const logs = Array.isArray(record.logs) ? record.logs : [];
  for (const text of logs) {
    const line = typeof text === 'string' ? parseObject(text) : undefined;
    if (!line || typeof line.rule !== 'string' || line.rule.split('/').at(-1) !== rule) continue;
    if (line.success === true && typeof line.activationId === 'string') return { id: line.activationId };
    return { error: `rule ${rule}: ${typeof line.error === 'string' ? line.error : 'not activated'}` };
  }
  return { error: `the trigger's activation has no line for rule ${rule}` };
}

function failed(outcome: 'error' | 'cancelled', failure: FailureKind, error: string): InvocationResult {
  const now = epochUs();
  return { outcome, sentAtUs: now, endedAtUs: now, failure, error };
}

/** Waits ms; resolves false at once if the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const unsubscribe = onAbort(signal, () => {
      clearTimeout(timer);
      resolve(false);
    });
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(true);
    }, ms);
  });
}

/**
 * Runs `work` on every item, at most `limit` at once. After the first failure no new item starts;
 * once the running ones are done, rejects with that first failure.
 */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
