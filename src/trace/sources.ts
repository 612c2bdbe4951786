import type { ArrivalSource } from './types.js';

/** Trace.arrivals over a list of sources: an index out of range is a RangeError naming `where`. */
export function sourceLookup(
  sources: readonly ArrivalSource[],
  where: string,
): (fn: number) => ArrivalSource {
  return (fn) => {
    const source = sources[fn];
    if (source === undefined)
      throw new RangeError(`no function ${fn} in ${where} (${sources.length} functions)`);
    return source;
  };
}
