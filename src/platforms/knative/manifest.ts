/**
 * Knative Service manifests (serving.knative.dev/v1), one per function, as `kubectl apply -f`
 * takes them. The Service is named after the function's action name (a valid Kubernetes name, see
 * run/names.ts); its container gets the function's memory as request and limit, and the
 * per-instance concurrency as containerConcurrency when given.
 */
import { stringify } from 'yaml';
import { VERSION } from '../../version.js';
import type { FunctionSpec } from '../types.js';

export interface KnativeService {
  apiVersion: 'serving.knative.dev/v1';
  kind: 'Service';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: {
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        containerConcurrency?: number;
        containers: {
          image: string;
          env: { name: string; value: string }[];
          resources?: { requests: { memory: string }; limits: { memory: string } };
        }[];
      };
    };
  };
}

/** The Service for one function. */
export function knativeService(fn: FunctionSpec, namespace: string, image: string): KnativeService {
  const labels = { 'app.kubernetes.io/managed-by': 'faasload' };
  const container: KnativeService['spec']['template']['spec']['containers'][number] = {
    image,
    env: [{ name: 'FAASLOAD_FUNCTION', value: fn.id }],
  };
  if (fn.memoryMb !== undefined && fn.memoryMb > 0) {
    const mem = `${Math.ceil(fn.memoryMb)}Mi`;
    container.resources = { requests: { memory: mem }, limits: { memory: mem } };
  }
  const service: KnativeService = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: fn.name,
      namespace,
      labels,
      annotations: { 'faasload/function': fn.id, 'faasload/version': VERSION },
    },
    spec: { template: { metadata: { labels }, spec: { containers: [container] } } },
  };
  if (fn.concurrency !== undefined && fn.concurrency > 0) {
    service.spec.template.spec.containerConcurrency = fn.concurrency;
  }
  return service;
}

/** The YAML text of one Service manifest. */
export function serviceYaml(service: KnativeService): string {
  return stringify(service);
}
