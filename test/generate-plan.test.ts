/**
 * Generation plans: the schema-driven check (every unknown key at any depth with its file:line
 * and the nearest valid key, types and ranges, all problems at once), the published schema,
 * tenants files checked the same way, typed parameter columns, and inputs drawn without
 * replacement, exactly.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FaasloadError } from '../src/errors.js';
import { executions } from '../src/generate/executions.js';
import { generatorEntry, parseGeneratePlan, readGeneratePlan } from '../src/generate/plan.js';
import { planSchemaJson } from '../src/generate/plan-schema.js';
import { executionsColumns } from '../src/generate/table.js';
import { parseTenants } from '../src/platforms/openwhisk/tenants.js';
import { TENANTS_SCHEMA } from '../src/platforms/openwhisk/tenants-schema.js';
import { editDistance, nearestKey } from '../src/util/schema-check.js';
import { REPO_ROOT } from './helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'faasload-generate-plan-'));
const WORDCOUNT = join(REPO_ROOT, 'docs', 'generate-example', 'functions', 'wordcount');

/** The E_USAGE message of reading `text` as a plan file. */
async function planError(text: string): Promise<string> {
  const file = join(dir, `p${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  try {
    await readGeneratePlan(file);
  } catch (e) {
    assert.ok(e instanceof FaasloadError, String(e));
    assert.equal(e.code, 'E_USAGE');
    return e.message.replaceAll(file, 'plan.yaml');
  }
  assert.fail('the plan was accepted');
}

describe('the plan schema', () => {
  test('a misspelled key at any depth is an error naming its file:line, its path and the nearest valid key', async () => {
    // Each of these was silently dropped before: a bulk run without parameter variation, or
    // with the default input sizes.
    assert.match(
      await planError('functions:\n  - name: hash\n    runs: 2\n    param:\n      rounds: 3\n'),
      /^plan\.yaml:4: functions\[0\]\.param: unknown key 'param' \(did you mean 'params'\?/,
    );
    assert.match(
      await planError(
        'functions:\n  - name: hash\n    runs: 2\n    inputs:\n      count: 3\n      sizes: 100\n',
      ),
      /^plan\.yaml:6: functions\[0\]\.inputs\.sizes: unknown key 'sizes' \(did you mean 'size'\?/,
    );
    assert.match(
      await planError(
        'functions:\n  - name: hash\n    runs: 2\n    params:\n      rounds: { rang_int: [1, 2] }\n',
      ),
      /^plan\.yaml:5: functions\[0\]\.params\.rounds\.rang_int: unknown key 'rang_int' \(did you mean 'range_int'\?/,
    );
    assert.match(
      await planError('sed: 4\nfunctions:\n  - { name: hash, runs: 1 }\n'),
      /^plan\.yaml:1: sed: unknown key 'sed' \(did you mean 'seed'\?/,
    );
  });

  test('types and ranges are checked, every problem at once, each on its line', async () => {
    const m = await planError(
      [
        'seed: -1',
        'concurrency: 0',
        'tenants: shard',
        'functions:',
        '  - name: hash',
        '    runs: 1.5',
        '    inputs: { count: 0, distinct: yes }',
        '  - name: json',
        '    runs: 2',
        '    params: { min_amount: { range_float: [5, 1] } }',
        '',
      ].join('\n'),
    );
    const lines = m
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
    assert.deepEqual(lines, [
      'plan.yaml:1: seed: -1 is below the minimum 0',
      'plan.yaml:2: concurrency: 0 is below the minimum 1',
      `plan.yaml:3: tenants: "shard" is not one of "per-function", "shared" (did you mean 'shared'?)`,
      'plan.yaml:6: functions[0].runs: an integer is needed, not 1.5',
      'plan.yaml:7: functions[0].inputs.count: 0 is below the minimum 1',
      'plan.yaml:7: functions[0].inputs.distinct: true or false is needed, not "yes"',
    ]);
    // Past the schema: the catalog's own parameters and ranges, and range order.
    assert.match(
      await planError('functions:\n  - name: hash\n    runs: 1\n    params: { round: 3 }\n'),
      /^plan\.yaml:4: functions\[0\]\.params\.round: hash has no parameter 'round' \(did you mean 'rounds'\?/,
    );
    assert.match(
      await planError(
        'functions:\n  - name: hash\n    runs: 1\n    params: { rounds: { range_int: [5, 1] } }\n',
      ),
      /functions\[0\]\.params\.rounds: \[min, max\] with min <= max is needed/,
    );
    assert.match(
      await planError('functions:\n  - name: hsah\n    runs: 1\n'),
      /^plan\.yaml:2: functions\[0\]\.name: no function 'hsah' in the catalog \(did you mean 'hash'\?/,
    );
    assert.match(
      await planError('functions:\n  - name: mine\n    path: ./nowhere\n    runs: 1\n'),
      /^plan\.yaml:3: functions\[0\]\.path: .*nowhere is not a folder/,
    );
  });

  test('docs/generate-plan.schema.json and docs/openwhisk-tenants.schema.json are the schemas the code checks with (npm run docs:generate)', () => {
    assert.equal(
      readFileSync(join(REPO_ROOT, 'docs', 'generate-plan.schema.json'), 'utf8'),
      planSchemaJson(),
    );
    assert.deepEqual(
      JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openwhisk-tenants.schema.json'), 'utf8')),
      TENANTS_SCHEMA,
    );
  });

  test('edit distance and the nearest key', () => {
    assert.equal(editDistance('param', 'params'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(nearestKey('consurrency', ['seed', 'concurrency', 'rate']), 'concurrency');
  });

  test('a tenants file: an unknown key is named with its line and the nearest key, and the key never shown', () => {
    assert.throws(
      () => parseTenants('tenants:\n  - name: a\n    auth: "u:SecretKey"\n    owner: [x]\n', 't.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof FaasloadError && e.code === 'E_USAGE');
        assert.match(
          e.message,
          /t\.yaml:4: tenants\[0\]\.owner: unknown key 'owner' \(did you mean 'owners'\?/,
        );
        assert.ok(!e.message.includes('SecretKey'));
        return true;
      },
    );
    assert.throws(
      () => parseTenants('apihots: http://x\ntenants:\n  - { name: a, auth: "u:k" }\n', 't.yaml'),
      /t\.yaml:1: apihots: unknown key 'apihots' \(did you mean 'apihost'\?/,
    );
  });
});

describe('the worked example of docs/generate.md', () => {
  test('its plan is valid: 6 functions x 100 distinct inputs x 2 settings, every (input, setting) once', async () => {
    const { plan } = await readGeneratePlan(join(REPO_ROOT, 'docs', 'generate-example', 'plan.yaml'));
    const all = [...executions(plan)];
    assert.equal(all.length, 1200);
    for (const [fn, f] of plan.functions.entries()) {
      const mine = all.filter((e) => e.fn === fn);
      assert.equal(new Set(mine.map((e) => e.inputIndex)).size, 100, f.name);
      assert.equal(new Set(mine.map((e) => `${e.inputIndex} ${e.setting}`)).size, 200, f.name);
    }
    assert.equal(plan.functions.at(-1)!.source.kind, 'folder');
  });
});

describe('typed parameters and inputs', () => {
  test('parameters become typed columns: catalog types, user types from their values', () => {
    const plan = parseGeneratePlan(
      {
        functions: [
          { name: 'hash', runs: 2 },
          {
            name: 'wc',
            path: WORDCOUNT,
            runs: 2,
            inputs: { generator: 'text' },
            params: { lower: { ensemble: [true, false] }, top: { range_int: [1, 9] }, ratio: 0.5 },
          },
        ],
      },
      'p.yaml',
    );
    const params = executionsColumns(plan).filter((c) => c.name.startsWith('param_'));
    assert.deepEqual(
      params.map((c) => [c.name, c.kind]),
      [
        ['param_algorithm', 'utf8'],
        ['param_rounds', 'int64'],
        ['param_lower', 'bool'],
        ['param_top', 'int64'],
        ['param_ratio', 'float64'],
      ],
    );
    assert.throws(
      () =>
        parseGeneratePlan({
          functions: [{ name: 'u', path: WORDCOUNT, runs: 1, params: { x: { ensemble: [1, 'a'] } } }],
        }),
      /functions\[0\]\.params\.x: values of one parameter must all be/,
    );
    assert.throws(
      () =>
        parseGeneratePlan({
          functions: [
            { name: 'hash', runs: 1 },
            { name: 'u', path: WORDCOUNT, runs: 1, params: { rounds: 'many' } },
          ],
        }),
      /param_rounds is utf8 here but int64 in hash/,
    );
  });

  test('distinct inputs are drawn without replacement: exactly one use each per pass, the same for the same seed', () => {
    const plan = (runs: number, seed = 5) =>
      parseGeneratePlan({
        seed,
        functions: [
          { name: 'hash', runs, inputs: { count: 250, size: { range_int: [1, 4096] }, distinct: true } },
        ],
      });
    const one = [...executions(plan(250))];
    assert.equal(
      new Set(one.map((e) => e.input.id)).size,
      250,
      'every one of the 250 executions has its own input',
    );
    assert.deepEqual(
      [...new Set(one.map((e) => e.inputIndex))].sort((a, b) => a - b),
      Array.from({ length: 250 }, (_, i) => i),
    );
    assert.notDeepEqual(
      one.map((e) => e.inputIndex),
      Array.from({ length: 250 }, (_, i) => i),
      'a seeded permutation, not the identity',
    );
    // Two passes: each input exactly twice, the first pass before the second.
    const two = [...executions(plan(500))];
    const uses = new Map<string, number>();
    for (const e of two) uses.set(e.input.id, (uses.get(e.input.id) ?? 0) + 1);
    assert.equal(uses.size, 250);
    assert.deepEqual(new Set(uses.values()), new Set([2]));
    assert.equal(new Set(two.slice(0, 250).map((e) => e.input.id)).size, 250);
    assert.deepEqual([...executions(plan(250))], one, 'the same seed, the same draws');
    assert.notDeepEqual(
      [...executions(plan(250, 6))].map((e) => e.inputIndex),
      one.map((e) => e.inputIndex),
    );
  });

  test("a user function's generator is the catalog function that makes inputs of its kind", () => {
    for (const kind of ['none', 'image', 'text', 'records', 'bytes', 'matrices'] as const) {
      assert.equal(generatorEntry(kind).input.kind, kind, kind);
    }
  });

  test('settings are crossed with the inputs: every (input, setting) pair exactly once', () => {
    const plan = parseGeneratePlan({
      functions: [
        {
          name: 'hash',
          runs: 200,
          inputs: { count: 100, size: { range_int: [1, 4096] }, distinct: true },
          params: { rounds: 2 },
          settings: [{ algorithm: 'sha256' }, { algorithm: 'md5' }],
        },
      ],
    });
    const all = [...executions(plan)];
    const pairs = new Set(all.map((e) => `${e.input.id} ${e.params.algorithm}`));
    assert.equal(pairs.size, 200);
    assert.equal(new Set(all.map((e) => e.input.id)).size, 100);
    assert.ok(
      all.every((e) => e.params.rounds === 2 && e.setting === (e.params.algorithm === 'md5' ? 1 : 0)),
    );
  });

  test('user function folders: package.json main names the entry file, which must define main', () => {
    const bad = join(dir, 'nomain');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'package.json'), '{"main": "fn.js"}');
    writeFileSync(join(bad, 'fn.js'), 'exports.handler = () => ({})');
    assert.throws(
      () => parseGeneratePlan({ functions: [{ name: 'u', path: bad, runs: 1 }] }, 'p.yaml'),
      /p\.yaml: functions\[0\]\.path: .*fn\.js defines no main/,
    );
    const plan = parseGeneratePlan({ functions: [{ name: 'u', path: WORDCOUNT, runs: 1 }] });
    const source = plan.functions[0]!.source;
    assert.equal(source.kind, 'folder');
    assert.ok(source.kind === 'folder' && source.entryFile.endsWith('wordcount.js'));
  });
});
