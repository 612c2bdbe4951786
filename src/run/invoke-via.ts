/**
 * --invoke-via: how a replay makes each invocation.
 * - direct: the function's action is invoked (every platform; the default)
 * - trigger: every function is fired through a trigger whose rule invokes its action (only on a
 *   platform with triggers: an error elsewhere)
 * - auto: the functions whose trace trigger is an event source (EVENT_TRIGGERS: timer, queue,
 *   event in Azure 2019) through a trigger where the platform has triggers, the others directly;
 *   on a platform without triggers everything is direct, and the run says so in a warning.
 */
import { FaasloadError } from '../errors.js';
import { hasTriggers, type TriggerCapable } from '../platforms/triggers.js';
import type { FunctionSpec, PlatformAdapter } from '../platforms/types.js';
import type { TraceFunction } from '../trace/types.js';

export const INVOKE_VIA_CHOICES = ['auto', 'direct', 'trigger'] as const;
export type InvokeViaChoice = (typeof INVOKE_VIA_CHOICES)[number];

/** The trace triggers that stand for events a platform's trigger would carry (Azure 2019's names). */
export const EVENT_TRIGGERS: readonly string[] = ['timer', 'queue', 'event'];

/** Whether each function is fired through a trigger under `choice` on a platform with triggers. */
export function wantsTrigger(choice: InvokeViaChoice, functions: readonly TraceFunction[]): boolean[] {
  return functions.map((f) =>
    choice === 'trigger' ? true : choice === 'auto' ? EVENT_TRIGGERS.includes(f.trigger ?? '') : false,
  );
}

/**
 * The functions (by action name) fired through triggers on `platform`, and a warning when auto
 * finds no triggers there. Throws E_USAGE for `trigger` on a platform without triggers.
 */
export function resolveInvokeVia(
  choice: InvokeViaChoice,
  functions: readonly TraceFunction[],
  specs: readonly FunctionSpec[],
  platform: PlatformAdapter,
): { viaTrigger: Set<string>; warning?: string } {
  const wanted = wantsTrigger(choice, functions);
  const names = new Set(specs.filter((_, i) => wanted[i]).map((s) => s.name));
  if (names.size === 0 || hasTriggers(platform)) return { viaTrigger: names };
  if (choice === 'trigger') {
    throw new FaasloadError(
      'E_USAGE',
      `--invoke-via trigger: platform '${platform.kind}' has no triggers (--platform openwhisk has)`,
    );
  }
  return {
    viaTrigger: new Set(),
    warning: `--invoke-via auto: platform '${platform.kind}' has no triggers; the ${names.size} function(s) with an event trigger were invoked directly`,
  };
}

/**
 * The adapter with the functions in `viaTrigger` fired through their triggers: deploy() also
 * deploys their triggers and rules; invoke() fires them; everything else is the inner adapter's.
 * With an empty set, the inner adapter itself.
 */
export function withInvokeVia(
  inner: PlatformAdapter | (PlatformAdapter & TriggerCapable),
  viaTrigger: ReadonlySet<string>,
): PlatformAdapter {
  if (viaTrigger.size === 0 || !hasTriggers(inner)) return inner;
  return {
    kind: inner.kind,
    address: inner.address,
    async deploy(fns, signal) {
      await inner.deploy(fns, signal);
      await inner.deployTriggers(
        fns.filter((f) => viaTrigger.has(f.name)),
        signal,
      );
    },
    invoke: (fn, arrival, signal) =>
      viaTrigger.has(fn.name) ? inner.fire(fn, arrival, signal) : inner.invoke(fn, arrival, signal),
    ...(inner.warm ? { warm: inner.warm.bind(inner) } : {}),
    teardown: () => inner.teardown(),
  };
}
