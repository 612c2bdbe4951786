import type { Arrival } from '../schedule/types.js';

/**
 * The JSON body the adapters of real platforms (Knative, OpenFaaS, Lambda) send for one
 * invocation: the arrival's bound parameters, then seq, durationMs and memoryMb (null when the
 * trace has none). The synthetic function reads durationMs and memoryMb.
 */
export function invocationPayload(arrival: Arrival): string {
  return JSON.stringify({
    ...arrival.params,
    seq: arrival.seq,
    durationMs: arrival.durationMs ?? null,
    memoryMb: arrival.memoryMb ?? null,
  });
}
