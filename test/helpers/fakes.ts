import type { Clock } from '../../src/dispatch/clock.js';
import type { FunctionSpec, InvocationResult, PlatformAdapter } from '../../src/platforms/types.js';
import type { Arrival } from '../../src/schedule/types.js';
import type { ArrivalSource, Trace, TraceFunction } from '../../src/trace/types.js';

/** An in-memory trace: each function with its arrival source. */
export function fakeTrace(
  entries: { fn: TraceFunction; src: ArrivalSource }[],
  spanUs: number,
  format: Trace['format'] = 'azure2019',
): Trace {
  return {
    format,
    files: [],
    functions: entries.map((e) => e.fn),
    spanUs,
    arrivals: (fn) => entries[fn]!.src,
  };
}

/**
 * A platform that answers at once (or after `latencyUs` on the given clock) and remembers what
 * it was asked. The first invocation of each function is a cold start.
 */
export class FakePlatform implements PlatformAdapter {
  readonly kind = 'fake';
  readonly address = 'memory';
  deployed: FunctionSpec[] = [];
  invoked: { fn: string; arrival: Arrival; atUs: number }[] = [];
  tornDown = false;
  private warmed = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly answer: (arrival: Arrival) => Partial<InvocationResult> = () => ({}),
  ) {}

  async deploy(fns: readonly FunctionSpec[]): Promise<void> {
    this.deployed = [...fns];
  }

  async invoke(fn: FunctionSpec, arrival: Arrival): Promise<InvocationResult> {
    const sentAtUs = this.clock.nowUs();
    this.invoked.push({ fn: fn.name, arrival, atUs: sentAtUs });
    const coldStart = !this.warmed.has(fn.name);
    this.warmed.add(fn.name);
    return { outcome: 'ok', sentAtUs, endedAtUs: sentAtUs, coldStart, ...this.answer(arrival) };
  }

  async teardown(): Promise<void> {
    this.tornDown = true;
  }
}
