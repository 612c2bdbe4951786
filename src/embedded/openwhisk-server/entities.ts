/**
 * OpenWhisk's packages, triggers and rules as the embedded platform stores and serves them (swagger
 * definitions Package, Trigger, TriggerMeta, Rule, RuleMeta), and fully qualified names. Pure
 * functions, no I/O.
 */
import type { KeyValue } from './records.js';

export interface PackageRecord {
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  annotations: KeyValue[];
  /** Bound to every action of the package, below the action's own parameters. */
  parameters: KeyValue[];
  updated: number;
}

export interface TriggerRecord {
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  annotations: KeyValue[];
  /** Merged below the payload of each firing. */
  parameters: KeyValue[];
  updated: number;
}

export type RuleStatus = 'active' | 'inactive';

/** A fully qualified entity name split as OpenWhisk serves it: path 'ns' or 'ns/pkg', and name. */
export interface PathName {
  path: string;
  name: string;
}

export interface RuleRecord {
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  annotations: KeyValue[];
  status: RuleStatus;
  trigger: PathName;
  action: PathName;
  updated: number;
}

/** 'ns/name' or 'ns/pkg/name', without the leading slash (OpenWhisk's asString). */
export function fqnString(p: PathName): string {
  return `${p.path}/${p.name}`;
}

/**
 * A name as clients write it in rules and sequences: '/ns/name', '/ns/pkg/name', 'name' or
 * 'pkg/name' (then in `defaultNamespace`); '_' is the default namespace. Undefined if malformed.
 */
export function parseFqn(text: string, defaultNamespace: string): PathName | undefined {
  const absolute = text.startsWith('/');
  const parts = (absolute ? text.slice(1) : text).split('/');
  if (parts.some((p) => p === '')) return undefined;
  const ns = (n: string) => (n === '_' ? defaultNamespace : n);
  if (absolute) {
    if (parts.length === 2) return { path: ns(parts[0]!), name: parts[1]! };
    if (parts.length === 3) return { path: `${ns(parts[0]!)}/${parts[1]}`, name: parts[2]! };
    return undefined;
  }
  if (parts.length === 1) return { path: defaultNamespace, name: parts[0]! };
  if (parts.length === 2) return { path: `${defaultNamespace}/${parts[0]}`, name: parts[1]! };
  if (parts.length === 3) return { path: `${ns(parts[0]!)}/${parts[1]}`, name: parts[2]! };
  return undefined;
}

/** GET and PUT answer (Package); `actions` only on GET. */
export function packageView(
  p: PackageRecord,
  actions?: readonly { name: string; version: string; annotations: KeyValue[] }[],
): Record<string, unknown> {
  return {
    ...p,
    binding: {},
    ...(actions
      ? {
          actions: actions.map((a) => ({ name: a.name, version: a.version, annotations: a.annotations })),
          feeds: [],
        }
      : {}),
  };
}

/** A package list entry: no actions, as OpenWhisk's summary. */
export function packageBrief(p: PackageRecord): Record<string, unknown> {
  return { ...p, binding: {} };
}

/** GET, PUT and DELETE answer (Trigger): the rules linked to it, by 'ns/rule', when any. */
export function triggerView(t: TriggerRecord, rules: readonly RuleRecord[]): Record<string, unknown> {
  const linked = rules.filter((r) => r.trigger.path === t.namespace && r.trigger.name === t.name);
  const view: Record<string, unknown> = { ...t, limits: {} };
  if (linked.length > 0) {
    view.rules = Object.fromEntries(
      linked.map((r) => [`${r.namespace}/${r.name}`, { action: { ...r.action }, status: r.status }]),
    );
  }
  return view;
}

/** A trigger list entry (TriggerMeta). */
export function triggerBrief(t: TriggerRecord): Record<string, unknown> {
  const { parameters: _parameters, ...meta } = t;
  return meta;
}

/** A rule list entry (RuleMeta): no status. */
export function ruleBrief(r: RuleRecord): Record<string, unknown> {
  const { status: _status, ...meta } = r;
  return meta;
}
