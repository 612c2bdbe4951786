import { FaasloadError } from '../errors.js';
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
}

const FACTORIES = {
  /** The embedded platform, in a worker thread so that its work never delays the dispatcher. */
  local: (o: PlatformOptions) => new WorkerPlatform('local', o),
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
