/**
 * Optional capabilities of a platform adapter, beyond PlatformAdapter: each is an interface the
 * adapters that have it implement (checked by the compiler with `implements`), and a type guard
 * that tests one member the interface declares, as k6 tests an Output for WithThresholds. Callers
 * narrow with the guard, never with a cast.
 *
 * Wrappers (wrappers.ts) forward PlatformAdapter only: test the adapter createPlatform() made,
 * before wrapping it.
 */
import type { Manifest } from './openwhisk/manifest.js';
import type { InvocationResult, PlatformAdapter, PlatformPressure } from './types.js';

/**
 * Functions that can outlive the adapter: `faasload deploy` leaves them, `faasload teardown` finds
 * and deletes them (OpenWhisk, with or without tenants; Knative; OpenFaaS).
 */
export interface Deployable extends PlatformAdapter {
  /** What the user should know that is not an error (memory limits raised, what was not deleted). */
  readonly notices: readonly string[];
  /** What the last teardown() could not delete, as one message; undefined when it deleted everything. */
  readonly teardownFailure: string | undefined;
  /** teardown() leaves the functions deploy() created. */
  keepDeployed(): void;
  /** Takes charge of the functions faasload deployed earlier, so that teardown() deletes them; their names. */
  adoptDeployed(signal: AbortSignal): Promise<string[]>;
}

export function isDeployable(p: PlatformAdapter): p is Deployable {
  return 'adoptDeployed' in p && typeof p.adoptDeployed === 'function';
}

/** Deploys a wskdeploy-style manifest's packages and actions (OpenWhisk). */
export interface ManifestDeployable extends Deployable {
  /** Creates the manifest's packages and actions; their names ('pkg/action'). */
  deployManifest(manifest: Manifest, signal: AbortSignal): Promise<string[]>;
  /** Takes charge of the manifest's packages and actions, so that teardown() deletes them. */
  adoptManifest(manifest: Manifest): void;
}

export function isManifestDeployable(p: PlatformAdapter): p is ManifestDeployable {
  return isDeployable(p) && 'adoptManifest' in p && typeof p.adoptManifest === 'function';
}

/** An InvocationResult with the action's JSON answer, when the platform returns one. */
export interface ActionInvocationResult extends InvocationResult {
  /**
   * The object the action returned (faasload's functions: timings, usage, checksum), or its
   * `{"error": ...}` when it failed; absent when there was no object.
   */
  result?: Record<string, unknown>;
}

/**
 * Results carry the action's answer (the embedded platform). OpenWhisk's adapter does not yet:
 * its activation records hold it (response.result), and it keeps only cpuMs from it.
 */
export interface ReturnsActionResults extends PlatformAdapter {
  readonly returnsActionResults: true;
  invoke(...args: Parameters<PlatformAdapter['invoke']>): Promise<ActionInvocationResult>;
}

export function returnsActionResults(p: PlatformAdapter): p is ReturnsActionResults {
  return 'returnsActionResults' in p && p.returnsActionResults === true;
}

/**
 * Announces its instances' lifecycle on the local lifecycle channel (local/instance-channel.ts),
 * which a replay records as instance_events (the embedded platform).
 */
export interface AnnouncesInstances extends PlatformAdapter {
  readonly announcesInstances: true;
}

export function announcesInstances(p: PlatformAdapter): p is AnnouncesInstances {
  return 'announcesInstances' in p && p.announcesInstances === true;
}

/**
 * Its instances run on this machine under a pool (the embedded platform): it reports the pool's
 * state, so that a run can tell when the platform, not the plan, sets the pace, and a plan's
 * needs can be set against this machine. Cheap; may be called every second.
 */
export interface PaceReporter extends PlatformAdapter {
  pressure(): Promise<PlatformPressure>;
}

export function reportsPace(p: PlatformAdapter): p is PaceReporter {
  return 'pressure' in p && typeof p.pressure === 'function';
}
