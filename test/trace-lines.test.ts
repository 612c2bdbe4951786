import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { readAzure2019 } from '../src/trace/azure2019.js';
import { forEachCsvRow, scanLines } from '../src/trace/lines.js';
import type { ArrivalSource, Trace } from '../src/trace/types.js';
import { denseCounts } from './helpers/counts.js';
import { AZURE2019_DIR } from './helpers/paths.js';
import { naiveCsv, re, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

async function lines(file: string, highWaterMark?: number): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  await scanLines(file, (b, start, end, line) => out.push([line, b.toString('utf8', start, end)]), {
    ...(highWaterMark === undefined ? {} : { highWaterMark }),
  });
  return out;
}

function counts(trace: Trace, fn: number): Extract<ArrivalSource, { kind: 'counts' }> {
  const source = trace.arrivals(fn);
  assert.equal(source.kind, 'counts');
  return source;
}

/** Every function's counts, dense, for comparing two reads. */
function allCounts(trace: Trace): number[][] {
  return trace.functions.map((_, fn) => {
    const source = counts(trace, fn);
    return [...denseCounts(source, trace.spanUs / source.binUs)];
  });
}

describe('scanLines', () => {
  it('splits LF and CRLF lines, counts blank lines, strips a BOM, needs no trailing newline', async () => {
    const dir = await tmpTrace({ 'a.csv': '\uFEFFh1,h2\r\n1,2\r\n\r\n\n3,4' });
    assert.deepEqual(await lines(join(dir, 'a.csv')), [
      [1, 'h1,h2'],
      [2, '1,2'],
      [5, '3,4'],
    ]);
  });

  it('gives the same lines whatever the read size, with boundaries inside lines, CRLFs and the BOM', async () => {
    const text = '\uFEFFHashOwner,x\r\n12345,678\r\n\n9,10\n,,\r\nlast';
    const dir = await tmpTrace({ 'a.csv': text });
    const expected = await lines(join(dir, 'a.csv'));
    assert.deepEqual(expected, [
      [1, 'HashOwner,x'],
      [2, '12345,678'],
      [4, '9,10'],
      [5, ',,'],
      [6, 'last'],
    ]);
    for (let hwm = 1; hwm <= text.length + 1; hwm++) {
      assert.deepEqual(await lines(join(dir, 'a.csv'), hwm), expected, `highWaterMark ${hwm}`);
    }
  });

  it('matches a naive split on any text and read size (property)', async () => {
    const dir = await tmpTrace();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^[0-9a-z,]{0,12}$/), { maxLength: 8 }),
        fc.array(fc.constantFrom('\n', '\r\n'), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 16 }),
        async (cells, ends, trailing, hwm) => {
          const text = cells.map((c, i) => c + (i < cells.length - 1 || trailing ? ends[i] : '')).join('');
          const file = join(dir, `p${n++}.csv`);
          await writeFile(file, text);
          const expected = text
            .split('\n')
            .map((l, i) => [i + 1, l.replace(/\r$/, '')] as [number, string])
            .filter(([, l]) => l !== '');
          assert.deepEqual(await lines(file, hwm), expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reports a missing file as E_TRACE_NOT_FOUND and a folder as E_TRACE_FORMAT', async () => {
    const dir = await tmpTrace();
    await rejectsWith(lines(join(dir, 'nope.csv')), 'E_TRACE_NOT_FOUND', /nope\.csv: no such file/);
    await rejectsWith(lines(dir), 'E_TRACE_FORMAT', /is a directory/);
  });

  it('rethrows what the handler throws and stops', async () => {
    const dir = await tmpTrace({ 'a.csv': 'a\nb\nc\n' });
    const seen: number[] = [];
    await assert.rejects(
      scanLines(join(dir, 'a.csv'), (_b, _s, _e, line) => {
        seen.push(line);
        if (line === 2) throw new Error('stop here');
      }),
      /stop here/,
    );
    assert.deepEqual(seen, [1, 2]);
  });
});

