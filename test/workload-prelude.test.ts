/**
 * The workload prelude is TypeScript (src/workload/prelude/), compiled by tsc like the rest, and
 * what an action embeds is that compiled code: the functions an action runs are the modules'
 * functions, the bundling refuses what it cannot translate, and a type error in a prelude module
 * is a compile error.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { compileFunction } from 'node:vm';
import ts from 'typescript';
import { catalogEntry, inputBytes } from '../src/workload/index.js';
import * as encode from '../src/workload/prelude/encode.js';
import * as generators from '../src/workload/prelude/generators.js';
import * as params from '../src/workload/prelude/params.js';
import * as pixels from '../src/workload/prelude/pixels.js';
import * as rng from '../src/workload/prelude/rng.js';
import {
  bundlePrelude,
  type CompiledModule,
  compiledPreludeModules,
  PRELUDE_JS,
  PRELUDE_MODULES,
} from '../src/workload/prelude.js';
import { REPO_ROOT } from './helpers/paths.js';

const MODULES: Record<(typeof PRELUDE_MODULES)[number], Record<string, unknown>> = {
  rng,
  generators,
  params,
  pixels,
  encode,
};

/** Evaluates an action's code as the runtime proxy does (a function body with require) and returns `names`. */
function evaluate(code: string, names: readonly string[]): Record<string, unknown> {
  const factory = compileFunction(
    `${code}\n;return { ${names.join(', ')} };`,
    ['module', 'exports', 'require'],
    {
      filename: 'action.js',
    },
  );
  const found: unknown = factory({ exports: {} }, {}, createRequire(import.meta.url));
  assert.ok(found !== null && typeof found === 'object');
  return { ...found };
}

const exportedNames = Object.values(MODULES).flatMap((m) => Object.keys(m));

describe('the workload prelude', () => {
  test('every module of src/workload/prelude/ is in the bundle, in an order where each imports only earlier ones', () => {
    assert.deepEqual(Object.keys(MODULES).sort(), [...PRELUDE_MODULES].sort());
    const files = compiledPreludeModules().map((m) => relative(REPO_ROOT, m.file));
    assert.deepEqual(
      files,
      PRELUDE_MODULES.map((name) => join('dist', 'src', 'workload', 'prelude', `${name}.js`)),
    );
  });

  test("an action runs the compiled modules' own functions", () => {
    const action = evaluate(catalogEntry('image').code, exportedNames);
    for (const [file, mod] of Object.entries(MODULES)) {
      for (const [name, value] of Object.entries(mod)) {
        const embedded = action[name];
        if (typeof value === 'function') {
          assert.equal(typeof embedded, 'function', `${file}.${name}`);
          assert.equal(String(embedded), String(value), `${file}.${name}: the compiled function's text`);
        } else {
          assert.deepEqual(embedded, value, `${file}.${name}`);
        }
      }
    }
    // And they compute what the host computes.
    const genImage = action.genImage;
    assert.equal(typeof genImage, 'function');
    if (typeof genImage === 'function') {
      assert.deepEqual(genImage(7, 24, 'mixed').data, inputBytes('image', 7, 24, { pattern: 'mixed' }));
    }
  });

  test('the bundle translates node: namespace imports, drops its own imports and exports, keeps the rest', () => {
    const js = bundlePrelude([
      {
        name: 'a',
        file: 'a.js',
        js: "import * as zlib from 'node:zlib';\nexport const A = 1;\nfunction hidden() {\n  return A;\n}\n//# sourceMappingURL=a.js.map",
      },
      {
        name: 'b',
        file: 'b.js',
        js: "import * as zlib from 'node:zlib';\nimport { A } from './a.js';\nexport function b() {\n  return A + 1;\n}",
      },
    ]);
    assert.equal(
      js,
      "'use strict';\nconst zlib = require('node:zlib');\nconst A = 1;\nfunction hidden() {\n  return A;\n}\nfunction b() {\n  return A + 1;\n}",
    );
    const run = compileFunction(`${js}\nreturn b() + typeof zlib.deflateSync;`, ['require']);
    assert.equal(run(createRequire(import.meta.url)), '2function');
  });

  test('the bundle refuses what it cannot translate, naming file:line', () => {
    const refuse = (modules: CompiledModule[], message: RegExp) =>
      assert.throws(() => bundlePrelude(modules), message);
    const one = (js: string): CompiledModule[] => [{ name: 'm', file: 'm.js', js }];
    refuse(one('const a = 1;\nexport { a };'), /m\.js:2: an import or export the prelude cannot bundle/);
    refuse(one('export default function f() {}'), /m\.js:1: an import or export/);
    refuse(one("import yaml from 'yaml';"), /m\.js:1: an import or export/);
    refuse(one("import { x } from './later.js';"), /m\.js:1: imports a module that is not earlier/);
    refuse(
      one("import * as os from 'node:os';\nimport * as os from 'node:fs';"),
      /m\.js:2: 'os' already names node:os/,
    );
    refuse(
      [
        { name: 'a', file: 'a.js', js: 'export function twice() {}' },
        { name: 'b', file: 'b.js', js: 'function twice() {}' },
      ],
      /b\.js:1: 'twice' is already declared at a\.js:1/,
    );
  });

  test('PRELUDE_JS is the bundle of the compiled modules', () => {
    assert.equal(PRELUDE_JS, bundlePrelude(compiledPreludeModules()));
    assert.ok(catalogEntry('hash').code.startsWith(PRELUDE_JS));
  });

  test('the published package holds the compiled modules', () => {
    const pkg: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.ok(pkg !== null && typeof pkg === 'object' && 'files' in pkg && Array.isArray(pkg.files));
    const published = pkg.files.map(String);
    for (const m of compiledPreludeModules()) {
      const path = relative(REPO_ROOT, m.file).split('\\').join('/');
      assert.ok(
        published.some((entry) => path === entry || path.startsWith(`${entry}/`)),
        `${path} is in package.json's files`,
      );
    }
  });

  test('tsc checks the prelude modules: they are in tsconfig.json, and a type error in one fails the build', () => {
    const configPath = join(REPO_ROOT, 'tsconfig.json');
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    assert.equal(read.error, undefined);
    const config = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(configPath));
    const sources = PRELUDE_MODULES.map((name) =>
      join(REPO_ROOT, 'src', 'workload', 'prelude', `${name}.ts`),
    );
    for (const file of sources)
      assert.ok(config.fileNames.includes(file), `${file} is compiled by tsconfig.json`);

    const options = { ...config.options, noEmit: true };
    const errorsIn = (file: string, replace?: (text: string) => string): readonly ts.Diagnostic[] => {
      const host = ts.createCompilerHost(options);
      const readFile = host.readFile.bind(host);
      host.readFile = (name) => {
        const text = readFile(name);
        return replace !== undefined && text !== undefined && name === file ? replace(text) : text;
      };
      const program = ts.createProgram(sources, options, host);
      const source = program.getSourceFile(file);
      assert.ok(source, file);
      return ts.getPreEmitDiagnostics(program, source);
    };
    const generatorsTs = sources[PRELUDE_MODULES.indexOf('generators')] ?? '';
    assert.deepEqual(
      errorsIn(generatorsTs).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
      [],
    );
    const broken = errorsIn(
      generatorsTs,
      (text) => `${text}\nexport const wrong: string = genBytes(1, 2);\n`,
    );
    assert.deepEqual(
      broken.map((d) => d.code),
      [2322],
      'assigning a Buffer to a string is reported',
    );
  });
});
