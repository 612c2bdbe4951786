import type { FunctionSpec } from '../platforms/types.js';
import type { TraceFunction } from '../trace/types.js';
import { bindFunctions, SYNTHETIC } from '../workload/binding.js';

/**
 * Action names for the platform: short, unique, and safe on every platform (lowercase letters,
 * digits and '-', starting with a letter, as Knative and OpenFaaS require): `fn-<index>-<8 chars
 * of the id>`, so a name can be traced back to its function.
 */
export function actionNames(functions: readonly TraceFunction[]): string[] {
  return functions.map((f, i) => {
    const tail = f.id
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(-8);
    return `fn-${i}${tail ? `-${tail}` : ''}`;
  });
}

/**
 * What a platform deploys for each planned function: its action name, memory limit and owner,
 * and the catalog function bound to it when `workload` names some (see workload/binding.ts).
 */
export function functionSpecs(
  functions: readonly TraceFunction[],
  workload: readonly string[] = [SYNTHETIC],
  seed = 0,
): FunctionSpec[] {
  const names = actionNames(functions);
  const specs = functions.map((f, i) => {
    const spec: FunctionSpec = { id: f.id, name: names[i]! };
    const memory = f.memoryMb?.points.at(-1)?.[1];
    if (memory !== undefined) spec.memoryMb = Math.ceil(memory);
    const owner = f.user ?? f.app;
    if (owner !== undefined) spec.owner = owner;
    return spec;
  });
  return bindFunctions(specs, workload, seed);
}
