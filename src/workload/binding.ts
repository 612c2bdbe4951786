/**
 * What a replay deploys and sends for each trace function: the synthetic function (busy for the
 * trace's duration, touching its memory), or a real catalog function bound to it. `--workload
 * catalog` binds every real catalog function in turn (in plan order, so the binding is the same
 * on every run and shard); `--workload image,hash` binds those. Each invocation of a bound
 * function gets the input its arrival names (an input id such as `image-7-256`), else one of the
 * entry's default size whose seed is drawn from (run seed, function, seq); and the arrival's
 * parameters that the function takes (FaaSLoad traces carry some).
 */
import { FaasloadError } from '../errors.js';
import type { FunctionSpec } from '../platforms/types.js';
import type { Arrival } from '../schedule/types.js';
import { bitsOf, hash32, keyAt, streamKey } from '../util/random.js';
import { CATALOG, catalogEntry } from './catalog.js';
import { actionValue, parseInputId } from './inputs.js';

export const SYNTHETIC = 'synthetic';

/** The --workload flag: 'synthetic' (default), 'catalog' (all real ones) or a list of names. */
export function parseWorkloadChoice(text: string): readonly string[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new FaasloadError('E_USAGE', '--workload: name at least one function');
  if (names.length === 1 && names[0] === 'catalog') {
    return CATALOG.filter((e) => e.name !== SYNTHETIC).map((e) => e.name);
  }
  for (const name of names) catalogEntry(name); // E_USAGE naming the catalog when unknown
  return names;
}

/**
 * The specs with a catalog function bound to each, in turn; unchanged for ['synthetic'] (the
 * synthetic function is every platform's default). The binding is data (it crosses worker
 * threads): the action's code and what invocationValue() needs.
 */
export function bindFunctions(
  specs: readonly FunctionSpec[],
  names: readonly string[],
  seed: number,
): FunctionSpec[] {
  if (names.length === 1 && names[0] === SYNTHETIC) return [...specs];
  return specs.map((spec, i) => {
    const name = names[i % names.length];
    if (name === undefined)
      throw new FaasloadError('E_USAGE', 'no workload function to bind the trace functions to');
    const entry = catalogEntry(name);
    if (entry.name === SYNTHETIC) return spec;
    return {
      ...spec,
      action: { code: entry.code, main: entry.main },
      workload: { function: entry.name, seed, inputSize: entry.input.size.default },
    };
  });
}

/** The /run value of one invocation of fn (see the module comment). */
export function invocationValue(fn: FunctionSpec, arrival: Arrival): Record<string, unknown> {
  const w = fn.workload;
  if (w === undefined) {
    return { ...arrival.params, durationMs: arrival.durationMs ?? 0, memoryMb: arrival.memoryMb ?? 0 };
  }
  const entry = catalogEntry(w.function);
  const params: Record<string, string> = {};
  for (const p of entry.params) {
    const given = arrival.params?.[p.name];
    if (given !== undefined) params[p.name] = given;
  }
  // An input the arrival names (a FaaSLoad trace's, or a generation's), else one drawn for it.
  const named = arrival.input !== undefined ? parseInputId(arrival.input) : undefined;
  const input = named ?? {
    seed: bitsOf(keyAt(streamKey(w.seed, hash32(fn.id)), arrival.seq), 0) >>> 0,
    size: w.inputSize,
  };
  return actionValue(w.function, { seed: input.seed, size: input.size }, params);
}
