/** The HTTP platform's options: one typed object, its defaults in one place, validated at once. */
import { FaasloadError } from '../../errors.js';
import { CONNECTION_DEFAULTS } from '../connection-defaults.js';
import { positiveInteger, timerMs } from '../option-checks.js';
import { BodyTemplate, DEFAULT_BODY, UrlTemplate } from './template.js';

export interface HttpPlatformOptions {
  /**
   * Where each invocation goes, e.g. 'http://127.0.0.1:8080/{function}'. Placeholders: {function}
   * (FunctionSpec.name), {id} (the trace function's id), {seq}, {durationMs}, {memoryMb}; values
   * are URL-encoded, missing ones empty. Must be an http:// or https:// URL. A user:password in it
   * is sent as Basic credentials (unless headers give an authorization) and never shown.
   */
  url: string;
  /** HTTP method, upper-cased. Default 'POST'. GET and HEAD send no body (and may not be given one). */
  method?: string;
  /** Sent with every request. A content-type here overrides the body's default one. */
  headers?: Record<string, string>;
  /**
   * The request body, with the url's placeholders. A body that is JSON once filled in gets values
   * escaped for JSON strings, missing ones as null, and content-type application/json; any other
   * body gets values as they are, missing ones empty, and text/plain. Default:
   * '{"seq":{seq},"durationMs":{durationMs},"memoryMb":{memoryMb}}'.
   */
  body?: string;
  /** Connections open at most per origin (one request at a time on each, kept alive). Default 256. */
  connections?: number;
  /** Time limit to open a connection; past it the outcome is 'error'. Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * Time limit from invoke() to the end of the answer, queueing for a connection included; past it
   * the outcome is 'timeout'. Default 60 000.
   */
  invokeTimeoutMs?: number;
}

export interface ResolvedHttpOptions {
  url: UrlTemplate;
  method: string;
  /** The headers as given plus the body's content-type if they give none. */
  headers: Record<string, string>;
  /** Null for GET and HEAD. */
  body: BodyTemplate | null;
  connections: number;
  connectTimeoutMs: number;
  invokeTimeoutMs: number;
}

export const HTTP_PLATFORM_DEFAULTS = {
  method: 'POST',
  body: DEFAULT_BODY,
  ...CONNECTION_DEFAULTS,
} as const;

/** Node's timers overflow (and fire at once) past this many milliseconds. */
/** RFC 9110 token: method and header names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Fills in the defaults; throws one E_USAGE error naming every invalid option (templates first). */
export function resolveHttpOptions(options: HttpPlatformOptions): ResolvedHttpOptions {
  if (typeof options?.url !== 'string') {
    throw new FaasloadError('E_USAGE', 'http platform: a url template is required');
  }
  const url = new UrlTemplate(options.url);
  const method = (options.method ?? HTTP_PLATFORM_DEFAULTS.method).toUpperCase();
  const bodyless = method === 'GET' || method === 'HEAD';
  const body = bodyless ? null : new BodyTemplate(options.body ?? HTTP_PLATFORM_DEFAULTS.body);
  const problems: string[] = [];
  if (!TOKEN.test(method) || method === 'CONNECT') problems.push(`method: '${method}' is not usable`);
  if (bodyless && options.body !== undefined) problems.push(`body: ${method} requests send no body`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!TOKEN.test(name)) problems.push(`headers: '${name}' is not a header name`);
    else if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      problems.push(`headers: the value of '${name}' is not a one-line string`);
    } else headers[name] = value;
  }
  const given = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  if (body && !given.has('content-type')) {
    headers['content-type'] = body.isJson ? 'application/json' : 'text/plain; charset=utf-8';
  }
  const connections = positiveInteger(
    'connections',
    options.connections ?? HTTP_PLATFORM_DEFAULTS.connections,
    problems,
  );
  const ms = (name: 'connectTimeoutMs' | 'invokeTimeoutMs'): number =>
    timerMs(name, options[name] ?? HTTP_PLATFORM_DEFAULTS[name], problems);
  const connectTimeoutMs = ms('connectTimeoutMs');
  const invokeTimeoutMs = ms('invokeTimeoutMs');
  if (problems.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid http platform options: ${problems.join('; ')}`);
  }
  return { url, method, headers, body, connections, connectTimeoutMs, invokeTimeoutMs };
}
