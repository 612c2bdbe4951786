import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type CsvTraceColumns,
  dateTimeMicros,
  decimalMicros,
  detectFormat,
  readCsvTrace,
  readTrace,
  type Trace,
} from '../src/trace/index.js';
import { re, rejectsWith, removeTmpTraces, timesOf, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

async function csvFile(text: string, name = 'invocations.csv'): Promise<string> {
  return join(await tmpTrace({ [name]: text }), name);
}

async function read(text: string, csv?: CsvTraceColumns, name?: string): Promise<Trace> {
  return readCsvTrace(await csvFile(text, name), csv === undefined ? {} : { csv });
}

describe('readCsvTrace with the defaults (a time column in seconds)', () => {
  it('makes one function named after the file, sorted, time 0 at the earliest row', async () => {
    const file = await csvFile('time\n10.5\n3\n7\n3\n');
    const trace = await readCsvTrace(file);
    assert.equal(trace.format, 'csv');
    assert.deepEqual(trace.files, [file]);
    assert.deepEqual(trace.functions, [{ id: 'invocations' }]);
    const source = timesOf(trace, 0);
    assert.deepEqual([...source.atUs], [0, 0, 4e6, 7.5e6]);
    assert.equal(source.durationMs, undefined);
    assert.equal(source.memoryMb, undefined);
    assert.equal(trace.spanUs, 7.5e6 + 1, 'just past the last arrival');
    assert.deepEqual(trace.warnings, []);
  });

  it('ignores columns it was not asked to read', async () => {
    const trace = await read('id,time,note\na,2,x\nb,1,y\n');
    assert.deepEqual([...timesOf(trace, 0).atUs], [0, 1e6]);
  });

  it('keeps the microsecond of large epoch seconds with 7 fractional digits', async () => {
    const trace = await read('time\n1672628645.1234567\n1672628645.0000001\n1672628646\n');
    assert.deepEqual([...timesOf(trace, 0).atUs], [0, 123_457, 1_000_000]);
  });
});

describe('readCsvTrace with chosen columns', () => {
  const TEXT = [
    'when,fn,dur,mem',
    '5000,b,120,256',
    '1000,a,100,128',
    '3000,a,300,',
    '2000,b,,512',
    '1000,a,200,128',
  ].join('\r\n');
  const COLUMNS: CsvTraceColumns = {
    timeColumn: 'when',
    timeUnit: 'ms',
    functionColumn: 'fn',
    durationColumn: 'dur',
    memoryColumn: 'mem',
  };

  it('groups rows by function in order of first appearance, CRLF line ends', async () => {
    const trace = await read(TEXT, COLUMNS);
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['b', 'a'],
    );
    assert.deepEqual([...timesOf(trace, 0).atUs], [1e6, 4e6]);
    assert.deepEqual([...timesOf(trace, 1).atUs], [0, 0, 2e6]);
  });

  it('keeps durations and memory with their rows through the sort, empty cells as NaN', async () => {
    const trace = await read(TEXT, COLUMNS);
    const a = timesOf(trace, 1);
    assert.deepEqual([...a.durationMs!], [100, 200, 300]);
    assert.deepEqual([...a.memoryMb!], [128, 128, Number.NaN]);
    const b = timesOf(trace, 0);
    assert.deepEqual([...b.durationMs!], [Number.NaN, 120]);
    assert.deepEqual([...b.memoryMb!], [512, 256]);
    assert.ok(trace.warnings?.some((w) => /1 rows have an empty dur cell/.test(w)));
    assert.ok(trace.warnings?.some((w) => /1 rows have an empty mem cell/.test(w)));
  });

  it('gives each function the distribution of its known durations and memory', async () => {
    const trace = await read(TEXT, COLUMNS);
    const a = trace.functions[1]!;
    assert.equal(a.durationMs?.average, 200);
    assert.deepEqual(a.durationMs?.points, [
      [0, 100],
      [1, 102],
      [25, 150],
      [50, 200],
      [75, 250],
      [99, 298],
      [100, 300],
    ]);
    assert.equal(a.memoryMb?.points.at(-1)?.[1], 128);
    assert.deepEqual(trace.functions[0]!.memoryMb?.points.at(0), [0, 256]);
  });

  it('spans to the latest end when a duration runs past the last arrival', async () => {
    const trace = await read('time,d\n0,5000\n1,10\n', { durationColumn: 'd' });
    assert.equal(trace.spanUs, 5e6);
  });

  it('reads durations in seconds when asked', async () => {
    const trace = await read('time,d\n0,1.5\n', { durationColumn: 'd', durationUnit: 's' });
    assert.deepEqual([...timesOf(trace, 0).durationMs!], [1500]);
  });

  it('selects columns by 0-based index', async () => {
    const trace = await read('fn,ts\nf,9\ng,7\n', { timeColumn: '1', functionColumn: '0' });
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['f', 'g'],
    );
    assert.deepEqual([...timesOf(trace, 0).atUs], [2e6]);
    assert.deepEqual([...timesOf(trace, 1).atUs], [0]);
  });

  it('takes a header name made of digits before an index', async () => {
    const trace = await read('fn,2,ts\nf,100,9\ng,200,7\n', { timeColumn: '2', functionColumn: '0' });
    assert.deepEqual([...timesOf(trace, 0).atUs], [0], "'2' is the column named 2, not column 2 (ts)");
    assert.deepEqual([...timesOf(trace, 1).atUs], [100e6]);
  });

  it('warns when an index picks a column whose header cell reads as a time', async () => {
    const trace = await read('5,6\n7,8\n', { timeColumn: '0' });
    assert.deepEqual([...timesOf(trace, 0).atUs], [0]);
    assert.ok(
      trace.warnings?.some((w) => /:1: the header cell of the time column, '5', reads as a time/.test(w)),
    );
  });

  it('reads microseconds', async () => {
    const trace = await read('t\n1000001\n1\n2.6\n', { timeColumn: 't', timeUnit: 'us' });
    assert.deepEqual([...timesOf(trace, 0).atUs], [0, 2, 1_000_000]);
  });
});

