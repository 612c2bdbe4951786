import { FaasloadError } from '../errors.js';
import {
  type Deployable,
  isDeployable,
  isManifestDeployable,
  type ManifestDeployable,
} from '../platforms/capabilities.js';
import { readManifest } from '../platforms/openwhisk/index.js';
import { createPlatform, type PlatformOptions } from '../platforms/registry.js';
import type { PlatformAdapter } from '../platforms/types.js';
import { loadPlan, type TracePlanOptions } from './load-plan.js';
import { functionSpecs } from './names.js';

/** The platforms faasload deploy and teardown handle. */
export const DEPLOY_KINDS = ['openwhisk', 'knative', 'openfaas'] as const;
export type DeployKind = (typeof DEPLOY_KINDS)[number];

export interface DeployOptions extends TracePlanOptions {
  /** Default 'openwhisk'. */
  platform?: DeployKind;
  openwhisk?: PlatformOptions['openwhisk'];
  knative?: PlatformOptions['knative'];
  openfaas?: PlatformOptions['openfaas'];
  /** What each trace function runs, as replay's workload (the same actions must be deployed). */
  workload?: readonly string[];
}

type PlatformChoice = Pick<DeployOptions, 'platform' | 'openwhisk' | 'knative' | 'openfaas'>;

/** The adapter of a DEPLOY_KINDS platform, as Deployable (capabilities.ts); another is an E_USAGE error. */
function deployable(o: PlatformChoice): Deployable {
  const { platform = 'openwhisk', openwhisk: ow, knative, openfaas } = o;
  const adapter = createPlatform(platform, {
    ...(ow ? { openwhisk: ow } : {}),
    ...(knative ? { knative } : {}),
    ...(openfaas ? { openfaas } : {}),
  });
  if (!isDeployable(adapter)) throw cannot(adapter, 'deploy and tear down functions');
  return adapter;
}

function cannot(adapter: PlatformAdapter, what: string): FaasloadError {
  return new FaasloadError(
    'E_USAGE',
    `the ${adapter.kind} platform cannot ${what} (faasload deploy, teardown)`,
  );
}

export interface DeployResult {
  address: string;
  /** Action names. */
  actions: string[];
  notices: string[];
}

function openwhisk(o: Pick<DeployOptions, 'openwhisk'>): ManifestDeployable {
  const adapter = createPlatform('openwhisk', o.openwhisk ? { openwhisk: o.openwhisk } : {});
  if (!isManifestDeployable(adapter)) throw cannot(adapter, 'deploy a manifest');
  return adapter;
}

/**
 * Creates on an OpenWhisk the packages and actions of a wskdeploy-style manifest (code, runtime
 * kind, limits, inputs) and leaves them there; `faasload teardown --manifest` removes them.
 */
export async function deployManifest(
  file: string,
  options: Pick<DeployOptions, 'openwhisk'>,
): Promise<DeployResult> {
  const manifest = readManifest(file);
  const platform = openwhisk(options);
  let actions: string[] = [];
  try {
    actions = await platform.deployManifest(manifest, new AbortController().signal);
    platform.keepDeployed();
  } finally {
    await platform.teardown();
  }
  return { address: platform.address, actions, notices: [...platform.notices] };
}

/**
 * Creates, on an OpenWhisk (or OpenFaaS, or Knative), the functions a replay of this trace with
 * these planning options needs (the same names and memory limits replay deploys) and leaves them.
 */
export async function deployPlan(options: DeployOptions): Promise<DeployResult> {
  const { plan } = await loadPlan(options);
  const all = functionSpecs(plan.functions, options.workload, plan.options.seed);
  // --shard: only the shard's functions, as a replay of that shard deploys them.
  const specs = 'shard' in plan ? plan.shard.functions.map((fn) => all[fn]!) : all;
  const platform = deployable(options);
  try {
    await platform.deploy(specs, new AbortController().signal);
    platform.keepDeployed();
  } finally {
    await platform.teardown();
  }
  return { address: platform.address, actions: specs.map((s) => s.name), notices: [...platform.notices] };
}

/**
 * Deletes what faasload deployed: OpenWhisk, every action of the namespace annotated faasload (or
 * a manifest's); OpenFaaS, every function labelled faasload=true; Knative, the Services of the
 * manifests folder (kubectl delete).
 */
export async function teardownDeployed(
  options: PlatformChoice & { manifest?: string },
): Promise<DeployResult> {
  if (options.manifest !== undefined && (options.platform ?? 'openwhisk') !== 'openwhisk') {
    throw new FaasloadError('E_USAGE', '--manifest is a wskdeploy manifest: --platform openwhisk only');
  }
  const platform = deployable(options);
  let actions: string[] = [];
  try {
    if (options.manifest !== undefined) {
      const manifest = readManifest(options.manifest);
      if (!isManifestDeployable(platform)) throw cannot(platform, 'tear down a manifest');
      platform.adoptManifest(manifest);
      actions = manifest.packages.flatMap((p) => p.actions.map((a) => a.name));
    } else actions = await platform.adoptDeployed(new AbortController().signal);
  } finally {
    await platform.teardown();
  }
  if (platform.teardownFailure !== undefined) throw new FaasloadError('E_PLATFORM', platform.teardownFailure);
  return { address: platform.address, actions, notices: [...platform.notices] };
}
