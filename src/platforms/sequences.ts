/**
 * The sequence capability: a platform that chains actions itself (OpenWhisk's sequences: each
 * component's result is the next one's input) runs a workflow's chain in one call. An adapter
 * offers it by implementing SequenceCapable; callers ask with hasSequences() (never by kind).
 */
import type { Arrival } from '../schedule/types.js';
import type { FunctionSpec, InvocationResult, PlatformAdapter } from './types.js';

export interface SequenceCapable {
  /** Creates (or updates) sequence action `name` of deployed actions, in order; teardown() removes it. */
  deploySequence(name: string, components: readonly string[], signal: AbortSignal): Promise<void>;
  /**
   * Invokes the sequence `fn` (its name a deployed sequence) with `value` (default: the arrival's
   * invocation value): the sequence's result and one result per component that ran, in order,
   * each with the platform's own start and end times. Never rejects.
   */
  invokeSequence(
    fn: FunctionSpec,
    arrival: Arrival,
    signal: AbortSignal,
    value?: Record<string, unknown>,
  ): Promise<{ result: InvocationResult; steps: InvocationResult[] }>;
}

export function hasSequences(
  p: PlatformAdapter | (PlatformAdapter & SequenceCapable),
): p is PlatformAdapter & SequenceCapable {
  return 'deploySequence' in p && 'invokeSequence' in p;
}