describe('readCsvTrace with date-times', () => {
  it('keeps microsecond precision of 7-digit fractions, across midnight', async () => {
    const text = [
      'time',
      '2023-01-02 03:04:05.1234567',
      '2023-01-02 03:04:05.000001',
      '2023-01-01 23:59:59.9999996',
      '2023-01-02 03:04:05',
    ].join('\r\n');
    const trace = await read(text, { timeUnit: 'datetime' });
    // 23:59:59.9999996 rounds up to midnight, time 0; 03:04:05 is 11045 s later.
    const base = (3 * 3600 + 4 * 60 + 5) * 1e6;
    assert.deepEqual([...timesOf(trace, 0).atUs], [0, base, base + 1, base + 123_457]);
  });

  it('reads ISO 8601 with T, Z and offsets as UTC instants', async () => {
    const text = [
      'time',
      '2023-01-02T03:00:00Z',
      '2023-01-02T04:00:00.5+01:00',
      '2023-01-02T02:30:00-00:30',
    ].join('\n');
    const trace = await read(text, { timeUnit: 'datetime' });
    assert.deepEqual([...timesOf(trace, 0).atUs], [0, 0, 0.5e6]);
  });

  it('rejects a date-time that does not parse, naming file, line and column', async () => {
    const file = await csvFile('at\n2023-01-02 03:04:05\n2023-02-30 00:00:00\n');
    await rejectsWith(
      readCsvTrace(file, { csv: { timeColumn: 'at', timeUnit: 'datetime' } }),
      'E_TRACE_ROW',
      new RegExp(`^${re(file)}:3: at is not a date-time \\(YYYY-MM-DD.*\\): '2023-02-30 00:00:00'$`),
    );
  });

  it('hints at --time-unit datetime when a seconds column holds date-times', async () => {
    const file = await csvFile('time\n2023-01-02 03:04:05\n');
    await rejectsWith(
      readCsvTrace(file),
      'E_TRACE_ROW',
      new RegExp(
        `^${re(file)}:2: time is not a number of s: '2023-01-02 03:04:05' \\(it is a date-time: pass --time-unit datetime\\)$`,
      ),
    );
  });
});

describe('readCsvTrace option errors', () => {
  it('names the file, the column and the flag of an unknown column, listing the header', async () => {
    const file = await csvFile('ts,fn\n1,f\n');
    await rejectsWith(
      readCsvTrace(file),
      'E_USAGE',
      new RegExp(
        `^${re(file)}: no column 'time' for the time \\(--time-column\\): the header has 'ts', 'fn'$`,
      ),
    );
    await rejectsWith(
      readCsvTrace(file, { csv: { timeColumn: 'ts', memoryColumn: 'mem' } }),
      'E_USAGE',
      /: no column 'mem' for the memory \(--memory-column\)/,
    );
  });

  it('rejects an index past the last column', async () => {
    const file = await csvFile('ts,fn\n1,f\n');
    await rejectsWith(
      readCsvTrace(file, { csv: { timeColumn: '0', functionColumn: '2' } }),
      'E_USAGE',
      new RegExp(
        `^${re(file)}: no column at index 2 for the function \\(--function-column\\): the header has 2 columns`,
      ),
    );
  });

  it('rejects an unknown time or duration unit', async () => {
    const file = await csvFile('time\n1\n');
    await rejectsWith(
      readCsvTrace(file, { csv: { timeUnit: 'h' as 's' } }),
      'E_USAGE',
      /^unknown time unit 'h' for .*: expected one of s, ms, us, datetime$/,
    );
    await rejectsWith(
      readCsvTrace(file, { csv: { durationUnit: 'us' as 's' } }),
      'E_USAGE',
      /^unknown duration unit 'us'/,
    );
  });
});

