import { FaasloadError } from '../errors.js';

/**
 * Keep-alive policies: what the simulated platform does with an instance once its last execution
 * ends. The plugin interface, for users who bring their own:
 *
 *   const mine: KeepAlivePolicy = {
 *     name: 'half-hour',
 *     start: () => ({ onInvocation(group, atUs, idleUs, w) { w.prewarmUs = 0; w.keepAliveUs = 30 * 60e6; } }),
 *   };
 *   registerPolicy('half-hour', () => mine);   // registry.ts; then --policy half-hour
 *
 * Contract: at every invocation (in time order) the model calls onInvocation with the
 * invocation's policy group (its application, or its function when the trace has no apps, see
 * SimulationUnits), its time, and the idle time it ends; the policy writes the windows that apply
 * to the instance serving it once that instance goes idle (its last execution ends at e):
 * unloaded during [e, e + prewarmUs), loaded (holding memory, warm) during
 * [e + prewarmUs, e + prewarmUs + keepAliveUs), unloaded after. prewarmUs 0 is a plain keep-alive;
 * keepAliveUs Infinity never unloads. Called once per invocation on the hot path (tens of millions
 * of times for a day): keep it allocation-free and O(1) amortized.
 */
export interface KeepAlivePolicy {
  /** A label for tables and figures (e.g. fixed:10m). */
  readonly name: string;
  /** Fixed keep-alive policies: their length (the x of the keep-alive sweep figures). */
  readonly keepAliveUs?: number;
  /** A fresh state for one simulation with `groups` policy groups (indices 0..groups-1). */
  start(groups: number): PolicyState;
}

export interface PolicyState {
  /**
   * `idleUs`: how long the invocation's unit had been idle (no execution in flight) when it
   * arrived; 0 if something was running; -1 for its first invocation. Writes the windows to `w`.
   */
  onInvocation(group: number, atUs: number, idleUs: number, w: Windows): void;
  /** Optional facts for the manifest once the run is over (e.g. how often a fallback was taken). */
  facts?(): Record<string, number | string>;
}

export interface Windows {
  prewarmUs: number;
  keepAliveUs: number;
}

/** A policy kind: builds a policy from the text after `kind:` in --policy (undefined if none). */
export type PolicyFactory = (params: string | undefined) => KeepAlivePolicy;

/** The same keep-alive for everyone, no pre-warm: what AWS Lambda (10 min) and Azure (20 min) did. */
export function fixedKeepAlive(
  keepAliveUs: number,
  name = `fixed:${formatDuration(keepAliveUs)}`,
): KeepAlivePolicy {
  if (!(keepAliveUs >= 0)) throw new FaasloadError('E_USAGE', `${name}: the keep-alive must be >= 0`);
  return {
    name,
    keepAliveUs,
    start: () => ({
      onInvocation(_g, _t, _idle, w) {
        w.prewarmUs = 0;
        w.keepAliveUs = keepAliveUs;
      },
    }),
  };
}

/** Instances are never unloaded: no cold start after the first, the most memory held. */
export function noUnload(): KeepAlivePolicy {
  return fixedKeepAlive(Number.POSITIVE_INFINITY, 'no-unload');
}

/** 600000000 -> 10m, 90e6 -> 90s, 1500 -> 1.5ms: the shortest exact unit. */
export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return 'inf';
  for (const [unit, size] of [
    ['d', 86400e6],
    ['h', 3600e6],
    ['m', 60e6],
    ['s', 1e6],
    ['ms', 1e3],
  ] as const) {
    if (us >= size && us % size === 0) return `${us / size}${unit}`;
  }
  if (us >= 1e6) return `${us / 1e6}s`;
  return us >= 1e3 ? `${us / 1e3}ms` : `${us}us`;
}

/** `key=value,key=value` -> a map; problems name the policy spec. */
export function parseParams(
  spec: string,
  params: string | undefined,
  known: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  if (params === undefined || params === '') return out;
  for (const part of params.split(',')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || !known.includes(key)) {
      throw new FaasloadError(
        'E_USAGE',
        `--policy ${spec}: '${part}' is not a parameter (expected key=value with key in ${known.join(', ')})`,
      );
    }
    out.set(key, part.slice(eq + 1));
  }
  return out;
}
