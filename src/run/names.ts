import type { FunctionSpec } from '../platforms/types.js';
import type { TraceFunction } from '../trace/types.js';

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

/** What a platform deploys for each planned function: its action name and memory limit. */
export function functionSpecs(functions: readonly TraceFunction[]): FunctionSpec[] {
  const names = actionNames(functions);
  return functions.map((f, i) => {
    const spec: FunctionSpec = { id: f.id, name: names[i]! };
    const memory = f.memoryMb?.points.at(-1)?.[1];
    if (memory !== undefined) spec.memoryMb = Math.ceil(memory);
    const owner = f.user ?? f.app;
    if (owner !== undefined) spec.owner = owner;
    return spec;
  });
}
