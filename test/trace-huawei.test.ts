import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type ArrivalSource,
  detectFormat,
  readHuawei2023,
  readTrace,
  type Trace,
} from '../src/trace/index.js';
import { re, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

/*
 * Small files in the layout of the Huawei 2023 release (sir-lab/data-release): header
 * day,time,<function ids>, time in whole seconds since the start of the whole trace, empty cells
 * for "no data". No real sample is available here: these are made up to exercise the reader.
 */

type Counts = Extract<ArrivalSource, { kind: 'counts' }>;

function counts(trace: Trace, fn: number): Counts {
  const source = trace.arrivals(fn);
  assert.equal(source.kind, 'counts');
  return source;
}

/** Bins and counts of one function as [[bin, count], ...]. */
function pairs(trace: Trace, fn: number): [number, number][] {
  const source = counts(trace, fn);
  assert.ok(source.bins !== undefined, 'sparse counts have bins');
  assert.equal(source.bins.length, source.counts.length);
  return [...source.bins].map((bin, i) => [bin, source.counts[i]!]);
}

async function file(text: string, name = 'day_00.csv'): Promise<string> {
  return join(await tmpTrace({ [name]: text }), name);
}

const MINUTES = ['day,time,0,1,2,3', '0,0,5,,0,', '0,60,,,7,', '0,120,2.0,1,,'].join('\n');

describe('readHuawei2023 on per-minute files', () => {
  it('reads each function column as sparse per-minute counts from the first row', async () => {
    const path = await file(MINUTES);
    const trace = await readHuawei2023(path);
    assert.equal(trace.format, 'huawei2023');
    assert.deepEqual(trace.files, [path]);
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['0', '1', '2', '3'],
    );
    for (let fn = 0; fn < 4; fn++) {
      const source = counts(trace, fn);
      assert.equal(source.startUs, 0);
      assert.equal(source.binUs, 60e6);
    }
    assert.deepEqual(pairs(trace, 0), [
      [0, 5],
      [2, 2],
    ]);
    assert.deepEqual(pairs(trace, 1), [[2, 1]]);
    assert.deepEqual(pairs(trace, 2), [[1, 7]], 'an explicit 0 is no invocation, and not listed');
    assert.deepEqual(pairs(trace, 3), []);
    assert.equal(trace.spanUs, 180e6, 'to the end of the last minute');
  });

  it('counts the empty cells and the functions without any data in the warnings', async () => {
    const trace = await readHuawei2023(await file(MINUTES));
    assert.ok(
      trace.warnings?.some((w) => /^7 of 12 function cells \(58\.3%\) were empty \(no data\)/.test(w)),
      String(trace.warnings),
    );
    assert.ok(
      trace.warnings?.some((w) => /^1 of 4 functions have no data in any row \(e\.g\. 3\)/.test(w)),
      String(trace.warnings),
    );
  });

  it('starts trace time at the first row, not at the start of the release', async () => {
    // Day 25 of Huawei Public: time runs on from the start of day 0.
    const trace = await readHuawei2023(await file('day,time,7\n25,2246280,3\n25,2246340,4\n', 'day_25.csv'));
    assert.deepEqual(pairs(trace, 0), [
      [0, 3],
      [1, 4],
    ]);
    assert.equal(trace.spanUs, 120e6);
  });

  it('leaves missing minutes empty and keeps the per-minute bin', async () => {
    const trace = await readHuawei2023(await file('day,time,f\n0,0,1\n0,60,1\n0,240,3\n'));
    assert.equal(counts(trace, 0).binUs, 60e6);
    assert.deepEqual(pairs(trace, 0), [
      [0, 1],
      [1, 1],
      [4, 3],
    ]);
    assert.equal(trace.spanUs, 300e6);
  });

  it('accepts CRLF line ends, a BOM and columns in another order', async () => {
    const trace = await readHuawei2023(await file('\uFEFFtime,a,day\r\n60,4,0\r\n120,,0\r\n180,6,0\r\n'));
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['a'],
    );
    assert.deepEqual(pairs(trace, 0), [
      [0, 4],
      [2, 6],
    ]);
  });
});

describe('readHuawei2023 on per-second files', () => {
  it('detects 1-second bins from the time column', async () => {
    const text = ['day,time,28,33', '1,86400,816,', '1,86401,960,3', '1,86402,,', '1,86403,1069,1'].join(
      '\n',
    );
    const trace = await readHuawei2023(await file(text, 'day_001.csv'));
    assert.equal(counts(trace, 0).binUs, 1e6);
    assert.deepEqual(pairs(trace, 0), [
      [0, 816],
      [1, 960],
      [3, 1069],
    ]);
    assert.deepEqual(pairs(trace, 1), [
      [1, 3],
      [3, 1],
    ]);
    assert.equal(trace.spanUs, 4e6);
  });

  it('keeps 1-second bins when some seconds are missing', async () => {
    const trace = await readHuawei2023(await file('day,time,f\n0,10,1\n0,12,1\n0,13,1\n'));
    assert.equal(counts(trace, 0).binUs, 1e6);
    assert.deepEqual(pairs(trace, 0), [
      [0, 1],
      [2, 1],
      [3, 1],
    ]);
  });
});

