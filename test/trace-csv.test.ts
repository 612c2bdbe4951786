import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CsvRow, readCsvRows } from '../src/trace/index.js';
import { re, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

async function rowsOf(file: string): Promise<CsvRow[]> {
  const rows: CsvRow[] = [];
  for await (const row of readCsvRows(file)) rows.push(row);
  return rows;
}

describe('readCsvRows', () => {
  it('yields the header as line 1, then rows with their line numbers', async () => {
    const dir = await tmpTrace({ 'a.csv': 'x,y\n1,2\n3,4\n' });
    assert.deepEqual(await rowsOf(join(dir, 'a.csv')), [
      { line: 1, cells: ['x', 'y'] },
      { line: 2, cells: ['1', '2'] },
      { line: 3, cells: ['3', '4'] },
    ]);
  });

  it('tolerates CRLF, a BOM, blank lines and a missing trailing newline, keeping true line numbers', async () => {
    const dir = await tmpTrace({ 'a.csv': '\uFEFFx,y\r\n1,2\r\n\r\n3,4' });
    assert.deepEqual(await rowsOf(join(dir, 'a.csv')), [
      { line: 1, cells: ['x', 'y'] },
      { line: 2, cells: ['1', '2'] },
      { line: 4, cells: ['3', '4'] },
    ]);
  });

  it('passes rows with a different cell count through, for the caller to check', async () => {
    const dir = await tmpTrace({ 'a.csv': 'x,y\n1\n' });
    assert.deepEqual((await rowsOf(join(dir, 'a.csv')))[1], { line: 2, cells: ['1'] });
  });

  it('yields nothing for an empty file', async () => {
    const dir = await tmpTrace({ 'a.csv': '' });
    assert.deepEqual(await rowsOf(join(dir, 'a.csv')), []);
  });

  it('reports a missing file as E_TRACE_NOT_FOUND naming the path', async () => {
    const file = join(await tmpTrace(), 'nope.csv');
    await rejectsWith(rowsOf(file), 'E_TRACE_NOT_FOUND', new RegExp(`^${re(file)}: no such file`));
  });

  it('reports a directory as E_TRACE_FORMAT', async () => {
    const dir = await tmpTrace();
    await rejectsWith(rowsOf(dir), 'E_TRACE_FORMAT', /is a directory/);
  });

  it('reports a CSV syntax error as a row error with file:line', async () => {
    const dir = await tmpTrace({ 'a.csv': 'x,y\n1,2\n3,4"oops",5\n' });
    const file = join(dir, 'a.csv');
    await rejectsWith(rowsOf(file), 'E_TRACE_ROW', new RegExp(`^${re(file)}:3: not valid CSV`));
  });

  it('stops reading when the caller breaks out early', async () => {
    const dir = await tmpTrace({ 'a.csv': `x\n${'1\n'.repeat(100_000)}` });
    let seen = 0;
    for await (const row of readCsvRows(join(dir, 'a.csv'))) {
      seen++;
      if (row.line === 2) break;
    }
    assert.equal(seen, 2);
  });
});