describe('forEachCsvRow', () => {
  it('splits unquoted rows and hands quoted ones to the CSV parser from the first quote on', async () => {
    const dir = await tmpTrace({ 'a.csv': 'h1,h2\n1,2\n\n"3,x",4\n5,"6"\n7,8' });
    const rows: Array<[number, string[]]> = [];
    await forEachCsvRow(join(dir, 'a.csv'), (r) => rows.push([r.line, r.cells]), { highWaterMark: 3 });
    assert.deepEqual(rows, [
      [1, ['h1', 'h2']],
      [2, ['1', '2']],
      [4, ['3,x', '4']],
      [5, ['5', '6']],
      [6, ['7', '8']],
    ]);
  });

  it('reads CRLF files the same way on both paths', async () => {
    const dir = await tmpTrace({ 'a.csv': '\uFEFFh1,h2\r\n1,2\r\n"3",4\r\n' });
    const rows: Array<[number, string[]]> = [];
    await forEachCsvRow(join(dir, 'a.csv'), (r) => rows.push([r.line, r.cells]));
    assert.deepEqual(rows, [
      [1, ['h1', 'h2']],
      [2, ['1', '2']],
      [3, ['3', '4']],
    ]);
  });
});

const HEADER = 'HashOwner,HashApp,HashFunction,Trigger,1,2,3,4';