describe('readHuawei2023 on a folder of day files', () => {
  it('reads day_NN.csv files in day order as one trace, functions joined by name', async () => {
    const dir = await tmpTrace({
      'day_2.csv': 'day,time,b,c\n2,172800,1,9\n',
      'day_0.csv': 'day,time,a,b\n0,0,1,2\n0,60,,3\n',
      'day_10.csv': 'day,time,a\n10,864000,5\n',
      'notes.txt': 'not a day file',
    });
    const trace = await readHuawei2023(dir);
    assert.deepEqual(trace.files, [join(dir, 'day_0.csv'), join(dir, 'day_2.csv'), join(dir, 'day_10.csv')]);
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(pairs(trace, 0), [
      [0, 1],
      [14400, 5],
    ]);
    assert.deepEqual(pairs(trace, 1), [
      [0, 2],
      [1, 3],
      [2880, 1],
    ]);
    assert.deepEqual(pairs(trace, 2), [[2880, 9]]);
    assert.equal(trace.spanUs, (864000 + 60) * 1e6);
  });

  it('reads only the days asked for, numbered as the files are, from 0', async () => {
    const dir = await tmpTrace({
      'day_00.csv': 'day,time,a\n0,0,1\n',
      'day_01.csv': 'day,time,a,b\n1,86400,2,3\n1,86460,4,\n',
      'day_02.csv': 'day,time,b\n2,172800,5\n',
      'day_03.csv': 'day,time,a\n3,259200,6\n',
    });
    const trace = await readTrace(dir, { days: [1, 2] });
    assert.deepEqual(trace.files, [join(dir, 'day_01.csv'), join(dir, 'day_02.csv')]);
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['a', 'b'],
    );
    // Trace time 0 is day 1's first row.
    assert.deepEqual(pairs(trace, 0), [
      [0, 2],
      [1, 4],
    ]);
    assert.deepEqual(pairs(trace, 1), [
      [0, 3],
      [1440, 5],
    ]);
    assert.deepEqual((await readTrace(dir, { days: [0] })).files, [join(dir, 'day_00.csv')]);
  });

  it('rejects days that are missing, not consecutive, or asked of a single file', async () => {
    const dir = await tmpTrace({
      'day_00.csv': 'day,time,a\n0,0,1\n',
      'day_01.csv': 'day,time,a\n1,86400,1\n',
    });
    await rejectsWith(
      readTrace(dir, { days: [1, 2, 3] }),
      'E_TRACE_NOT_FOUND',
      new RegExp(`^${re(dir)}: no file for day 2-3 \\(this folder has days 0-1\\)$`),
    );
    await rejectsWith(
      readTrace(dir, { days: [0, 2] }),
      'E_USAGE',
      /days must be consecutive .*: day 0 is followed by day 2$/,
    );
    await rejectsWith(
      readTrace(join(dir, 'day_00.csv'), { days: [0] }),
      'E_USAGE',
      /--day chooses day files in a folder; name the folder/,
    );
  });

  it('rejects a folder without day files', async () => {
    const dir = await tmpTrace({ 'requests.csv': 'day,time,a\n0,0,1\n' });
    await rejectsWith(readHuawei2023(dir), 'E_TRACE_FORMAT', new RegExp(`^${re(dir)}: no day_NN.csv files`));
  });

  it('rejects a later file whose times do not come after the earlier one, naming both', async () => {
    const dir = await tmpTrace({
      'day_00.csv': 'day,time,a\n0,0,1\n0,60,1\n',
      'day_01.csv': 'day,time,a\n1,60,1\n',
    });
    const first = join(dir, 'day_00.csv');
    await rejectsWith(
      readHuawei2023(dir),
      'E_TRACE_ROW',
      new RegExp(`^${re(join(dir, 'day_01.csv'))}:2: time 60 is not after the time 60 of ${re(first)}:3$`),
    );
  });
});

describe('readHuawei2023 with a single row', () => {
  it('takes the bin width from the path and says so', async () => {
    const dir = await tmpTrace({
      'requests_second/day_000.csv': 'day,time,a\n0,0,4\n',
      'requests_minute/day_000.csv': 'day,time,a\n0,0,4\n',
    });
    const second = await readHuawei2023(join(dir, 'requests_second', 'day_000.csv'));
    assert.equal(counts(second, 0).binUs, 1e6);
    assert.equal(second.spanUs, 1e6);
    assert.ok(
      second.warnings?.some((w) => /one row.*assumed 1 s/.test(w)),
      String(second.warnings),
    );
    const minute = await readHuawei2023(join(dir, 'requests_minute', 'day_000.csv'));
    assert.equal(counts(minute, 0).binUs, 60e6);
    assert.ok(
      minute.warnings?.some((w) => /one row.*assumed 60 s/.test(w)),
      String(minute.warnings),
    );
  });

  it('reads a header-only file as functions without invocations', async () => {
    const trace = await readHuawei2023(await file('day,time,a,b\n'));
    assert.equal(trace.functions.length, 2);
    assert.equal(trace.spanUs, 0);
    assert.deepEqual(pairs(trace, 1), []);
    assert.throws(() => trace.arrivals(2), RangeError);
  });
});

