/** The Knative Serving platform's options: one typed object, its defaults in one place, validated at once. */
import { FaasloadError } from '../../errors.js';
import { CONNECTION_DEFAULTS } from '../connection-defaults.js';
import { positiveInteger, timerMs } from '../option-checks.js';

export interface KnativePlatformOptions {
  /**
   * Where requests go: the cluster's ingress (Kourier, Istio, Contour), e.g. 'http://127.0.0.1:8080'.
   * Each request carries Host: {name}.{namespace}.{domain}, as Knative routes by host.
   */
  ingressUrl: string;
  /** Default 'default'. */
  namespace?: string;
  /** The cluster's domain (config-domain). Default 'example.com', Knative's own default. */
  domain?: string;
  /** Path of every request. Default '/'. */
  path?: string;
  /** The container image of the Services written at deploy (required to write manifests). */
  image?: string;
  /** Folder the Service manifests are written to at deploy (one YAML file per function). */
  manifestsDir?: string;
  /** Run `kubectl apply -f` on the manifests at deploy and `kubectl delete -f` at teardown. Default false. */
  apply?: boolean;
  /** The kubectl to run. Default 'kubectl' (from PATH). */
  kubectl?: string;
  /** Response header naming the revision that answered. Default 'x-knative-revision'. */
  revisionHeader?: string;
  /** Response header naming the pod that answered. Default 'x-pod-name'. */
  podHeader?: string;
  /** Connections to the ingress at most (kept alive). Default 256. */
  connections?: number;
  /** Time limit to open a connection. Default 10 000. */
  connectTimeoutMs?: number;
  /** From invoke() to the end of the answer; past it the outcome is 'timeout'. Default 60 000. */
  invokeTimeoutMs?: number;
  /** Accept an ingress certificate that does not verify. Default false. */
  insecure?: boolean;
}

export type ResolvedKnativeOptions = Required<
  Omit<KnativePlatformOptions, 'image' | 'manifestsDir' | 'ingressUrl'>
> & {
  origin: string;
  /** The ingress URL's path prefix ('' or '/prefix'), before `path`. */
  basePath: string;
  image: string | undefined;
  manifestsDir: string | undefined;
};

export const KNATIVE_PLATFORM_DEFAULTS = {
  namespace: 'default',
  domain: 'example.com',
  path: '/',
  apply: false,
  kubectl: 'kubectl',
  revisionHeader: 'x-knative-revision',
  podHeader: 'x-pod-name',
  ...CONNECTION_DEFAULTS,
  insecure: false,
} as const;

/** RFC 1123 label, as Kubernetes names and namespaces are. */
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function resolveKnativeOptions(o: KnativePlatformOptions): ResolvedKnativeOptions {
  const d = KNATIVE_PLATFORM_DEFAULTS;
  const problems: string[] = [];
  let origin = '';
  let basePath = '';
  try {
    const url = new URL(o.ingressUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    origin = url.origin;
    basePath = url.pathname.replace(/\/+$/, '');
  } catch {
    problems.push(`ingress URL: '${String(o.ingressUrl)}' is not an http(s) URL`);
  }
  const namespace = o.namespace ?? d.namespace;
  if (!LABEL.test(namespace)) problems.push(`namespace: '${namespace}' is not a Kubernetes name`);
  const domain = o.domain ?? d.domain;
  if (!/^[a-z0-9.-]+$/i.test(domain)) problems.push(`domain: '${domain}' is not a domain`);
  const path = o.path ?? d.path;
  if (!path.startsWith('/')) problems.push(`path: '${path}' must start with /`);
  if ((o.apply ?? false) && o.manifestsDir === undefined) {
    problems.push('apply: needs a folder for the manifests (--knative-manifests)');
  }
  const connections = positiveInteger('connections', o.connections ?? d.connections, problems);
  const ms = (name: 'connectTimeoutMs' | 'invokeTimeoutMs') => timerMs(name, o[name] ?? d[name], problems);
  const resolved: ResolvedKnativeOptions = {
    origin,
    basePath,
    namespace,
    domain,
    path,
    image: o.image,
    manifestsDir: o.manifestsDir,
    apply: o.apply ?? d.apply,
    kubectl: o.kubectl ?? d.kubectl,
    revisionHeader: (o.revisionHeader ?? d.revisionHeader).toLowerCase(),
    podHeader: (o.podHeader ?? d.podHeader).toLowerCase(),
    connections,
    connectTimeoutMs: ms('connectTimeoutMs'),
    invokeTimeoutMs: ms('invokeTimeoutMs'),
    insecure: o.insecure ?? d.insecure,
  };
  if (problems.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid knative platform options: ${problems.join('; ')}`);
  }
  return resolved;
}
