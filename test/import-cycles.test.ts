/**
 * The module graph stays acyclic where it was made so: no runtime import cycle between two
 * modules of src (checked on the compiled dist/src, where type-only imports are gone), and the
 * folders that depend one way (src/monitor writes through src/dataset) never depend back, not
 * even for a type (checked on the sources).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from './helpers/paths.js';

const SRC = join(REPO_ROOT, 'src');
const DIST_SRC = join(REPO_ROOT, 'dist', 'src');

/** Folder pairs [from, to]: `from` may import `to`, never the reverse. */
const ONE_WAY: readonly (readonly [string, string])[] = [['monitor', 'dataset']];

/** Every .ts file under `dir`, relative to it, without its extension. */
function modules(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3));
}

/** Static relative specifiers of `import ... from`, `import '...'` and `export ... from`. */
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:([^'";]*?)\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

/** A module's static relative imports, as module names relative to the root; `types`: keep type-only ones. */
function importsOf(file: string, types: boolean): { specifier: string; typeOnly: boolean }[] {
  const out: { specifier: string; typeOnly: boolean }[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
    const typeOnly = /^type\s/.test(m[1] ?? '');
    if (typeOnly && !types) continue;
    out.push({ specifier: m[2]!, typeOnly });
  }
  return out;
}

/** The runtime graph of dist/src: module -> modules it imports (both relative to dist/src, no extension). */
function runtimeGraph(): Map<string, string[]> {
  const names = new Set(modules(SRC));
  const graph = new Map<string, string[]>();
  for (const name of names) {
    const file = join(DIST_SRC, `${name}.js`);
    const deps = importsOf(file, false)
      .map(({ specifier }) => relative(DIST_SRC, resolve(dirname(file), specifier)).replace(/\.js$/, ''))
      .filter((d) => names.has(d));
    graph.set(name, deps);
  }
  return graph;
}

/** The strongly connected components of more than one module (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import graph', () => {
  test('the checker sees a cycle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(cycles(graph), [['a', 'b', 'c']]);
    assert.deepEqual(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
      [],
    );
  });

  test('no runtime import cycle between modules of src', () => {
    const graph = runtimeGraph();
    assert.ok(graph.size > 100, `the compiled modules were found (${graph.size})`);
    assert.ok(graph.get('trace/lines')?.includes('trace/csv'), 'trace/lines imports trace/csv');
    assert.deepEqual(cycles(graph), []);
  });

  for (const [from, to] of ONE_WAY) {
    test(`src/${to} imports nothing from src/${from}, not even a type`, () => {
      const back: string[] = [];
      for (const name of modules(join(SRC, to))) {
        const file = join(SRC, to, `${name}.ts`);
        for (const { specifier } of importsOf(file, true)) {
          const target = relative(SRC, resolve(dirname(file), specifier));
          if (target.split('/')[0] === from) back.push(`src/${to}/${name}.ts imports ${specifier}`);
        }
      }
      assert.deepEqual(back, []);
    });
  }
});
