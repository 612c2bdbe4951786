import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readAzure2021, readTrace } from '../src/trace/index.js';
import { AZURE2021_FILE } from './helpers/paths.js';
import { naiveCsv, re, rejectsWith, removeTmpTraces, timesOf, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

const HEADER = 'app,func,end_timestamp,duration';

async function csvFile(text: string): Promise<string> {
  return join(await tmpTrace({ 'trace.csv': text }), 'trace.csv');
}

describe('readAzure2021 on the real 199-invocation sample', () => {
  const rows = naiveCsv(readFileSync(AZURE2021_FILE, 'utf8')).slice(1);

  it('reads every invocation, one function per app/func pair, in first-appearance order', async () => {
    const trace = await readTrace(AZURE2021_FILE);
    assert.equal(trace.format, 'azure2021');
    assert.deepEqual(trace.files, [AZURE2021_FILE]);
    let total = 0;
    for (let fn = 0; fn < trace.functions.length; fn++) total += timesOf(trace, fn).atUs.length;
    assert.equal(total, 199);
    const firstSeen = [...new Set(rows.map((r) => `${r[0]}/${r[1]}`))];
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      firstSeen,
    );
    assert.equal(trace.functions[0]!.app, rows[0]![0]);
  });

  it('gives each function ascending arrivals with a duration each', async () => {
    const trace = await readTrace(AZURE2021_FILE);
    for (let fn = 0; fn < trace.functions.length; fn++) {
      const { atUs, durationMs } = timesOf(trace, fn);
      assert.equal(durationMs?.length, atUs.length);
      for (let i = 1; i < atUs.length; i++)
        assert.ok(atUs[i - 1]! <= atUs[i]!, `function ${fn} not ascending at ${i}`);
    }
  });

  it('puts each arrival at end_timestamp - duration', async () => {
    const trace = await readTrace(AZURE2021_FILE);
    const row = rows[2]!;
    const fn = trace.functions.findIndex((f) => f.id === `${row[0]}/${row[1]}`);
    const expectedUs = (Number(row[2]) - Number(row[3])) * 1e6;
    const { atUs, durationMs } = timesOf(trace, fn);
    const i = atUs.findIndex((t) => Math.abs(t - expectedUs) <= 1);
    assert.ok(i >= 0, `no arrival near ${expectedUs} us in ${atUs}`);
    assert.equal(durationMs![i], Number(row[3]) * 1000);
  });

  it('spans the trace up to the latest end time', async () => {
    const trace = await readTrace(AZURE2021_FILE);
    const latestEndS = Math.max(...rows.map((r) => Number(r[2])));
    assert.ok(Math.abs(trace.spanUs - latestEndS * 1e6) <= 1);
  });
});

describe('readAzure2021 on small files', () => {
  it('sorts rows that are out of order, stably, duplicates kept', async () => {
    const file = await csvFile(`${HEADER}\na,f,10,1\na,f,5,1\na,f,10,1\na,f,7.5,0.5`);
    const trace = await readAzure2021(file);
    const { atUs } = timesOf(trace, 0);
    assert.deepEqual([...atUs], [4e6, 7e6, 9e6, 9e6]);
    assert.equal(trace.spanUs, 10e6);
  });

  it('keeps durations with their arrivals when sorting', async () => {
    const file = await csvFile(`${HEADER}\na,f,10,2\na,f,5,1\n`);
    const { atUs, durationMs } = timesOf(await readAzure2021(file), 0);
    assert.deepEqual([...atUs], [4e6, 8e6]);
    assert.deepEqual([...durationMs!], [1000, 2000]);
  });

  it('tells apart functions with the same func id in different apps', async () => {
    const file = await csvFile(`${HEADER}\na1,f,1,0\na2,f,2,0\na1,f,3,0\n`);
    const trace = await readAzure2021(file);
    assert.deepEqual(
      trace.functions.map((f) => [f.id, f.app]),
      [
        ['a1/f', 'a1'],
        ['a2/f', 'a2'],
      ],
    );
    assert.equal(timesOf(trace, 0).atUs.length, 2);
  });

  it('accepts CRLF line ends and columns in another order', async () => {
    const file = await csvFile('duration,end_timestamp,func,app\r\n1,3,f,a\r\n');
    const trace = await readAzure2021(file);
    assert.equal(trace.functions[0]!.id, 'a/f');
    assert.deepEqual([...timesOf(trace, 0).atUs], [2e6]);
  });

  it('clamps a start a rounding error below 0 to 0', async () => {
    const file = await csvFile(`${HEADER}\na,f,0.0795,0.0798\n`);
    assert.deepEqual([...timesOf(await readAzure2021(file), 0).atUs], [0]);
  });

  it('rejects a clearly negative start with file:line', async () => {
    const file = await csvFile(`${HEADER}\na,f,1,0.5\na,f,1,3\n`);
    await rejectsWith(
      readAzure2021(file),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:3: .*starts before the trace`),
    );
  });

  it('rejects a negative duration with file:line', async () => {
    const file = await csvFile(`${HEADER}\na,f,1,-0.5\n`);
    await rejectsWith(readAzure2021(file), 'E_TRACE_ROW', new RegExp(`^${re(file)}:2: duration is negative`));
  });

  it('rejects a non-numeric cell with file:line', async () => {
    const file = await csvFile(`${HEADER}\na,f,1,0.5\na,f,soon,0.5\n`);
    await rejectsWith(
      readAzure2021(file),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:3: end_timestamp is not a number: 'soon'`),
    );
  });

  it('rejects an empty cell with file:line', async () => {
    const file = await csvFile(`${HEADER}\na,f,1,\n`);
    await rejectsWith(
      readAzure2021(file),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:2: duration is not a number`),
    );
  });

  it('rejects a row with the wrong number of cells with file:line', async () => {
    const file = await csvFile(`${HEADER}\na,f,1,0.5,extra\n`);
    await rejectsWith(
      readAzure2021(file),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:2: expected 4 cells as in the header, found 5`),
    );
  });

  it('rejects a header without a required column, naming file and column', async () => {
    const file = await csvFile('app,func,end,duration\na,f,1,0.5\n');
    await rejectsWith(
      readAzure2021(file),
      'E_TRACE_FORMAT',
      new RegExp(`^${re(file)}: the header has no column 'end_timestamp'`),
    );
  });

  it('rejects an empty file', async () => {
    const file = await csvFile('');
    await rejectsWith(readAzure2021(file), 'E_TRACE_FORMAT', /empty file/);
  });

  it('reads a header-only file as a trace of no functions', async () => {
    const trace = await readAzure2021(await csvFile(`${HEADER}\n`));
    assert.equal(trace.functions.length, 0);
    assert.equal(trace.spanUs, 0);
    assert.throws(() => trace.arrivals(0), RangeError);
  });
});
