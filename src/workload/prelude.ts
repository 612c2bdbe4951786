/**
 * The workload prelude: the code every catalog action (and every generated user action) starts
 * with, from the TypeScript modules in ./prelude/ (seeded generators, the parameter reader, the
 * input descriptor, the pixel, PNG and checksum helpers), compiled and linted like the rest.
 *
 * One source for both sides: the host imports those modules to describe and regenerate inputs,
 * and the actions embed their compiled text, read here once when this module loads. So the bytes
 * a dataset names are the bytes the action worked on.
 *
 * An action is a script, not a module (the OpenWhisk action protocol sends source text), so the
 * compiled modules are joined into one script (bundlePrelude): `import * as x from 'node:y'`
 * becomes `const x = require('node:y')`, imports of the prelude's own modules are dropped (they
 * are all in the script, in dependency order), and `export` keywords are removed. Anything else
 * a compiled module might say at its top level (export lists, default exports, other imports) is
 * refused with the file and line, so a change to the modules cannot silently break the actions.
 * Every top-level name of every module lands in one scope: they must be distinct (checked), and
 * the actions' code may use them by name (e.g. `crypto`, `zlib`, `genImage`, `readParams`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The prelude's modules (./prelude/NAME.ts), in evaluation order: each imports only earlier ones. */
export const PRELUDE_MODULES = ['rng', 'generators', 'params', 'pixels', 'encode'] as const;

/** A compiled module of the prelude: its name and its JavaScript. */
export interface CompiledModule {
  name: string;
  /** Where the text was read, for error messages. */
  file: string;
  js: string;
}

const NODE_NAMESPACE_IMPORT = /^import \* as ([A-Za-z_$][\w$]*) from '(node:[\w/]+)';$/;
const LOCAL_IMPORT = /^import (?:\{[^}]*\}|[A-Za-z_$][\w$]*) from '\.\/([\w-]+)\.js';$/;
const EXPORTED_DECLARATION = /^export ((?:async )?function\b|const |let |class )/;
const TOP_LEVEL_NAME = /^(?:async )?(?:function\*? ?|const |let |var |class )([A-Za-z_$][\w$]*)/;
const SOURCE_MAP = /^\/\/# sourceMappingURL=/;

/**
 * Joins compiled ES modules (in evaluation order) into one strict-mode script that runs where
 * `require` resolves Node's built-ins. Throws an Error naming file:line on a top-level form it
 * does not translate, an import of a module not earlier in the list, or a name declared twice.
 */
export function bundlePrelude(modules: readonly CompiledModule[]): string {
  const out: string[] = ["'use strict';"];
  const declared = new Map<string, string>();
  const requires = new Map<string, string>();
  const seen = new Set<string>();
  for (const m of modules) {
    const lines = m.js.split('\n');
    lines.forEach((line, i) => {
      const where = `${m.file}:${i + 1}`;
      const fail = (why: string): never => {
        throw new Error(`workload prelude: ${where}: ${why}: ${line.trim()}`);
      };
      const claim = (name: string): void => {
        const first = declared.get(name);
        if (first !== undefined) fail(`'${name}' is already declared at ${first}`);
        declared.set(name, where);
      };
      if (SOURCE_MAP.test(line)) return;
      const builtin = NODE_NAMESPACE_IMPORT.exec(line);
      if (builtin !== null) {
        const [, name = '', specifier = ''] = builtin;
        const earlier = requires.get(name);
        if (earlier === specifier) return;
        if (earlier !== undefined) fail(`'${name}' already names ${earlier}`);
        requires.set(name, specifier);
        claim(name);
        out.push(`const ${name} = require('${specifier}');`);
        return;
      }
      const local = LOCAL_IMPORT.exec(line);
      if (local !== null) {
        if (!seen.has(local[1] ?? '')) fail('imports a module that is not earlier in the prelude');
        return;
      }
      const exported = EXPORTED_DECLARATION.exec(line);
      const text = exported !== null ? line.slice('export '.length) : line;
      if (/^(?:import|export)\b/.test(text)) fail('an import or export the prelude cannot bundle');
      const name = TOP_LEVEL_NAME.exec(text)?.[1];
      if (name !== undefined) claim(name);
      out.push(text);
    });
    seen.add(m.name);
  }
  return out.join('\n');
}

/** The compiled modules as this installation holds them (beside this file, in ./prelude/). */
export function compiledPreludeModules(): CompiledModule[] {
  return PRELUDE_MODULES.map((name) => {
    const url = new URL(`./prelude/${name}.js`, import.meta.url);
    return { name, file: fileURLToPath(url), js: readFileSync(url, 'utf8') };
  });
}

/** The prelude as actions embed it: plain JavaScript using only Node built-ins (through require). */
export const PRELUDE_JS: string = bundlePrelude(compiledPreludeModules());
