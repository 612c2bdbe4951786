import type { ErrorCode } from '../../errors.js';
import type { ActionInvocationResult } from '../../platforms/capabilities.js';
import type { FunctionSpec, PlatformPressure } from '../../platforms/types.js';
import type { Arrival } from '../../schedule/types.js';
import type { LocalPlatformOptions } from '../local/options.js';

/** The platforms that can run inside a worker thread, and the options each takes. */
export interface WorkerPlatformKinds {
  local: LocalPlatformOptions;
}

export interface WorkerData {
  kind: keyof WorkerPlatformKinds;
  options: WorkerPlatformKinds[keyof WorkerPlatformKinds];
}

/** Host → worker. `id` pairs a request with its reply. */
export type Request =
  | { t: 'deploy'; id: number; fns: readonly FunctionSpec[] }
  | { t: 'invoke'; id: number; fn: FunctionSpec; arrival: Arrival }
  | { t: 'abort'; id: number }
  | { t: 'pressure'; id: number }
  | { t: 'teardown'; id: number };

/** Worker → host. */
export type Reply =
  | { t: 'ok'; id: number; result?: ActionInvocationResult }
  | { t: 'pressure'; id: number; pressure: PlatformPressure }
  | { t: 'err'; id: number; message: string; code?: ErrorCode };
