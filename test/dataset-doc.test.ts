import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { datasetsMarkdown } from '../src/dataset/doc.js';
import { INVOCATIONS_COLUMNS } from '../src/dataset/invocations.js';
import { TABLES } from '../src/dataset/tables.js';
import { REPO_ROOT } from './helpers/paths.js';

describe('docs/datasets.md', () => {
  it('is what the table definitions generate (regenerate: npm run docs:datasets)', async () => {
    const onDisk = await readFile(join(REPO_ROOT, 'docs', 'datasets.md'), 'utf8');
    assert.equal(onDisk, datasetsMarkdown());
  });

  it('documents every column of every table with a meaning', () => {
    const md = datasetsMarkdown();
    for (const t of TABLES) {
      assert.match(md, new RegExp(`## ${t.name} \\(schema version ${t.version}\\)`));
      for (const c of t.columns) {
        assert.ok(c.doc.length > 0, `${t.name}.${c.name} has a doc`);
        assert.ok(md.includes(`| \`${c.name}\` |`), `${t.name}.${c.name} is in the page`);
      }
    }
    assert.ok(md.includes('| `scheduled_at` | timestamp[us, UTC] | no | µs since the epoch, UTC | delta |'));
    assert.equal(INVOCATIONS_COLUMNS.find((c) => c.name === 'activation_id')?.encoding, 'plain');
  });
});
