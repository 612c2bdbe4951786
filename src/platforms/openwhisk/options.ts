/** The OpenWhisk platform's options: one typed object, its defaults in one place, validated at once. */
import { FaasloadError } from '../../errors.js';
import { CONNECTION_DEFAULTS } from '../connection-defaults.js';
import { positiveInteger, timerMs } from '../option-checks.js';

export interface OpenWhiskPlatformOptions {
  /**
   * The controller's API host, e.g. 'http://127.0.0.1:3233' or 'https://openwhisk.example.org'
   * (a path prefix is kept). Without a scheme, https:// is assumed, as the wsk CLI does. Any
   * user:password in it is ignored and never shown: the key is `auth`.
   */
  apiHost: string;
  /** The API key, 'UUID:KEY', sent as Basic credentials. Never logged nor shown in errors. */
  auth: string;
  /** Default '_' (the key's own namespace). */
  namespace?: string;
  /**
   * Default true: POST ?blocking=true and read the activation record from the answer (a 202, the
   * record not ready in time, is polled for). false: ?blocking=false, then poll for every record.
   */
  blocking?: boolean;
  /** Accept a controller certificate that does not verify (self-signed). Default false. */
  insecure?: boolean;
  /** Connections to the controller for invocations, at most (kept alive). Default 256. */
  connections?: number;
  /** Connections for deploy, polling and teardown (separate, so they never delay invocations). Default 16. */
  controlConnections?: number;
  /** Time limit to open a connection. Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * From invoke() to the activation record, polling included; past it the outcome is 'timeout'.
   * Default 60 000.
   */
  invokeTimeoutMs?: number;
  /** First wait between two polls for an activation record; each next one is 1.5 times longer, up to pollMaxIntervalMs. Default 50. */
  pollIntervalMs?: number;
  /** Longest wait between two polls. Default 1 000. */
  pollMaxIntervalMs?: number;
  /** The actions' exec kind. Default 'nodejs:20'. */
  kind?: string;
  /** PUTs (and DELETEs at teardown) in parallel at most. Default 8. */
  deployConcurrency?: number;
  /** Time limit of one PUT, DELETE or poll request. Default 30 000. */
  requestTimeoutMs?: number;
}

export interface ResolvedOpenWhiskOptions {
  /** scheme://host[:port], for undici. */
  origin: string;
  /** The path prefix before /api/v1 ('' or '/prefix'). */
  basePath: string;
  /** origin + basePath, without credentials: for the manifest and messages. */
  address: string;
  /** 'Basic …' */
  authorization: string;
  /** The key's secret parts, to be removed from any text shown. */
  secrets: string[];
  namespace: string;
  blocking: boolean;
  insecure: boolean;
  connections: number;
  controlConnections: number;
  connectTimeoutMs: number;
  invokeTimeoutMs: number;
  pollIntervalMs: number;
  pollMaxIntervalMs: number;
  kind: string;
  deployConcurrency: number;
  requestTimeoutMs: number;
}

export const OPENWHISK_PLATFORM_DEFAULTS = {
  namespace: '_',
  blocking: true,
  insecure: false,
  ...CONNECTION_DEFAULTS,
  controlConnections: 16,
  pollIntervalMs: 50,
  pollMaxIntervalMs: 1_000,
  kind: 'nodejs:20',
  deployConcurrency: 8,
  requestTimeoutMs: 30_000,
} as const;

/** OpenWhisk's smallest memory limit, MB (its default minimum; smaller limits are refused). */
export const OPENWHISK_MIN_MEMORY_MB = 128;

/** Fills in the defaults; throws one E_USAGE error naming every invalid option (never the key). */
export function resolveOpenWhiskOptions(options: OpenWhiskPlatformOptions): ResolvedOpenWhiskOptions {
  const problems: string[] = [];
  let origin = '';
  let basePath = '';
  const host = typeof options?.apiHost === 'string' ? options.apiHost.trim() : '';
  if (host === '') {
    problems.push('apiHost: required (e.g. http://127.0.0.1:3233)');
  } else {
    const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(host) ? host : `https://${host}`;
    let url: URL | undefined;
    try {
      url = new URL(withScheme);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      // The host as given may hold credentials: show only what precedes any '@'.
      problems.push(`apiHost: '${host.replace(/\/\/[^/@]*@/, '//')}' is not an http(s) host`);
    } else {
      origin = url.origin;
      basePath = url.pathname.replace(/\/+$/, '');
    }
  }
  const auth = typeof options?.auth === 'string' ? options.auth.trim() : '';
  const colon = auth.indexOf(':');
  if (auth === '') problems.push("auth: required ('UUID:KEY', as in ~/.wskprops)");
  else if (colon <= 0 || colon === auth.length - 1) problems.push("auth: not of the form 'UUID:KEY'");
  const namespace = options.namespace || OPENWHISK_PLATFORM_DEFAULTS.namespace;
  if (/[/\s]/.test(namespace)) problems.push(`namespace: '${namespace}' is not a namespace name`);
  const positive = (name: 'connections' | 'controlConnections' | 'deployConcurrency'): number =>
    positiveInteger(name, options[name] ?? OPENWHISK_PLATFORM_DEFAULTS[name], problems);
  const ms = (
    name:
      | 'connectTimeoutMs'
      | 'invokeTimeoutMs'
      | 'pollIntervalMs'
      | 'pollMaxIntervalMs'
      | 'requestTimeoutMs',
  ): number => timerMs(name, options[name] ?? OPENWHISK_PLATFORM_DEFAULTS[name], problems);
  const kind = options.kind ?? OPENWHISK_PLATFORM_DEFAULTS.kind;
  if (typeof kind !== 'string' || !/^[a-z0-9.:_-]+$/i.test(kind)) {
    problems.push(`kind: '${String(kind)}' is not an exec kind`);
  }
  const resolved: ResolvedOpenWhiskOptions = {
    origin,
    basePath,
    address: `${origin}${basePath}`,
    authorization: `Basic ${Buffer.from(auth).toString('base64')}`,
    secrets: [auth, auth.slice(colon + 1)].filter((s) => s.length >= 4),
    namespace,
    blocking: options.blocking ?? OPENWHISK_PLATFORM_DEFAULTS.blocking,
    insecure: options.insecure ?? OPENWHISK_PLATFORM_DEFAULTS.insecure,
    connections: positive('connections'),
    controlConnections: positive('controlConnections'),
    connectTimeoutMs: ms('connectTimeoutMs'),
    invokeTimeoutMs: ms('invokeTimeoutMs'),
    pollIntervalMs: ms('pollIntervalMs'),
    pollMaxIntervalMs: ms('pollMaxIntervalMs'),
    kind,
    deployConcurrency: positive('deployConcurrency'),
    requestTimeoutMs: ms('requestTimeoutMs'),
  };
  if (problems.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid openwhisk platform options: ${problems.join('; ')}`);
  }
  return resolved;
}
