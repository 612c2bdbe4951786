/**
 * Which function and instance a container belongs to: faasload's own labels (see
 * embedded/docker/labels.ts), else an OpenWhisk invoker's container name. OpenWhisk's
 * ContainerProxy names containers `wsk<invoker>_<n>_<namespace>_<action>` with every character
 * outside [a-zA-Z0-9_] removed (prewarmed ones `wsk<invoker>_<n>_prewarm_<kind>`), so the
 * function is `<namespace>_<action>` as it appears there (the `/` separator is gone; an
 * underscore in a namespace makes the split ambiguous, so the two are not separated) and the
 * instance id is the container name, which OpenWhisk activation records do not carry but its
 * logs do. Other containers are sampled with null function and instance.
 */
import { FUNCTION_LABEL, INSTANCE_ID_LABEL } from '../embedded/docker/labels.js';

export interface ContainerMatch {
  instanceId: string | null;
  functionName: string | null;
  matchedBy: 'label' | 'openwhisk-name' | null;
}

const OPENWHISK_NAME = /^wsk[a-zA-Z0-9]*_\d+_(.+)$/;

export function matchContainer(
  name: string | undefined,
  labels: Record<string, string> | undefined,
): ContainerMatch {
  const instance = labels?.[INSTANCE_ID_LABEL];
  if (instance !== undefined) {
    return { instanceId: instance, functionName: labels?.[FUNCTION_LABEL] ?? null, matchedBy: 'label' };
  }
  const m = name === undefined ? null : OPENWHISK_NAME.exec(name);
  if (m) return { instanceId: name!, functionName: m[1]!, matchedBy: 'openwhisk-name' };
  return { instanceId: null, functionName: null, matchedBy: null };
}
