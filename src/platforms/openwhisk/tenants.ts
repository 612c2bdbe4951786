/**
 * OpenWhisk tenants: one API key (and namespace) per user, as a multi-tenant OpenWhisk has them,
 * and the rule that routes each trace function to one of them. Read from a tenants file (YAML or
 * JSON):
 *
 * ```yaml
 * apihost: https://openwhisk.example.org   # optional: every tenant's default API host
 * tenants:
 *   - name: alice                          # for messages and the manifest
 *     auth: UUID:KEY                       # this tenant's key (never shown)
 *     namespace: alice                     # default '_' (the key's own namespace)
 *     apihost: https://other.example.org   # optional, overrides the file's
 *     owners: [HashOwner1, app-2]          # trace users/apps (FunctionSpec.owner) sent here
 * ```
 *
 * Routing (routeTenant): a function whose owner a tenant lists goes to that tenant; any other
 * goes to tenant fnv1a(owner, else the function id) mod N, so all the functions of one owner go to
 * one tenant, the same one every run (a pure function of the id: no seed involved).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { FaasloadError } from '../../errors.js';
import { errnoCodeOf, messageOf } from '../../util/message.js';
import { checkSchema } from '../../util/schema-check.js';
import { formatProblems, parseYamlWithLines } from '../../util/yaml-lines.js';
import { TENANTS_SCHEMA } from './tenants-schema.js';

export interface OpenWhiskTenant {
  name: string;
  auth: string;
  namespace?: string;
  apiHost?: string;
  owners?: string[];
}

/** 32-bit FNV-1a of the UTF-8 bytes of `text`. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The routing rule of the module comment: an index into `tenants`. */
export function routeTenant(
  tenants: readonly OpenWhiskTenant[],
  fn: { id: string; owner?: string | undefined },
  listed: ReadonlyMap<string, number> = listedOwners(tenants),
): number {
  if (fn.owner !== undefined) {
    const i = listed.get(fn.owner);
    if (i !== undefined) return i;
  }
  return fnv1a(fn.owner ?? fn.id) % tenants.length;
}

/** owner → tenant index, from the tenants' `owners` lists. */
export function listedOwners(tenants: readonly OpenWhiskTenant[]): Map<string, number> {
  const map = new Map<string, number>();
  tenants.forEach((t, i) => {
    for (const o of t.owners ?? []) map.set(o, i);
  });
  return map;
}

type Obj = Record<string, unknown>;
const isObject = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Parses a tenants file's text; every problem at once in one E_USAGE error naming `file` (and the
 * tenant, never its key). An owner listed by two tenants is a problem.
 */
export function parseTenants(text: string, file: string): OpenWhiskTenant[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new FaasloadError('E_USAGE', `${file}: not YAML or JSON: ${messageOf(e).split('\n')[0]}`);
  }
  // The schema first (tenants-schema.ts): unknown keys, types and values, each at its file:line.
  const schemaProblems = checkSchema(doc, TENANTS_SCHEMA);
  if (schemaProblems.length > 0) {
    const lines = formatProblems(schemaProblems, parseYamlWithLines(text, file), file);
    throw new FaasloadError('E_USAGE', `invalid tenants file ${file}: ${lines.join('; ')}`);
  }
  const list = isObject(doc) ? doc.tenants : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new FaasloadError('E_USAGE', `${file}: expected 'tenants:' with at least one tenant`);
  }
  const defaultHost = isObject(doc) && typeof doc.apihost === 'string' ? doc.apihost : undefined;
  const problems: string[] = [];
  const names = new Set<string>();
  const owners = new Map<string, string>();
  const out: OpenWhiskTenant[] = [];
  list.forEach((raw, i) => {
    const t = isObject(raw) ? raw : {};
    const name = typeof t.name === 'string' && t.name !== '' ? t.name : `#${i + 1}`;
    const at = `tenant ${name}`;
    if (names.has(name)) problems.push(`${at}: name used twice`);
    names.add(name);
    const auth = typeof t.auth === 'string' ? t.auth.trim() : '';
    const colon = auth.indexOf(':');
    if (colon <= 0 || colon === auth.length - 1) problems.push(`${at}: auth must be 'UUID:KEY'`);
    const tenant: OpenWhiskTenant = { name, auth };
    if (t.namespace !== undefined) {
      if (typeof t.namespace !== 'string' || t.namespace === '')
        problems.push(`${at}: namespace must be a name`);
      else tenant.namespace = t.namespace;
    }
    const host = typeof t.apihost === 'string' ? t.apihost : defaultHost;
    if (host !== undefined) tenant.apiHost = host;
    if (t.owners !== undefined) {
      if (!Array.isArray(t.owners)) problems.push(`${at}: owners must be a list`);
      else {
        tenant.owners = t.owners.map(String);
        for (const o of tenant.owners) {
          const other = owners.get(o);
          if (other !== undefined && other !== name)
            problems.push(`owner '${o}' listed by ${other} and ${name}`);
          owners.set(o, name);
        }
      }
    }
    out.push(tenant);
  });
  if (problems.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid tenants file ${file}: ${problems.join('; ')}`);
  }
  return out;
}

/** Reads a tenants file; missing or unreadable is E_USAGE naming it. */
export function readTenants(file: string): OpenWhiskTenant[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FaasloadError('E_USAGE', `cannot read the tenants file ${file}: ${errnoCodeOf(e) ?? e}`);
  }
  return parseTenants(text, file);
}
