import { FaasloadError } from '../errors.js';
import { HttpPlatform, type HttpPlatformOptions } from './http/index.js';
import type { RuntimeChoice } from './local/runtime.js';
import { createOpenWhisk, type OpenWhiskSetup } from './openwhisk/index.js';
import type { PlatformAdapter } from './types.js';
import { WorkerPlatform } from './worker/host.js';

/** Options every platform kind may take; each kind reads the ones that apply to it. */
export interface PlatformOptions {
  /** Idle time after which an instance is removed (embedded platform). */
  keepAliveMs?: number;
  /** Past this, an invocation's outcome is timeout. */
  invokeTimeoutMs?: number;
  /** Instances alive at most (embedded platform); past it invocations queue. */
  maxInstances?: number;
  /** Embedded platform: instances as child processes, Docker containers, or auto (see local/runtime.ts). */
  runtime?: RuntimeChoice;
  /** Embedded platform: idle instances of each function started at deploy. */
  prewarm?: number;
  /** --platform http: the URL template and request shape (its invokeTimeoutMs is the one above). */
  http?: Omit<HttpPlatformOptions, 'invokeTimeoutMs'>;
  /** --platform openwhisk: where and how; apiHost, auth and namespace default to ~/.wskprops; tenants. */
  openwhisk?: Omit<OpenWhiskSetup, 'invokeTimeoutMs'>;
}

const FACTORIES = {
  /** The embedded platform, in a worker thread so that its work never delays the dispatcher. */
  local: (o: PlatformOptions) => new WorkerPlatform('local', o),
  /** Any OpenWhisk (a real one, or faasload platform start): flags first, then the wsk CLI's config. */
  openwhisk: (o: PlatformOptions) =>
    createOpenWhisk({
      ...o.openwhisk,
      ...(o.invokeTimeoutMs !== undefined ? { invokeTimeoutMs: o.invokeTimeoutMs } : {}),
    }),
  /** Any HTTP endpoint, one request per invocation (needs options.http). */
  http: (o: PlatformOptions) => {
    if (!o.http) throw new FaasloadError('E_USAGE', 'the http platform needs a URL template (--url)');
    return new HttpPlatform({
      ...o.http,
      ...(o.invokeTimeoutMs !== undefined ? { invokeTimeoutMs: o.invokeTimeoutMs } : {}),
    });
  },
} satisfies Record<string, (o: PlatformOptions) => PlatformAdapter>;

export type PlatformKind = keyof typeof FACTORIES;
export const PLATFORM_KINDS = Object.keys(FACTORIES) as PlatformKind[];

/** The one place platform kinds are registered; an unknown kind is a typed error. */
export function createPlatform(kind: string, options: PlatformOptions = {}): PlatformAdapter {
  const factory = FACTORIES[kind as PlatformKind];
  if (!factory) {
    throw new FaasloadError(
      'E_PLATFORM_KIND',
      `unknown platform '${kind}' (known: ${PLATFORM_KINDS.join(', ')})`,
    );
  }
  return factory(options);
}
