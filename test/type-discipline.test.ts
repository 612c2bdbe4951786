/**
 * The compiler holds the contracts, so the sources do not switch it off:
 * - no `as unknown as` in src/ or scripts/ (a type guard, a correct type, or one typed wrapper
 *   around a library whose typings are wrong does the job: see src/embedded/docker/dockerode-v5.ts,
 *   src/util/web-stream.ts);
 * - no `as Error` or `as NodeJS.ErrnoException` in src/ or scripts/: a caught value is `unknown`,
 *   and src/util/message.ts reads it (messageOf for the message, errnoCodeOf for a system error's
 *   code), so a thrown string or object gives its text instead of `undefined`;
 * - non-null assertions (`x!`) are a ratchet: each folder of src/ has at most the count that
 *   test/non-null-assertions.json records (folders it does not name: none). Lower a count when you
 *   remove some; never raise one. Folders at 0 are also held by Biome's style/noNonNullAssertion
 *   (biome.json, overrides), so the editor flags a new one at once.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { REPO_ROOT } from './helpers/paths.js';

const SOURCE = /\.(?:ts|mts|js|mjs)$/;

/** Source files under `dir` (relative to the repository), absolute paths. */
function sources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => SOURCE.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(REPO_ROOT, dir, f));
}

/** The `file:line` of every `as unknown as` in `text`. */
export function doubleCasts(file: string, text: string): string[] {
  return [...text.matchAll(/\bas\s+unknown\s+as\b/g)].map(
    (m) => `${file}:${text.slice(0, m.index).split('\n').length}`,
  );
}

/** The `file:line` of every cast of a caught value to Error or NodeJS.ErrnoException (`as`, or `<Error>`). */
export function errorCasts(file: string, text: string): string[] {
  const found: string[] = [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const visit = (node: ts.Node): void => {
    if (
      (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) &&
      /\b(?:Error|NodeJS\.ErrnoException)\b/.test(node.type.getText(source))
    ) {
      found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** How many non-null assertions (`x!`) the TypeScript parser finds in `text`. */
export function nonNullAssertions(file: string, text: string): number {
  let n = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isNonNullExpression(node)) n++;
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  return n;
}

/** Non-null assertions per top-level folder of src/ (`.` for the files directly in it). */
function countsPerFolder(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of sources('src')) {
    const parts = relative(join(REPO_ROOT, 'src'), file).split(sep);
    const folder = parts.length > 1 ? (parts[0] ?? '.') : '.';
    counts.set(folder, (counts.get(folder) ?? 0) + nonNullAssertions(file, readFileSync(file, 'utf8')));
  }
  return counts;
}

describe('typing discipline', () => {
  test('the detectors find what they look for', () => {
    assert.deepEqual(doubleCasts('a.ts', 'const a = 1;\nconst b = a as  unknown\n  as string;'), ['a.ts:2']);
    assert.deepEqual(doubleCasts('a.ts', 'const unknownAs = x as unknownThing;'), []);
    assert.deepEqual(
      errorCasts(
        'a.ts',
        'try {} catch (e) {\n  f((e as Error).message, (e as NodeJS.ErrnoException | null)?.code, <Error>e);\n}\nconst x = y as FaasloadError;',
      ),
      ['a.ts:2', 'a.ts:2', 'a.ts:2'],
    );
    assert.equal(
      nonNullAssertions('a.ts', 'const a = xs[0]!; const b = m.get(k)!.v; if (!a || a !== b) f();'),
      2,
    );
  });

  test('no `as unknown as` in src/ or scripts/', () => {
    const found = [...sources('src'), ...sources('scripts')].flatMap((f) =>
      doubleCasts(relative(REPO_ROOT, f), readFileSync(f, 'utf8')),
    );
    assert.deepEqual(
      found,
      [],
      `use a type guard, a correct type or a typed wrapper instead:\n${found.join('\n')}`,
    );
  });

  test('no `as Error` in src/ or scripts/ (messageOf and errnoCodeOf read a caught value)', () => {
    const over = [...sources('src'), ...sources('scripts')].flatMap((f) =>
      errorCasts(relative(REPO_ROOT, f).split(sep).join('/'), readFileSync(f, 'utf8')),
    );
    assert.deepEqual(
      over,
      [],
      `use messageOf(e) or errnoCodeOf(e) from src/util/message.ts instead:\n${over.join('\n')}`,
    );
  });

  test('non-null assertions per folder of src/ stay at or below test/non-null-assertions.json', () => {
    const baseline: Record<string, number> = JSON.parse(
      readFileSync(join(REPO_ROOT, 'test', 'non-null-assertions.json'), 'utf8'),
    );
    const over: string[] = [];
    for (const [folder, n] of countsPerFolder()) {
      const allowed = baseline[folder] ?? 0;
      if (n > allowed) over.push(`src/${folder}: ${n} non-null assertions, at most ${allowed}`);
    }
    assert.deepEqual(over, [], 'replace the new `!` with a typed lookup or a check (see the comment above)');
  });

  test('the folders Biome holds at no non-null assertion have none', () => {
    const biome = JSON.parse(readFileSync(join(REPO_ROOT, 'biome.json'), 'utf8')) as {
      overrides?: { includes?: string[]; linter?: { rules?: { style?: { noNonNullAssertion?: string } } } }[];
    };
    const strict = (biome.overrides ?? [])
      .filter((o) => o.linter?.rules?.style?.noNonNullAssertion === 'error')
      .flatMap((o) => o.includes ?? [])
      .map((glob) => glob.replace(/^src\//, '').replace(/\/\*\*$/, ''));
    const counts = countsPerFolder();
    for (const folder of strict) assert.equal(counts.get(folder) ?? 0, 0, `src/${folder}`);
  });
});
