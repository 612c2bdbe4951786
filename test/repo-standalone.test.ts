/**
 * The repository stands alone: the real samples and fixtures it bundles are the published bytes
 * (their sha256 as their README states), no source reaches outside the repository, and the README
 * says what the code is (schema version, every folder of src/ in the development map).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { INVOCATIONS_SCHEMA_VERSION } from '../src/dataset/invocations.js';
import { FIXTURES, REPO_ROOT, TRACES } from './helpers/paths.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** `<64 hex>  <path>` lines of a README, as [path, hash]. */
function statedHashes(readme: string): [string, string][] {
  return [...readFileSync(readme, 'utf8').matchAll(/^([0-9a-f]{64}) {2}(\S+)$/gm)].map((m) => [m[2]!, m[1]!]);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('the repository stands alone', () => {
  it('bundles the real trace samples unmodified (sha256 as traces/README.md states)', () => {
    const stated = statedHashes(join(TRACES, 'README.md'));
    assert.deepEqual(stated.map(([p]) => p).sort(), [
      'azure2019-100fn-8h/durations.csv',
      'azure2019-100fn-8h/invocations.csv',
      'azure2019-100fn-8h/memory.csv',
      'azure2021-200/Azure2021_200.csv',
    ]);
    for (const [path, hash] of stated) assert.equal(sha256(join(TRACES, path)), hash, path);
  });

  it('bundles the OpenWhisk API description unmodified, with its source and licence', () => {
    const readme = readFileSync(join(FIXTURES, 'openwhisk', 'README.md'), 'utf8');
    assert.match(readme, /apache\/openwhisk/);
    assert.match(readme, /Apache License 2\.0/);
    const hash = /sha256\s+`([0-9a-f]{64})`/.exec(readme)?.[1];
    assert.equal(sha256(join(FIXTURES, 'openwhisk', 'apiv1swagger.json')), hash);
  });

  it('has no source, test or script that reaches outside the repository', () => {
    // The sibling folder the project was once developed beside, and the variable that pointed at it
    // (spelt in pieces, so that this file does not name them itself).
    const up = '..';
    const sibling = `${up}/shared`;
    const outside = new RegExp(
      `${sibling.replaceAll('.', '\\.')}|'\\.\\.', *'shared'|${['FAASLOAD', 'SHARED'].join('_')}`,
    );
    const offenders = ['src', 'test', 'scripts', 'bin']
      .flatMap((d) => filesUnder(join(REPO_ROOT, d)))
      .filter((f) => /\.(ts|js|sh|mjs)$/.test(f))
      .filter((f) => outside.test(readFileSync(f, 'utf8')))
      .map((f) => relative(REPO_ROOT, f));
    assert.deepEqual(offenders, []);
  });

  it('carries the licence package.json names', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { license: string };
    assert.equal(pkg.license, 'Apache-2.0');
    assert.match(
      readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8'),
      /^\s*Apache License\s+Version 2\.0, January 2004/,
    );
  });

  it('states the current invocations schema version and maps every folder of src/ in the README', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    assert.match(
      readme,
      new RegExp(`\`invocations\\.parquet\` \\(schema version ${INVOCATIONS_SCHEMA_VERSION}\\)`),
    );
    const map = /## Development\n+```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const folders = readdirSync(join(REPO_ROOT, 'src'), { withFileTypes: true }).filter((e) =>
      e.isDirectory(),
    );
    for (const f of folders) assert.match(map, new RegExp(`^src/${f.name}\\s`, 'm'), `src/${f.name}`);
  });
});
