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
