/**
 * The trigger capability: a platform that has triggers and rules (OpenWhisk) can run a function
 * as its events would, by firing a trigger whose rule invokes the function's action, instead of
 * invoking the action. An adapter offers it by implementing TriggerCapable; the replay asks with
 * hasTriggers() (never by the adapter's kind).
 */
import type { Arrival } from '../schedule/types.js';
import type { FunctionSpec, InvocationResult, PlatformAdapter } from './types.js';

export interface TriggerCapable {
  /**
   * Creates one trigger per function and an active rule from it to the function's action (after
   * deploy(); teardown() removes them). Rejects with E_PLATFORM like deploy().
   */
  deployTriggers(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void>;
  /**
   * Fires fn's trigger with the invocation's value and waits for the activation of the action its
   * rule started. Never rejects: failures are the result's outcome. The result has invokedVia
   * 'trigger', the trigger's activation id and, where the platform reports both starts, triggerMs.
   */
  fire(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult>;
}

export function hasTriggers(
  p: PlatformAdapter | (PlatformAdapter & TriggerCapable),
): p is PlatformAdapter & TriggerCapable {
  return 'fire' in p && 'deployTriggers' in p;
}
