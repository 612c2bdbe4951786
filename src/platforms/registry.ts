import type { RuntimeChoice } from '../embedded/local/runtime.js';
import { WorkerPlatform } from '../embedded/worker/host.js';
import { FaasloadError } from '../errors.js';
import { HttpPlatform, type HttpPlatformOptions } from './http/index.js';
import { KnativePlatform, type KnativePlatformOptions } from './knative/index.js';
import { LambdaPlatform, type LambdaPlatformOptions } from './lambda/index.js';
import { OpenFaasPlatform, type OpenFaasPlatformOptions } from './openfaas/index.js';
import { createOpenWhisk, type OpenWhiskSetup } from './openwhisk/index.js';
import type { PlatformAdapter } from './types.js';

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
  /** Embedded platform: memory size classes, MB ascending (local/memory.ts). */
  memoryClassesMb?: readonly number[];
  /** Embedded platform: the cap on a function's time limit raised to cover its trace durations. */
  maxTimeLimitMs?: number;
  /** Embedded platform: MB the memory limits of live instances add up to at most. */
  poolMemoryMb?: number;
  /** Embedded platform: cold starts under way at once. */
  maxStarting?: number;
  /** --platform http: the URL template and request shape (its invokeTimeoutMs is the one above). */
  http?: Omit<HttpPlatformOptions, 'invokeTimeoutMs'>;
  /** --platform openwhisk: where and how; apiHost, auth and namespace default to ~/.wskprops; tenants. */
  openwhisk?: Omit<OpenWhiskSetup, 'invokeTimeoutMs'>;
  /** --platform knative: the ingress, domain, and where to write Service manifests. */
  knative?: Omit<KnativePlatformOptions, 'invokeTimeoutMs'>;
  /** --platform openfaas: the gateway, its credentials, sync or async. */
  openfaas?: Omit<OpenFaasPlatformOptions, 'invokeTimeoutMs'>;
  /** --platform lambda: region, endpoint, profile, invocation type. */
  lambda?: Omit<LambdaPlatformOptions, 'invokeTimeoutMs'>;
}

function timeout(o: PlatformOptions): { invokeTimeoutMs?: number } {
  return o.invokeTimeoutMs !== undefined ? { invokeTimeoutMs: o.invokeTimeoutMs } : {};
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
  /** Knative Serving through its ingress, by Host (needs options.knative.ingressUrl). */
  knative: (o: PlatformOptions) => {
    if (!o.knative)
      throw new FaasloadError('E_USAGE', 'the knative platform needs the ingress URL (--knative-url)');
    return new KnativePlatform({ ...o.knative, ...timeout(o) });
  },
  /** OpenFaaS through its gateway (needs options.openfaas.gatewayUrl). */
  openfaas: (o: PlatformOptions) => {
    if (!o.openfaas)
      throw new FaasloadError('E_USAGE', 'the openfaas platform needs the gateway URL (--openfaas-url)');
    return new OpenFaasPlatform({ ...o.openfaas, ...timeout(o) });
  },
  /** AWS Lambda's Invoke API, SigV4-signed; credentials from the environment or a profile. */
  lambda: (o: PlatformOptions) => new LambdaPlatform({ ...o.lambda, ...timeout(o) }),
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
