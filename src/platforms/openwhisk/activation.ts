/**
 * OpenWhisk activation records (swagger definition Activation) read into InvocationResult fields.
 *
 * Where the numbers are, as OpenWhisk's invoker writes them (ContainerProxy): `duration` is the
 * whole activation, /init included on a cold start; `waitTime` (queueing, from the controller's
 * receipt to the start) and `initTime` (cold starts only) are annotations. So:
 * - waitMs = annotation waitTime
 * - initMs = annotation initTime; coldStart = initTime is present
 * - execMs = duration - initTime (the /run part, as the embedded platform measures it)
 * - instanceId = annotation 'instance' (faasload's own server adds it; OpenWhisk does not)
 * - cpuMs = what a successful result reports (faasload's synthetic and catalog functions)
 * A top-level waitTime / initTime (not in the swagger) is read too when the annotation is absent.
 *
 * Outcome: response.success (else status 'success', else statusCode 0) → 'ok'; an annotation
 * timeout = true (the action exceeded its time limit) → 'timeout'; anything else → 'error' with
 * 'status: result.error'. The failure kind follows the record's status (OpenWhisk's
 * ActivationResponse: statusCode 1 application error and 2 action developer error → application,
 * 3 whisk internal error → platform; the status text when there is no code).
 */
import { reportedCpuMs } from '../action-usage.js';
import type { FailureKind, InvocationResult, Outcome } from '../types.js';

/** The fields of one activation record that faasload reads. */
export interface ActivationFields {
  outcome: Outcome;
  activationId?: string;
  coldStart?: boolean;
  waitMs?: number;
  initMs?: number;
  execMs?: number;
  instanceId?: string;
  cpuMs?: number;
  failure?: FailureKind;
  /** A successful activation's response.result, when a JSON object (generate reads its targets). */
  result?: Json;
  error?: string;
}

/** OpenWhisk's ActivationResponse status codes and texts of failures, as failure kinds. */
const FAILURE_OF_STATUS_CODE: Readonly<Record<number, FailureKind>> = {
  1: 'application',
  2: 'application',
  3: 'platform',
};
const FAILURE_OF_STATUS: Readonly<Record<string, FailureKind>> = {
  'application error': 'application',
  'action developer error': 'application',
  'whisk internal error': 'platform',
};

/** The failure kind of a failed record: its status code, else its status text, else platform. */
function failureOf(response: Json, record: Json, status: string | undefined): FailureKind {
  const code = finiteNumber(response.statusCode) ?? finiteNumber(record.statusCode);
  return (
    (code !== undefined ? FAILURE_OF_STATUS_CODE[code] : undefined) ??
    (status !== undefined ? FAILURE_OF_STATUS[status] : undefined) ??
    'platform'
  );
}

/** At most this many characters of an error text. */
export const ERROR_CHARS = 300;

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function finiteNumber(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

/** Parses a body as a JSON object, or undefined. */
export function parseObject(body: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a JSON object looks like an activation record (has an activationId and a response). */
export function isActivationRecord(x: Json | undefined): x is Json {
  return x !== undefined && typeof x.activationId === 'string' && isObject(x.response);
}

/** The value of annotation `key` ({key, value} pairs), if any. */
export function annotation(record: Json, key: string): unknown {
  const list = record.annotations;
  if (!Array.isArray(list)) return undefined;
  for (const kv of list) if (isObject(kv) && kv.key === key) return kv.value;
  return undefined;
}

export function clip(text: string, chars = ERROR_CHARS): string {
  return text.length > chars ? `${text.slice(0, chars)}…` : text;
}

/** Text of an error value: a string as it is, anything else as JSON. */
function errorText(x: unknown): string {
  if (typeof x === 'string') return x;
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

/** Reads an activation record (see the module comment). */
export function readActivation(record: Json): ActivationFields {
  const response = isObject(record.response) ? record.response : {};
  const status = typeof response.status === 'string' ? response.status : undefined;
  const success =
    typeof response.success === 'boolean'
      ? response.success
      : status !== undefined
        ? status === 'success'
        : record.statusCode === 0;
  const timedOut = annotation(record, 'timeout') === true;
  const out: ActivationFields = { outcome: success ? 'ok' : timedOut ? 'timeout' : 'error' };
  if (typeof record.activationId === 'string') out.activationId = record.activationId;
  const waitMs = finiteNumber(annotation(record, 'waitTime')) ?? finiteNumber(record.waitTime);
  const initMs = finiteNumber(annotation(record, 'initTime')) ?? finiteNumber(record.initTime);
  const duration = finiteNumber(record.duration);
  if (waitMs !== undefined) out.waitMs = waitMs;
  out.coldStart = initMs !== undefined;
  if (initMs !== undefined) out.initMs = initMs;
  if (duration !== undefined) out.execMs = Math.max(0, duration - (initMs ?? 0));
  const instance = annotation(record, 'instance');
  if (typeof instance === 'string' || typeof instance === 'number') out.instanceId = String(instance);
  const cpuMs = success ? reportedCpuMs(response.result) : undefined;
  if (cpuMs !== undefined) out.cpuMs = cpuMs;
  if (success && isObject(response.result)) out.result = response.result;
  if (!success) {
    const result = response.result;
    const detail = isObject(result) && 'error' in result ? errorText(result.error) : undefined;
    out.failure = timedOut ? 'timeout' : failureOf(response, record, status);
    out.error = clip(`${status ?? 'failed'}${detail ? `: ${detail}` : ''}`);
  }
  return out;
}

/** An InvocationResult from the client's times and an activation record's fields. */
export function resultOf(
  fields: ActivationFields,
  times: { sentAtUs: number; endedAtUs: number; httpStatus?: number },
): InvocationResult {
  const result: InvocationResult = { ...fields, sentAtUs: times.sentAtUs, endedAtUs: times.endedAtUs };
  if (times.httpStatus !== undefined) result.httpStatus = times.httpStatus;
  return result;
}
