/**
 * The labels faasload puts on everything it creates in a Docker engine, so that it can find and
 * remove exactly its own objects (never anything else on the engine).
 *
 * - `faasload`: what the object is: RUNTIME_LABEL_VALUE on runtime images, INSTANCE_LABEL_VALUE
 *   on function-instance containers.
 * - `faasload.function`, `faasload.instance`: the instance's function name and instance id.
 * - `faasload.owner`: the pid of the faasload process that created the container, so a cleanup can
 *   tell containers of a crashed run (owner gone) from those of a run still going on this host.
 * - `faasload.content-hash`: on runtime images, the hash their tag is made from.
 */
export const KIND_LABEL = 'faasload';
export const RUNTIME_LABEL_VALUE = 'runtime';
export const INSTANCE_LABEL_VALUE = 'instance';
export const FUNCTION_LABEL = 'faasload.function';
export const INSTANCE_ID_LABEL = 'faasload.instance';
export const OWNER_LABEL = 'faasload.owner';
export const CONTENT_HASH_LABEL = 'faasload.content-hash';

/** The engine's label filter for one kind, e.g. `faasload=instance`. */
export function kindFilter(value: string): string {
  return `${KIND_LABEL}=${value}`;
}