describe('readCsvTrace on malformed files', () => {
  const COLUMNS: CsvTraceColumns = { functionColumn: 'fn', durationColumn: 'd', memoryColumn: 'm' };
  const cases: [name: string, text: string, code: string, message: RegExp][] = [
    [
      'a time that is not a number',
      'time,fn,d,m\n1,f,1,1\nsoon,f,1,1\n',
      'E_TRACE_ROW',
      /:3: time is not a number of s: 'soon'$/,
    ],
    ['an empty time', 'time,fn,d,m\n,f,1,1\n', 'E_TRACE_ROW', /:2: time is not a number of s: ''$/],
    ['an empty function', 'time,fn,d,m\n1,,1,1\n', 'E_TRACE_ROW', /:2: fn is empty$/],
    ['a negative duration', 'time,fn,d,m\n1,f,-1,1\n', 'E_TRACE_ROW', /:2: d is negative: -1$/],
    [
      'memory that is not a number',
      'time,fn,d,m\n1,f,1,lots\n',
      'E_TRACE_ROW',
      /:2: m is not a number: 'lots'$/,
    ],
    [
      'a missing cell',
      'time,fn,d,m\r\n1,f,1,1\r\n2,f,1\r\n',
      'E_TRACE_ROW',
      /:3: expected 4 cells as in the header, found 3$/,
    ],
    ['an unclosed quote', 'time,fn,d,m\n1,"f,1,1\n', 'E_TRACE_ROW', /:\d+: not valid CSV/],
    ['a time too far out', 'time,fn,d,m\n99999999999999,f,1,1\n', 'E_TRACE_ROW', /:2: time is out of range/],
    ['an empty file', '', 'E_TRACE_FORMAT', /: empty file, expected a header line$/],
  ];
  for (const [name, text, code, message] of cases) {
    it(`rejects ${name}`, async () => {
      const file = await csvFile(text);
      await rejectsWith(
        readCsvTrace(file, { csv: COLUMNS }),
        code,
        new RegExp(`^${re(file)}${message.source}`),
      );
    });
  }

  it('reads a header-only file as a trace of no functions', async () => {
    const trace = await read('time\n');
    assert.equal(trace.functions.length, 0);
    assert.equal(trace.spanUs, 0);
  });
});

describe('plain CSV through readTrace', () => {
  it('is never detected, and is read when asked for, with the column options passed through', async () => {
    const file = await csvFile('when,fn\n2,f\n1,g\n');
    await rejectsWith(detectFormat(file), 'E_TRACE_FORMAT', /pass --format .*\|csv$/);
    const trace = await readTrace(file, { format: 'csv', csv: { timeColumn: 'when', functionColumn: 'fn' } });
    assert.equal(trace.format, 'csv');
    assert.deepEqual(
      trace.functions.map((f) => f.id),
      ['f', 'g'],
    );
    assert.deepEqual([...timesOf(trace, 0).atUs], [1e6]);
  });
});

describe('exact time conversions', () => {
  it('converts decimal texts to whole microseconds without float drift', () => {
    assert.equal(decimalMicros('1.5', 6), 1_500_000);
    assert.equal(decimalMicros('0.1', 6), 100_000);
    assert.equal(decimalMicros('.25', 3), 250);
    assert.equal(decimalMicros('7.', 0), 7);
    assert.equal(decimalMicros('2.5', 0), 3);
    assert.equal(decimalMicros('-2.5', 3), -2500);
    assert.equal(decimalMicros('+0.0000015', 6), 2);
    assert.equal(decimalMicros('1e3', 6), 1e9);
    assert.equal(decimalMicros('9007199254.740991', 6), Number.MAX_SAFE_INTEGER);
    assert.equal(decimalMicros('9007199254.740993', 6), 'out of range');
    for (const bad of ['', '.', '-', '1.2.3', '1,5', '0x10', 'Infinity', 'NaN', ' 1']) {
      assert.equal(decimalMicros(bad, 6), 'malformed', bad);
    }
  });

  it('converts date-times to microseconds since 1970 UTC', () => {
    assert.equal(dateTimeMicros('1970-01-01T00:00:00Z'), 0);
    assert.equal(dateTimeMicros('1970-01-01'), 0);
    assert.equal(dateTimeMicros('1970-01-01 00:01'), 60e6);
    assert.equal(dateTimeMicros('1969-12-31 23:59:59.999999'), -1);
    assert.equal(dateTimeMicros('2000-03-01') as number, Date.UTC(2000, 2, 1) * 1000);
    assert.equal(
      dateTimeMicros('2023-01-02T03:04:05.1234564Z') as number,
      Date.UTC(2023, 0, 2, 3, 4, 5) * 1000 + 123_456,
    );
    assert.equal(
      dateTimeMicros('2023-01-02T03:04:05,5+0200') as number,
      Date.UTC(2023, 0, 2, 1, 4, 5) * 1000 + 500_000,
    );
    assert.equal(dateTimeMicros('2024-02-29'), Date.UTC(2024, 1, 29) * 1000);
    for (const bad of [
      '2023-02-29',
      '2023-13-01',
      '2023-01-01 24:00:00',
      '2023-01-01 10:60',
      '23-01-01',
      '2023-01-01T',
      '2023-01-01 10:00:00+25:00',
    ]) {
      assert.equal(dateTimeMicros(bad), 'malformed', bad);
    }
    assert.equal(dateTimeMicros('9999-12-31'), 'out of range');
  });
});
