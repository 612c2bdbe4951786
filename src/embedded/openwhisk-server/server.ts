/**
 * The embedded platform behind OpenWhisk's REST API: an HTTP server on 127.0.0.1 (port 3233 as
 * OpenWhisk standalone, or any) over a LocalPlatform, so that faasload's own platform is driven
 * exactly like a real OpenWhisk (wsk, the openwhisk npm client, faasload's OpenWhisk adapter).
 *
 * Contract: startOpenWhiskServer() resolves once the server listens and the platform's runtime is
 * prepared (the docker runtime builds its image then: an engine that does not answer rejects with
 * E_PLATFORM); close() stops accepting requests, aborts the activations under way, and tears the
 * platform down (every instance and container removed).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaasloadError } from '../../errors.js';
import { messageOf } from '../../util/message.js';
import type { LocalPlatformOptions } from '../local/options.js';
import { LocalPlatform } from '../local/platform.js';
import { checkAuthFormat, generateAuth, makeAuthCheck } from './auth.js';
import { API_PREFIX, OpenWhiskApi } from './routes.js';

export interface OpenWhiskServerOptions extends LocalPlatformOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 3233 (OpenWhisk standalone's); 0 = any free port. */
  port?: number;
  /** `UUID:KEY`, checked as HTTP Basic auth on every request; generated when absent. */
  auth?: string;
  /** The caller's default namespace (what `_` means) and the activations' subject. Default 'guest'. */
  namespace?: string;
  /** Activation records kept (the oldest go first). Default 100 000. */
  maxActivations?: number;
  /** How long a blocking invoke waits before answering 202 {activationId}. Default 60 000 (OpenWhisk's). */
  blockingWaitMs?: number;
}

export interface OpenWhiskServer {
  /** e.g. 'http://127.0.0.1:3233'; the API is under `${apiHost}/api/v1`. */
  readonly apiHost: string;
  /** The `UUID:KEY` pair (a secret: do not log it). */
  readonly auth: string;
  readonly namespace: string;
  readonly platform: LocalPlatform;
  readonly api: OpenWhiskApi;
  /** Idempotent. */
  close(): Promise<void>;
}

export const OPENWHISK_SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 3233,
  namespace: 'guest',
  maxActivations: 100_000,
  blockingWaitMs: 60_000,
} as const;

export async function startOpenWhiskServer(options: OpenWhiskServerOptions = {}): Promise<OpenWhiskServer> {
  const {
    host = OPENWHISK_SERVER_DEFAULTS.host,
    port = OPENWHISK_SERVER_DEFAULTS.port,
    auth = generateAuth(),
    namespace = OPENWHISK_SERVER_DEFAULTS.namespace,
    maxActivations = OPENWHISK_SERVER_DEFAULTS.maxActivations,
    blockingWaitMs = OPENWHISK_SERVER_DEFAULTS.blockingWaitMs,
    ...platformOptions
  } = options;
  const problems: string[] = [];
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`port: ${port} is not a port number`);
  if (!Number.isInteger(maxActivations) || maxActivations < 1)
    problems.push('maxActivations: not a positive integer');
  if (!(blockingWaitMs > 0)) problems.push('blockingWaitMs: not a positive number');
  if (!/^\w[\w@ .-]*$/.test(namespace)) problems.push(`namespace: '${namespace}' is not a valid name`);
  if (problems.length > 0)
    throw new FaasloadError('E_USAGE', `invalid OpenWhisk server options: ${problems.join('; ')}`);
  checkAuthFormat(auth);

  const platform = new LocalPlatform(platformOptions);
  // Chooses and prepares the runtime now (docker: the engine and the image), not on the first PUT.
  try {
    await platform.deploy([], AbortSignal.timeout(600_000));
  } catch (e) {
    await platform.teardown();
    throw e;
  }
  const api = new OpenWhiskApi({
    platform,
    namespace,
    checkAuth: makeAuthCheck(auth),
    maxActivations,
    blockingWaitMs,
  });
  const server = createServer((req, res) => api.handle(req, res));
  // Blocking invokes hold a request up to blockingWaitMs; keep-alive longer than most clients'.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  try {
    await listen(server, port, host);
  } catch (e) {
    await platform.teardown();
    throw new FaasloadError('E_PLATFORM', `cannot listen on ${host}:${port}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  const bound = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    apiHost: `http://${hostPart}:${bound}`,
    auth,
    namespace,
    platform,
    api,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await api.close();
        server.closeAllConnections();
        await closed;
        await platform.teardown();
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export { API_PREFIX };
