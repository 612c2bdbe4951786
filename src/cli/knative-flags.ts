import type { Argv } from 'yargs';
import type { KnativePlatformOptions } from '../platforms/knative/index.js';

const group = 'Knative platform:';

/** The flags of --platform knative. */
export function knativeFlags<T>(y: Argv<T>) {
  return y
    .options({
      'knative-url': {
        type: 'string',
        describe: 'The ingress to send requests to (Kourier/Istio/Contour), e.g. http://127.0.0.1:8080',
        group,
      },
      'knative-namespace': { type: 'string', describe: "The Services' namespace (default: default)", group },
      'knative-domain': {
        type: 'string',
        describe: 'The cluster domain: requests carry Host NAME.NAMESPACE.DOMAIN (default: example.com)',
        group,
      },
      'knative-path': { type: 'string', describe: 'Request path (default: /)', group },
    })
    .options({
      'knative-image': {
        type: 'string',
        describe: 'Container image of the Services written at deploy',
        group,
      },
      'knative-manifests': {
        type: 'string',
        describe: 'Write one Service manifest (YAML) per function into this folder at deploy',
        group,
      },
      'knative-apply': {
        type: 'boolean',
        describe: 'kubectl apply the manifests at deploy and delete them at teardown (kubectl on PATH)',
        group,
      },
      'knative-revision-header': {
        type: 'string',
        describe: 'Response header naming the revision (default: x-knative-revision)',
        group,
      },
      'knative-pod-header': {
        type: 'string',
        describe: 'Response header naming the pod, recorded as instance_id (default: x-pod-name)',
        group,
      },
    });
}

export const KNATIVE_FLAGS = [
  'knative-url',
  'knative-namespace',
  'knative-domain',
  'knative-path',
  'knative-image',
  'knative-manifests',
  'knative-apply',
  'knative-revision-header',
  'knative-pod-header',
] as const;

type KnativeArgs = { [K in (typeof KNATIVE_FLAGS)[number]]?: K extends 'knative-apply' ? boolean : string };

/** The Knative options the flags give; undefined without --knative-url. */
export function toKnativeOptions(
  args: KnativeArgs,
  errors: string[],
): Omit<KnativePlatformOptions, 'invokeTimeoutMs'> | undefined {
  if (args['knative-url'] === undefined) {
    errors.push(
      '--platform knative needs --knative-url (the ingress), e.g. --knative-url http://127.0.0.1:8080',
    );
    return undefined;
  }
  const o: Omit<KnativePlatformOptions, 'invokeTimeoutMs'> = { ingressUrl: args['knative-url'] };
  if (args['knative-namespace'] !== undefined) o.namespace = args['knative-namespace'];
  if (args['knative-domain'] !== undefined) o.domain = args['knative-domain'];
  if (args['knative-path'] !== undefined) o.path = args['knative-path'];
  if (args['knative-image'] !== undefined) o.image = args['knative-image'];
  if (args['knative-manifests'] !== undefined) o.manifestsDir = args['knative-manifests'];
  if (args['knative-apply']) o.apply = true;
  if (args['knative-revision-header'] !== undefined) o.revisionHeader = args['knative-revision-header'];
  if (args['knative-pod-header'] !== undefined) o.podHeader = args['knative-pod-header'];
  return o;
}