describe('readHuawei2023 on malformed files', () => {
  const cases: [name: string, text: string, code: string, message: RegExp][] = [
    [
      'a repeated time',
      'day,time,a\n0,0,1\n0,60,1\n0,60,1\n',
      'E_TRACE_ROW',
      /:4: time 60 is not after the time 60 of line 3$/,
    ],
    [
      'a time going back',
      'day,time,a\n0,60,1\n0,0,1\n',
      'E_TRACE_ROW',
      /:3: time 0 is not after the time 60 of line 2$/,
    ],
    [
      'a fractional time',
      'day,time,a\n0,0,1\n0,0.5,1\n',
      'E_TRACE_ROW',
      /:3: time is not a whole number of seconds: '0\.5'$/,
    ],
    [
      'a time that is not a number',
      'day,time,a\n0,noon,1\n',
      'E_TRACE_ROW',
      /:2: time is not a number: 'noon'$/,
    ],
    [
      'a fractional day',
      'day,time,a\n0.5,0,1\n',
      'E_TRACE_ROW',
      /:2: day is not a whole number of days: '0\.5'$/,
    ],
    [
      'a fractional count',
      'day,time,a,b\n0,0,1,2.5\n',
      'E_TRACE_ROW',
      /:2: count in column function b is not an integer: 2\.5$/,
    ],
    [
      'a negative count',
      'day,time,a\n0,0,1\n0,60,-1\n',
      'E_TRACE_ROW',
      /:3: count in column function a is negative: -1$/,
    ],
    [
      'a count that is not a number',
      'day,time,a\n0,0,many\n',
      'E_TRACE_ROW',
      /:2: function a is not a number: 'many'$/,
    ],
    [
      'a missing cell',
      'day,time,a,b\n0,0,1,2\n0,60,1\n',
      'E_TRACE_ROW',
      /:3: expected 4 cells as in the header, found 3$/,
    ],
    [
      'rows 30 s apart',
      'day,time,a\n0,0,1\n0,60,1\n0,90,1\n',
      'E_TRACE_ROW',
      /:4: this row is 30 s after the previous one: expected rows 1 s apart \(per second\) or whole minutes apart \(per minute\)$/,
    ],
    [
      'a 90 s step among minutes',
      'day,time,a\n0,0,1\n0,60,1\n0,150,1\n0,210,1\n',
      'E_TRACE_ROW',
      /:4: this row is 90 s after the previous one, but rows elsewhere are whole minutes apart/,
    ],
    ['no time column', 'day,when,a\n0,0,1\n', 'E_TRACE_FORMAT', /: the header has no column 'time'$/],
    [
      'a repeated function',
      'day,time,a,b,a\n0,0,1,2,3\n',
      'E_TRACE_FORMAT',
      /: columns 3 and 5 both name function 'a'$/,
    ],
    [
      'a function without a name',
      'day,time,a,\n0,0,1,2\n',
      'E_TRACE_FORMAT',
      /: column 4 has no function name$/,
    ],
    ['an empty file', '', 'E_TRACE_FORMAT', /: empty file, expected a header day,time,<function ids>$/],
  ];
  for (const [name, text, code, message] of cases) {
    it(`rejects ${name} with the file and line`, async () => {
      const path = await file(text);
      await rejectsWith(readHuawei2023(path), code, new RegExp(`^${re(path)}${message.source}`));
    });
  }
});

describe('Huawei 2023 detection', () => {
  it('detects a day file by its day,time header, and a folder of day files', async () => {
    const dir = await tmpTrace({
      'requests_minute/day_00.csv': 'day,time,0,1\n0,0,1,\n',
      'requests_minute/day_01.csv': 'day,time,0,1\n1,86400,,2\n',
      'other.csv': '"day","time",5\r\n0,0,1\r\n',
    });
    assert.equal(await detectFormat(join(dir, 'requests_minute', 'day_00.csv')), 'huawei2023');
    assert.equal(await detectFormat(join(dir, 'other.csv')), 'huawei2023');
    assert.equal(await detectFormat(join(dir, 'requests_minute')), 'huawei2023');
    const trace = await readTrace(join(dir, 'requests_minute'));
    assert.equal(trace.format, 'huawei2023');
    assert.equal(trace.files.length, 2);
  });

  it('does not take a header of day,time alone, or time,day, for Huawei', async () => {
    const dir = await tmpTrace({ 'a.csv': 'day,time\n0,0\n', 'b.csv': 'time,day,a\n0,0,1\n' });
    await rejectsWith(detectFormat(join(dir, 'a.csv')), 'E_TRACE_FORMAT', /cannot tell the trace format/);
    await rejectsWith(detectFormat(join(dir, 'b.csv')), 'E_TRACE_FORMAT', /cannot tell the trace format/);
  });

  it('reads through readTrace with the format forced', async () => {
    const path = await file(MINUTES, 'requests.csv');
    const trace = await readTrace(path, { format: 'huawei2023' });
    assert.equal(trace.functions.length, 4);
  });
});
