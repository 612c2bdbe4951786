/**
 * OpenWhisk's JSON records as the embedded platform serves them: actions (swagger definition
 * Action), activations (Activation, ActivationBrief) and the error body (ErrorMessage). Pure
 * functions, no I/O.
 */
import { randomBytes } from 'node:crypto';
import type { LocalInvocationResult } from '../local/platform.js';

export interface KeyValue {
  key: string;
  value?: unknown;
}

export interface ActionLimits {
  /** ms */
  timeout: number;
  /** MB */
  memory: number;
  /** MB */
  logs: number;
  concurrency: number;
}

/** OpenWhisk's defaults (swagger ActionLimits). */
export const DEFAULT_LIMITS: ActionLimits = { timeout: 60_000, memory: 256, logs: 10, concurrency: 1 };
/** OpenWhisk's default system bounds on limits. */
export const LIMIT_BOUNDS: Record<keyof ActionLimits, [number, number]> = {
  timeout: [100, 300_000],
  memory: [128, 2048],
  logs: [0, 10],
  concurrency: [1, 500],
};

/** Code the platform runs (nodejs:*). */
export interface CodeExec {
  kind: string;
  code: string;
  main?: string;
  binary: boolean;
}

/** A sequence: its components' fully qualified names ('/ns/action' or '/ns/pkg/action'), run in order. */
export interface SequenceExec {
  kind: 'sequence';
  components: string[];
  binary: false;
}

export type ActionExec = CodeExec | SequenceExec;

export function isSequence(exec: ActionExec): exec is SequenceExec {
  return 'components' in exec;
}

/**
 * An action as stored: the Action definition with its code. `namespace` is the path the action is
 * in: 'ns', or 'ns/pkg' for an action of a package (as OpenWhisk serves it).
 */
export interface ActionRecord {
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  exec: ActionExec;
  annotations: KeyValue[];
  parameters: KeyValue[];
  limits: ActionLimits;
  updated: number;
}

/** The record as served: without the code unless asked (GET with code, the default). */
export function actionView(a: ActionRecord, withCode: boolean): Record<string, unknown> {
  if (isSequence(a.exec)) return { ...a, exec: { ...a.exec, components: [...a.exec.components] } };
  const { code: _code, ...execMeta } = a.exec;
  return { ...a, exec: withCode ? { ...a.exec } : execMeta };
}

/** A list entry (swagger ActionMeta): no code, no parameters. */
export function actionBrief(a: ActionRecord): Record<string, unknown> {
  const { parameters: _parameters, ...rest } = actionView(a, false);
  return rest;
}

/** 0 success, 1 application error, 2 action developer error, 3 whisk internal error (OpenWhisk's ActivationResponse). */
export type ResponseStatus =
  | 'success'
  | 'application error'
  | 'action developer error'
  | 'whisk internal error';
export const STATUS_CODES: Record<ResponseStatus, number> = {
  success: 0,
  'application error': 1,
  'action developer error': 2,
  'whisk internal error': 3,
};

export interface ActivationRecord {
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  subject: string;
  activationId: string;
  /** Epoch ms: when an instance took the activation (its cold start included). */
  start: number;
  /** Epoch ms; 0 for a trigger's activation (OpenWhisk stores it so). */
  end: number;
  /** ms; absent for a trigger's activation. */
  duration?: number;
  /** The activation that caused this one: the enclosing sequence's, for a sequence's component. */
  cause?: string;
  statusCode: number;
  response: {
    status: ResponseStatus;
    statusCode: number;
    success: boolean;
    result: Record<string, unknown>;
    size: number;
  };
  logs: string[];
  annotations: KeyValue[];
}

/** 32 hex digits, as OpenWhisk's activation ids. */
export function newActivationId(): string {
  return randomBytes(16).toString('hex');
}

/** The error body: {error, code} where code identifies the request (OpenWhisk's transaction id). */
export function errorBody(error: string): { error: string; code: string } {
  return { error, code: randomBytes(16).toString('hex') };
}

