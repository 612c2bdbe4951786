import { FaasloadError } from '../errors.js';
import { type OpenWhiskAdapter, readManifest } from '../platforms/openwhisk/index.js';
import { createPlatform, type PlatformOptions } from '../platforms/registry.js';
import { loadPlan, type TracePlanOptions } from './load-plan.js';
import { functionSpecs } from './names.js';

export interface DeployOptions extends TracePlanOptions {
  openwhisk?: PlatformOptions['openwhisk'];
}

export interface DeployResult {
  address: string;
  /** Action names. */
  actions: string[];
  notices: string[];
}

function openwhisk(o: Pick<DeployOptions, 'openwhisk'>): OpenWhiskAdapter {
  return createPlatform('openwhisk', o.openwhisk ? { openwhisk: o.openwhisk } : {}) as OpenWhiskAdapter;
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
 * Creates, on an OpenWhisk, the actions a replay of this trace with these planning options needs
 * (the same names and memory limits replay deploys) and leaves them there.
 */
export async function deployPlan(options: DeployOptions): Promise<DeployResult> {
  const { plan } = await loadPlan(options);
  const all = functionSpecs(plan.functions);
  // --shard: only the shard's functions, as a replay of that shard deploys them.
  const specs = 'shard' in plan ? plan.shard.functions.map((fn) => all[fn]!) : all;
  const platform = openwhisk(options);
  try {
    await platform.deploy(specs, new AbortController().signal);
    platform.keepDeployed();
  } finally {
    await platform.teardown();
  }
  return { address: platform.address, actions: specs.map((s) => s.name), notices: [...platform.notices] };
}

/** Deletes every action of the namespace that faasload deployed (annotation faasload). */
export async function teardownDeployed(
  options: Pick<DeployOptions, 'openwhisk'> & { manifest?: string },
): Promise<DeployResult> {
  const platform = openwhisk(options);
  let actions: string[] = [];
  try {
    if (options.manifest !== undefined) {
      const manifest = readManifest(options.manifest);
      platform.adoptManifest(manifest);
      actions = manifest.packages.flatMap((p) => p.actions.map((a) => a.name));
    } else actions = await platform.adoptDeployed(new AbortController().signal);
  } finally {
    await platform.teardown();
  }
  const failed = platform.notices.find((n) => n.includes('could not delete'));
  if (failed) throw new FaasloadError('E_PLATFORM', failed);
  return { address: platform.address, actions, notices: [...platform.notices] };
}