describe('readAzure2019 invocations: the byte-level parser', () => {
  it('reads the same counts at any read size: boundaries inside numbers, ids and line breaks', async () => {
    const text = `${HEADER}\r\no,a,f1,http,0,1234567,0,12\r\no,a,f2,timer,7,0,0,0\r\no,b,f3,,0,0,99,100000\r\n`;
    const dir = await tmpTrace({ 'invocations.csv': text });
    const reference = await readAzure2019(dir);
    assert.deepEqual(allCounts(reference), [
      [0, 1234567, 0, 12],
      [7, 0, 0, 0],
      [0, 0, 99, 100000],
    ]);
    assert.deepEqual(
      reference.functions.map((f) => [f.id, f.trigger]),
      [
        ['o/a/f1', 'http'],
        ['o/a/f2', 'timer'],
        ['o/b/f3', undefined],
      ],
    );
    for (let hwm = 1; hwm <= 40; hwm++) {
      const trace = await readAzure2019(dir, { highWaterMark: hwm });
      assert.deepEqual(allCounts(trace), allCounts(reference), `highWaterMark ${hwm}`);
      assert.deepEqual(trace.functions, reference.functions);
    }
  });

  it('keeps only non-empty minutes: bins ascend, counts are > 0', async () => {
    const dir = await tmpTrace({ 'invocations.csv': `${HEADER}\no,a,f,http,0,3,0,1\no,a,g,http,0,0,0,0\n` });
    const trace = await readAzure2019(dir);
    const f = counts(trace, 0);
    assert.deepEqual([...f.bins!], [1, 3]);
    assert.deepEqual([...f.counts], [3, 1]);
    const g = counts(trace, 1);
    assert.equal(g.bins!.length, 0);
    assert.equal(g.counts.length, 0);
  });

  it('accepts the cells the CSV reader accepted: 3.0, spaces around digits, leading zeros, no trailing newline', async () => {
    const dir = await tmpTrace({ 'invocations.csv': `${HEADER}\no, a ,f,http,3.0, 4 ,0000000000012,0` });
    const trace = await readAzure2019(dir);
    assert.deepEqual(allCounts(trace), [[3, 4, 12, 0]]);
    assert.equal(trace.functions[0]!.id, 'o/a/f');
  });

  it('refuses a quote anywhere with file:line, at any read size', async () => {
    const cases = [
      [`${HEADER}\no,a,f,http,1,2,3,4\no,a,g,http,1,"2",3,4\n`, 3, /a quote \(".*\) in the row/],
      [`${HEADER}\no,"a",f,http,1,2,3,4\n`, 2, /a quote \(".*\) in column HashApp/],
      [`${HEADER}\no,a,f,"http",1,2,3,4\n`, 2, /a quote \(".*\) in column Trigger/],
      [`"HashOwner",HashApp,HashFunction,Trigger,1\no,a,f,http,1\n`, 1, /a quote \(".*\) in the header/],
    ] as const;
    for (const [text, line, message] of cases) {
      const dir = await tmpTrace({ 'invocations.csv': text });
      const file = join(dir, 'invocations.csv');
      for (const hwm of [undefined, 2, 5]) {
        await rejectsWith(
          readAzure2019(dir, hwm === undefined ? {} : { highWaterMark: hwm }),
          'E_TRACE_ROW',
          new RegExp(`^${re(file)}:${line}: ${message.source}.*remove the quotes`),
        );
      }
    }
  });

  it('reports a wrong cell count with file:line, too few or too many, before a bad cell in that row', async () => {
    const cases = [
      [`${HEADER}\r\no,a,f,http,1,2,3,4\r\n\r\no,a,g,http,1,2\r\n`, 4, 6],
      [`${HEADER}\no,a,f,http,1,2,3,4,5\n`, 2, 9],
      [`${HEADER}\no,a,f,http,1,2,3,4,\n`, 2, 9],
      [`${HEADER}\no,a,f,http,1,x,3\n`, 2, 7],
      [`${HEADER}\no,a,f,http,1,-1,3,4,5\n`, 2, 9],
    ] as const;
    for (const [text, line, found] of cases) {
      const dir = await tmpTrace({ 'invocations.csv': text });
      const file = join(dir, 'invocations.csv');
      for (const hwm of [undefined, 3]) {
        await rejectsWith(
          readAzure2019(dir, hwm === undefined ? {} : { highWaterMark: hwm }),
          'E_TRACE_ROW',
          new RegExp(`^${re(file)}:${line}: expected 8 cells as in the header, found ${found}$`),
        );
      }
    }
  });

  it('refuses empty, negative, fractional, non-numeric and too large counts, and empty ids, with file:line', async () => {
    const cases = [
      ['o,a,f,http,1,,3,4', /2: 2 is not a number: ''/],
      ['o,a,f,http,1,2,3,', /2: 4 is not a number: ''/],
      ['o,a,f,http,1,-2,3,4', /2: count in column 2 is negative: -2/],
      ['o,a,f,http,1,2.5,3,4', /2: count in column 2 is not an integer: 2\.5/],
      ['o,a,f,http,1,1e3x,3,4', /2: 2 is not a number: '1e3x'/],
      ['o,a,f,http,1,4294967296,3,4', /2: count in column 2 is too large: 4294967296/],
      [',a,f,http,1,2,3,4', /2: HashOwner is empty/],
      ['o,a, ,http,1,2,3,4', /2: HashFunction is empty/],
    ] as const;
    for (const [row, message] of cases) {
      const dir = await tmpTrace({ 'invocations.csv': `${HEADER}\n${row}\n` });
      await rejectsWith(readAzure2019(dir), 'E_TRACE_ROW', new RegExp(`invocations\\.csv:${message.source}`));
    }
  });

  it('accepts 60000000 (one per microsecond of the minute, TRACE_LIMITS) exactly and 1e3 as 1000', async () => {
    const dir = await tmpTrace({ 'invocations.csv': `${HEADER}\no,a,f,http,60000000,1e3,0,0\n` });
    assert.deepEqual(allCounts(await readAzure2019(dir)), [[60_000_000, 1000, 0, 0]]);
    const over = await tmpTrace({ 'invocations.csv': `${HEADER}\no,a,f,http,60000001,1e3,0,0\n` });
    await rejectsWith(
      readAzure2019(over),
      'E_TRACE_ROW',
      /invocations\.csv:2: count in column 1 is 60000001, more than one invocation per microsecond of its 60 s bin/,
    );
  });

  it('reads an empty file or a header alone', async () => {
    const empty = await tmpTrace({ 'invocations.csv': '\n\n' });
    await rejectsWith(readAzure2019(empty), 'E_TRACE_FORMAT', /empty file, expected a header HashOwner/);
    const header = await tmpTrace({ 'invocations.csv': HEADER });
    const trace = await readAzure2019(header);
    assert.equal(trace.functions.length, 0);
    assert.equal(trace.spanUs, 4 * 60e6);
  });
});

describe('readAzure2019 sparse counts on the real In-Vitro sample', () => {
  const rows = naiveCsv(readFileSync(join(AZURE2019_DIR, 'invocations.csv'), 'utf8')).slice(1);

  it('holds exactly the non-empty minutes of a naive parse, function by function', async () => {
    const trace = await readAzure2019(AZURE2019_DIR);
    assert.equal(trace.functions.length, rows.length);
    let pairs = 0;
    rows.forEach((row, fn) => {
      const source = counts(trace, fn);
      const naive = row.slice(4).map(Number);
      const bins = naive.flatMap((c, minute) => (c === 0 ? [] : [minute]));
      assert.deepEqual([...source.bins!], bins, `function ${fn}: bins`);
      assert.deepEqual(
        [...source.counts],
        bins.map((b) => naive[b]),
        `function ${fn}: counts`,
      );
      pairs += bins.length;
    });
    assert.ok(pairs < rows.length * 480, 'sparse: fewer pairs than cells');
  });

  it('reads the same at a tiny read size', async () => {
    const a = await readAzure2019(AZURE2019_DIR);
    const b = await readAzure2019(AZURE2019_DIR, { highWaterMark: 97 });
    assert.deepEqual(allCounts(b), allCounts(a));
    assert.deepEqual(b.functions, a.functions);
  });
});