/**
 * How OpenWhisk's invoker classifies a run (ActivationResponse.processRunResponseContent and
 * ContainerProxy): an answer that is an object → success, or application error when it has an
 * `error` field (also a 502 {error} from the proxy: the action threw); a code that does not load,
 * a time limit passed or an instance that died → action developer error; anything the platform
 * itself failed at (no instance could be started, queue wait exhausted) → whisk internal error.
 */
export function classify(
  r: LocalInvocationResult,
  timeoutMs: number,
): { status: ResponseStatus; result: Record<string, unknown>; timedOut: boolean } {
  if (r.outcome === 'ok' && r.result) {
    const status = r.result.error !== undefined ? 'application error' : 'success';
    return { status, result: r.result, timedOut: false };
  }
  if (r.stage === 'run' || r.stage === 'init') {
    if (r.outcome === 'timeout') {
      const what = r.stage === 'init' ? 'initialization' : 'action';
      return {
        status: 'action developer error',
        result: { error: `The ${what} exceeded its time limits of ${timeoutMs} milliseconds.` },
        timedOut: true,
      };
    }
    if (r.stage === 'run' && r.httpStatus === 502 && r.result?.error !== undefined) {
      return { status: 'application error', result: r.result, timedOut: false };
    }
    if (r.stage === 'init') {
      return {
        status: 'action developer error',
        result: { error: `The action failed to initialize: ${r.error ?? 'unknown'}` },
        timedOut: false,
      };
    }
    return {
      status: 'action developer error',
      result: {
        error: `The action did not produce a valid response and exited unexpectedly: ${r.error ?? ''}`.trim(),
      },
      timedOut: false,
    };
  }
  return {
    status: 'whisk internal error',
    result: { error: `The platform could not run the action: ${r.error ?? 'unknown'}` },
    timedOut: r.outcome === 'timeout',
  };
}

/** The activation record of one run of `action` (its version and limits at invoke time). */
export function activationRecord(
  action: ActionRecord,
  subject: string,
  r: LocalInvocationResult,
  extra: { containerId?: string | undefined; kind: string; cause?: string | undefined },
): ActivationRecord {
  const { status, result, timedOut } = classify(r, action.limits.timeout);
  const waitMs = Math.max(0, Math.round(r.waitMs ?? 0));
  const start = Math.floor(r.sentAtUs / 1000) + waitMs;
  const end = Math.max(start, Math.floor(r.endedAtUs / 1000));
  const annotations: KeyValue[] = [
    { key: 'path', value: `${action.namespace}/${action.name}` },
    { key: 'waitTime', value: waitMs },
    { key: 'kind', value: extra.kind },
    { key: 'timeout', value: timedOut },
    { key: 'limits', value: { ...action.limits } },
  ];
  if (r.coldStart && r.initMs !== undefined)
    annotations.push({ key: 'initTime', value: Math.round(r.initMs) });
  if (r.instanceId !== undefined) annotations.push({ key: 'instance', value: r.instanceId });
  if (extra.containerId !== undefined) annotations.push({ key: 'containerId', value: extra.containerId });
  // A sequence's component: OpenWhisk marks it and names the sequence's activation as its cause.
  if (extra.cause !== undefined) annotations.push({ key: 'causedBy', value: 'sequence' });
  const statusCode = STATUS_CODES[status];
  return {
    // Activations live in the caller's namespace, also for an action of a package.
    namespace: action.namespace.split('/')[0]!,
    name: action.name,
    version: action.version,
    publish: false,
    subject,
    activationId: r.activationId ?? newActivationId(),
    start,
    end,
    duration: end - start,
    ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
    statusCode,
    response: {
      status,
      statusCode,
      success: status === 'success',
      result,
      size: Buffer.byteLength(JSON.stringify(result)),
    },
    logs: r.logs ?? [],
    annotations,
  };
}

/** A list entry (swagger ActivationBrief): no response, no logs. */
export function activationBrief(a: ActivationRecord): Record<string, unknown> {
  const { response: _response, logs: _logs, subject: _subject, ...brief } = a;
  return brief;
}
