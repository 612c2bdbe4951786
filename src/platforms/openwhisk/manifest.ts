/**
 * wskdeploy-style manifests (YAML, as Apache OpenWhisk's wskdeploy reads them) turned into the
 * package and action PUT bodies of the REST API. The subset read:
 *
 * ```yaml
 * project:            # optional wrapper (newer manifests); `packages:` may also be top-level
 *   name: demo
 *   packages:
 *     pkg:            # 'default' = no package: the actions go to the namespace itself
 *       inputs: { k: v }                          # package parameters
 *       actions:
 *         hello:
 *           function: src/hello.js                # code file, relative to the manifest
 *           runtime: nodejs:20                    # exec kind; default from the extension
 *           main: main                            # entry point; default 'main'
 *           inputs: { name: World }               # or { name: { type: string, default: World } }
 *           limits: { memorySize: 256, timeout: 60000, logSize: 10, concurrentActivations: 1 }
 * ```
 *
 * Not read: sequences, triggers, rules, apis, dependencies, docker images, zip actions (a
 * `function:` that is a folder or .zip is refused with the action named). Every problem of the
 * file is reported at once, as one E_USAGE error naming the file.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse } from 'yaml';
import { FaasloadError } from '../../errors.js';
import { errnoCodeOf, messageOf } from '../../util/message.js';

export interface KeyValue {
  key: string;
  value: unknown;
}

/** OpenWhisk ActionLimits. */
export interface ManifestLimits {
  memory?: number;
  timeout?: number;
  logs?: number;
  concurrency?: number;
}

export interface ManifestAction {
  /** 'action' or 'package/action'. */
  name: string;
  kind: string;
  code: string;
  main: string;
  parameters: KeyValue[];
  limits: ManifestLimits;
}

export interface ManifestPackage {
  /** undefined for the 'default' package (actions in the namespace itself). */
  name: string | undefined;
  parameters: KeyValue[];
  actions: ManifestAction[];
}

export interface Manifest {
  file: string;
  packages: ManifestPackage[];
}

/** Exec kinds by code file extension, as wskdeploy infers them. */
const KIND_BY_EXTENSION: Record<string, string> = {
  '.js': 'nodejs:default',
  '.mjs': 'nodejs:default',
  '.cjs': 'nodejs:default',
  '.py': 'python:default',
  '.php': 'php:default',
  '.rb': 'ruby:default',
  '.swift': 'swift:default',
  '.go': 'go:default',
};

const LIMIT_KEYS = {
  memorySize: 'memory',
  timeout: 'timeout',
  logSize: 'logs',
  concurrentActivations: 'concurrency',
} as const;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_@.-]*$/;

type Obj = Record<string, unknown>;

function isObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** inputs: a plain value, or wskdeploy's {type, value | default} form. */
function parameters(inputs: unknown, at: string, problems: string[]): KeyValue[] {
  if (inputs === undefined || inputs === null) return [];
  if (!isObject(inputs)) {
    problems.push(`${at}.inputs: not a mapping`);
    return [];
  }
  return Object.entries(inputs).map(([key, v]) => {
    if (isObject(v) && ('value' in v || 'default' in v || 'type' in v)) {
      return { key, value: 'value' in v ? v.value : (v.default ?? null) };
    }
    return { key, value: v ?? null };
  });
}

/** Parses a manifest text; `file` names it in errors and code paths are relative to its folder. */
export function parseManifest(text: string, file: string): Manifest {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new FaasloadError('E_USAGE', `${file}: not a YAML manifest: ${messageOf(e)}`);
  }
  const root = isObject(doc) && isObject(doc.project) ? doc.project : doc;
  const packagesIn = isObject(root) ? root.packages : undefined;
  if (!isObject(packagesIn) || Object.keys(packagesIn).length === 0) {
    throw new FaasloadError('E_USAGE', `${file}: no packages (expected 'packages:' or 'project: packages:')`);
  }
  const base = dirname(file);
  const packages: ManifestPackage[] = [];
  for (const [pkgName, pkgIn] of Object.entries(packagesIn)) {
    const at = `packages.${pkgName}`;
    if (!NAME.test(pkgName)) problems.push(`${at}: '${pkgName}' is not a package name`);
    const pkg = isObject(pkgIn) ? pkgIn : {};
    const name = pkgName === 'default' ? undefined : pkgName;
    const actions: ManifestAction[] = [];
    const actionsIn = pkg.actions ?? {};
    if (!isObject(actionsIn)) problems.push(`${at}.actions: not a mapping`);
    for (const [actionName, aIn] of Object.entries(isObject(actionsIn) ? actionsIn : {})) {
      const aat = `${at}.actions.${actionName}`;
      if (!NAME.test(actionName)) problems.push(`${aat}: '${actionName}' is not an action name`);
      const a = isObject(aIn) ? aIn : {};
      const fn = a.function ?? a.location;
      let code = '';
      let kind = typeof a.runtime === 'string' ? a.runtime : undefined;
      if (typeof fn !== 'string' || fn === '') {
        problems.push(`${aat}.function: required (the code file)`);
      } else {
        const path = resolve(base, fn);
        kind ??= KIND_BY_EXTENSION[extname(path).toLowerCase()];
        try {
          if (!statSync(path).isFile() || extname(path).toLowerCase() === '.zip') {
            problems.push(`${aat}.function: ${fn} is not a source file (folders and zips are not read)`);
          } else code = readFileSync(path, 'utf8');
        } catch (e) {
          problems.push(`${aat}.function: cannot read ${path}: ${errnoCodeOf(e) ?? e}`);
        }
      }
      if (kind === undefined) problems.push(`${aat}.runtime: required (no default for this file type)`);
      else if (!/^[a-z0-9.:_-]+$/i.test(kind)) problems.push(`${aat}.runtime: '${kind}' is not an exec kind`);
      const main = a.main === undefined ? 'main' : a.main;
      if (typeof main !== 'string' || main === '') problems.push(`${aat}.main: not a name`);
      const limits: ManifestLimits = {};
      if (a.limits !== undefined) {
        if (!isObject(a.limits)) problems.push(`${aat}.limits: not a mapping`);
        else {
          for (const [k, v] of Object.entries(a.limits)) {
            const target = LIMIT_KEYS[k as keyof typeof LIMIT_KEYS];
            if (!target)
              problems.push(`${aat}.limits.${k}: unknown (known: ${Object.keys(LIMIT_KEYS).join(', ')})`);
            else if (!Number.isInteger(v) || (v as number) < 1)
              problems.push(`${aat}.limits.${k}: ${String(v)} is not a positive integer`);
            else limits[target] = v as number;
          }
        }
      }
      actions.push({
        name: name === undefined ? actionName : `${name}/${actionName}`,
        kind: kind ?? '',
        code,
        main: typeof main === 'string' ? main : 'main',
        parameters: parameters(a.inputs, aat, problems),
        limits,
      });
    }
    packages.push({ name, parameters: parameters(pkg.inputs, at, problems), actions });
  }
  if (problems.length > 0) {
    throw new FaasloadError('E_USAGE', `invalid manifest ${file}: ${problems.join('; ')}`);
  }
  return { file, packages };
}

/** Reads and parses a manifest file; a missing or unreadable file is E_USAGE naming it. */
export function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FaasloadError('E_USAGE', `cannot read the manifest ${file}: ${errnoCodeOf(e) ?? e}`);
  }
  return parseManifest(text, resolve(file));
}
