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
   * Invokes the sequence `fn` (its name a deployed sequence): the sequence's result and its
   * components' runs (stepsOf). Never rejects.
   */
  invokeSequence(
    fn: FunctionSpec,
    arrival: Arrival,
    signal: AbortSignal,
  ): Promise<{ result: InvocationResult; steps: InvocationResult[] }>;
  /**
   * The component runs of sequence activation `id` (also one a trigger's rule started), in
   * order, each with the platform's own start and end times. Never rejects.
   */
  stepsOf(activationId: string, signal: AbortSignal): Promise<InvocationResult[]>;
}

export function hasSequences(
  p: PlatformAdapter | (PlatformAdapter & SequenceCapable),
): p is PlatformAdapter & SequenceCapable {
  return 'deploySequence' in p && 'invokeSequence' in p && 'stepsOf' in p;
}
