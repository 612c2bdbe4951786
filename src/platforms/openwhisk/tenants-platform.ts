/**
 * Several OpenWhisk tenants behind one adapter: one OpenWhiskPlatform (its own key, namespace and
 * connection pools) per tenant, each function routed to one tenant by routeTenant (tenants.ts).
 * deploy() creates each function's action in its tenant's namespace only; invoke() sends it with
 * that tenant's key; teardown() tears every tenant down. The address lists the distinct API hosts
 * and the tenant names, never a key.
 */
import { FaasloadError } from '../../errors.js';
import type { Arrival } from '../../schedule/types.js';
import { messageOf } from '../../util/message.js';
import { epochUs } from '../../util/time.js';
import type { ManifestDeployable } from '../capabilities.js';
import type { FunctionSpec, InvocationResult } from '../types.js';
import type { Manifest } from './manifest.js';
import type { OpenWhiskPlatformOptions } from './options.js';
import { OpenWhiskPlatform } from './platform.js';
import { listedOwners, type OpenWhiskTenant, routeTenant } from './tenants.js';

/** What an OpenWhisk adapter is, with or without tenants: its capabilities (../capabilities.ts). */
export type OpenWhiskAdapter = ManifestDeployable;

export class OpenWhiskTenantsPlatform implements OpenWhiskAdapter {
  readonly kind = 'openwhisk';
  readonly address: string;
  readonly tenants: readonly OpenWhiskTenant[];
  private readonly platforms: OpenWhiskPlatform[];
  private readonly listed: Map<string, number>;

  /**
   * `base` holds the options every tenant shares (blocking, insecure, timeouts...) and the API host
   * of tenants that give none. Throws E_USAGE for a tenant without an API host or with invalid
   * options (naming the tenant, never its key).
   */
  constructor(tenants: readonly OpenWhiskTenant[], base: Partial<OpenWhiskPlatformOptions>) {
    if (tenants.length === 0) throw new FaasloadError('E_USAGE', 'openwhisk: no tenants');
    this.tenants = tenants;
    this.listed = listedOwners(tenants);
    this.platforms = tenants.map((t) => {
      const apiHost = t.apiHost ?? base.apiHost;
      if (apiHost === undefined) {
        throw new FaasloadError(
          'E_USAGE',
          `openwhisk tenant ${t.name}: no API host (apihost in the tenants file, --apihost or ~/.wskprops)`,
        );
      }
      try {
        return new OpenWhiskPlatform({
          ...base,
          apiHost,
          auth: t.auth,
          ...(t.namespace !== undefined ? { namespace: t.namespace } : {}),
        });
      } catch (e) {
        const message = messageOf(e);
        throw new FaasloadError('E_USAGE', `openwhisk tenant ${t.name}: ${message}`);
      }
    });
    const hosts = [...new Set(this.platforms.map((p) => p.address))];
    this.address = `${hosts.join(', ')} (tenants: ${tenants.map((t) => t.name).join(', ')})`;
  }

  /** The tenant index a function goes to. */
  tenantOf(fn: FunctionSpec): number {
    return routeTenant(this.tenants, fn, this.listed);
  }

  get notices(): string[] {
    return this.platforms.flatMap((p, i) => p.notices.map((n) => `${this.tenants[i]!.name}: ${n}`));
  }

  /** Each tenant's teardown failure, named by its tenant; undefined when every tenant deleted everything. */
  get teardownFailure(): string | undefined {
    const failed = this.platforms.flatMap((p, i) =>
      p.teardownFailure === undefined ? [] : [`${this.tenants[i]!.name}: ${p.teardownFailure}`],
    );
    return failed.length > 0 ? failed.join('; ') : undefined;
  }

  /** Each tenant deploys its own functions, tenants in parallel; the first failure rejects. */
  async deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    const groups = this.platforms.map((): FunctionSpec[] => []);
    for (const fn of fns) groups[this.tenantOf(fn)]!.push(fn);
    await Promise.all(
      this.platforms.map((p, i) => (groups[i]!.length > 0 ? p.deploy(groups[i]!, signal) : undefined)),
    );
  }

  invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult> {
    const p = this.platforms[this.tenantOf(fn)];
    if (!p) {
      const now = epochUs();
      return Promise.resolve({
        outcome: 'error',
        sentAtUs: now,
        endedAtUs: now,
        failure: 'client',
        error: 'no tenant',
      });
    }
    return p.invoke(fn, arrival, signal);
  }

  /** The manifest goes to every tenant: each user gets the same actions. */
  async deployManifest(manifest: Manifest, signal: AbortSignal): Promise<string[]> {
    const names = await Promise.all(this.platforms.map((p) => p.deployManifest(manifest, signal)));
    return names[0] ?? [];
  }

  async adoptDeployed(signal: AbortSignal): Promise<string[]> {
    const all = await Promise.all(this.platforms.map((p) => p.adoptDeployed(signal)));
    return all.flatMap((names, i) => names.map((n) => `${this.tenants[i]!.name}:${n}`));
  }

  adoptManifest(manifest: Manifest): void {
    for (const p of this.platforms) p.adoptManifest(manifest);
  }

  keepDeployed(): void {
    for (const p of this.platforms) p.keepDeployed();
  }

  async teardown(): Promise<void> {
    await Promise.all(this.platforms.map((p) => p.teardown()));
  }
}
