/** The OpenFaaS platform's options: one typed object, its defaults in one place, validated at once. */
import { FaasloadError } from '../../errors.js';
import { CONNECTION_DEFAULTS } from '../connection-defaults.js';
import { positiveInteger, timerMs } from '../option-checks.js';

export interface OpenFaasPlatformOptions {
  /** The gateway, e.g. 'http://127.0.0.1:8080' (faas-cli's OPENFAAS_URL). */
  gatewayUrl: string;
  /** Basic auth user for /system/functions. Default 'admin'. */
  user?: string;
  /** Basic auth password (never shown); without it /system requests are sent without credentials. */
  password?: string;
  /** The functions' namespace (faas-netes); sent as ?namespace= when given. */
  namespace?: string;
  /** Image of the functions deploy() creates; without it, deploy() only checks they exist. */
  image?: string;
  /**
   * Invoke through /async-function/NAME with an X-Callback-Url to faasload's own callback
   * server; the result arrives there, joined by X-Call-Id. Default false (/function/NAME).
   */
  async?: boolean;
  /** Where the callback server listens. Default '127.0.0.1:0' (any free port). */
  callbackListen?: string;
  /** The callback URL sent to the gateway (when the queue worker reaches faasload by another name). Default: the listening address. */
  callbackUrl?: string;
  connections?: number;
  connectTimeoutMs?: number;
  /** From invoke() to the answer (async: to the callback); past it 'timeout'. Default 60 000. */
  invokeTimeoutMs?: number;
  /** Time limit of one /system request. Default 30 000. */
  requestTimeoutMs?: number;
}

export interface ResolvedOpenFaasOptions {
  origin: string;
  basePath: string;
  authorization: string | undefined;
  secrets: string[];
  namespace: string | undefined;
  image: string | undefined;
  async: boolean;
  callbackHost: string;
  callbackPort: number;
  callbackUrl: string | undefined;
  connections: number;
  connectTimeoutMs: number;
  invokeTimeoutMs: number;
  requestTimeoutMs: number;
}

export const OPENFAAS_PLATFORM_DEFAULTS = {
  user: 'admin',
  async: false,
  callbackListen: '127.0.0.1:0',
  ...CONNECTION_DEFAULTS,
  requestTimeoutMs: 30_000,
} as const;

export function resolveOpenFaasOptions(o: OpenFaasPlatformOptions): ResolvedOpenFaasOptions {
  const d = OPENFAAS_PLATFORM_DEFAULTS;
  const problems: string[] = [];
  let origin = '';
  let basePath = '';
  try {
    const url = new URL(o.gatewayUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    if (url.username !== '' || url.password !== '')
      problems.push('gateway URL: give credentials with the password option, not in the URL');
    origin = url.origin;
    basePath = url.pathname.replace(/\/+$/, '');
  } catch {
    problems.push(
      `gateway URL: '${String(o.gatewayUrl).replace(/\/\/[^/@]*@/, '//')}' is not an http(s) URL`,
    );
  }
  const user = o.user ?? d.user;
  const password = o.password;
  const [host, portText] = splitHostPort(o.callbackListen ?? d.callbackListen);
  const port = Number(portText);
  if (host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`callback listen: '${o.callbackListen}' is not host:port`);
  }
  if (o.callbackUrl !== undefined && !/^https?:\/\//.test(o.callbackUrl)) {
    problems.push(`callback URL: '${o.callbackUrl}' is not an http(s) URL`);
  }
  const connections = positiveInteger('connections', o.connections ?? d.connections, problems);
  const ms = (name: 'connectTimeoutMs' | 'invokeTimeoutMs' | 'requestTimeoutMs') =>
    timerMs(name, o[name] ?? d[name], problems);
  const resolved: ResolvedOpenFaasOptions = {
    origin,
    basePath,
    authorization:
      password === undefined ? undefined : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    secrets: password !== undefined && password.length >= 4 ? [password] : [],
    namespace: o.namespace,
    image: o.image,
    async: o.async ?? d.async,
    callbackHost: host,
    callbackPort: port,
    callbackUrl: o.callbackUrl,
    connections,
    connectTimeoutMs: ms('connectTimeoutMs'),
    invokeTimeoutMs: ms('invokeTimeoutMs'),
    requestTimeoutMs: ms('requestTimeoutMs'),
  };
  if (problems.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid openfaas platform options: ${problems.join('; ')}`);
  }
  return resolved;
}

function splitHostPort(text: string): [string, string] {
  const i = text.lastIndexOf(':');
  if (i < 0) return [text, ''];
  return [text.slice(0, i).replace(/^\[|\]$/g, ''), text.slice(i + 1)];
}
