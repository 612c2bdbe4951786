import { FaasloadError } from '../errors.js';
import { parseDurationUs } from '../util/duration.js';
import { parseHybrid } from './hybrid.js';
import { fixedKeepAlive, type KeepAlivePolicy, noUnload, type PolicyFactory } from './policy.js';

/** The one place policy kinds are known: built-ins here, users' through registerPolicy. */
const registry = new Map<string, PolicyFactory>();

/** Makes `--policy kind[:params]` available; a kind registered twice is replaced. */
export function registerPolicy(kind: string, factory: PolicyFactory): void {
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) {
    throw new FaasloadError('E_USAGE', `policy kind '${kind}': use lowercase letters, digits and '-'`);
  }
  registry.set(kind, factory);
}

export function policyKinds(): string[] {
  return [...registry.keys()];
}

/** Parses `fixed:10m`, `no-unload`, `hybrid`, `hybrid:range=4h,margin=0.1`, or a registered kind. */
export function parsePolicy(spec: string): KeepAlivePolicy {
  const at = spec.indexOf(':');
  const kind = at < 0 ? spec : spec.slice(0, at);
  const params = at < 0 ? undefined : spec.slice(at + 1);
  const factory = registry.get(kind);
  if (!factory) {
    throw new FaasloadError(
      'E_USAGE',
      `--policy ${spec}: unknown policy kind '${kind}' (known: ${policyKinds().join(', ')})`,
    );
  }
  return factory(params);
}

registerPolicy('fixed', (params) => {
  if (params === undefined || params === '') {
    throw new FaasloadError('E_USAGE', '--policy fixed needs a keep-alive, e.g. fixed:10m');
  }
  return fixedKeepAlive(parseDurationUs(params, `--policy fixed:${params}`));
});
registerPolicy('no-unload', (params) => {
  if (params !== undefined) throw new FaasloadError('E_USAGE', '--policy no-unload takes no parameters');
  return noUnload();
});
registerPolicy('hybrid', parseHybrid);
