import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  detectFormat,
  parseFaasloadLine,
  parseFaasloadTraceName,
  readFaasloadWorkload,
  readTrace,
  type Trace,
} from '../src/trace/index.js';
import { re, rejectsWith, removeTmpTraces, timesOf, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

/*
 * Small files in the layout of FaaSLoad's workload injection traces (docs/injection_traces.md of
 * the FaaSLoad project): one file per user and action named USER-ACTION-MEMORY-DURATION-AVRGIAT,
 * lines `WAIT<TAB>INPUT<TAB>PARAM:VALUE...`. Made up here to exercise the reader.
 */

const BLUR = 'user004-wand_blur-3072-120-4';
const RESIZE = 'user007-resize-256-1-2';

const WORKLOAD = {
  [BLUR]: '284\tuser004/19.jpg\tsigma:39.64642930244718\n364\tuser004/496.jpg\tsigma:60.88444071760475\n',
  [RESIZE]: '0.5\tuser007/a.png\twidth:64\theight:48\n1.25\tuser007/b.png\twidth:32\theight:24\n',
};

describe('readFaasloadWorkload on a folder', () => {
  it('makes one function per file: id USER/ACTION, user and app USER, memory from the name', async () => {
    const dir = await tmpTrace(WORKLOAD);
    const trace = await readFaasloadWorkload(dir);
    assert.equal(trace.format, 'faasload');
    assert.deepEqual(trace.files, [join(dir, BLUR), join(dir, RESIZE)]);
    assert.deepEqual(trace.functions, [
      {
        id: 'user004/wand_blur',
        app: 'user004',
        user: 'user004',
        memoryMb: {
          average: 3072,
          points: [
            [0, 3072],
            [100, 3072],
          ],
        },
      },
      {
        id: 'user007/resize',
        app: 'user007',
        user: 'user007',
        memoryMb: {
          average: 256,
          points: [
            [0, 256],
            [100, 256],
          ],
        },
      },
    ]);
    assert.deepEqual(trace.warnings, []);
  });

  it('puts each invocation at the running sum of the WAITs, from a common time 0', async () => {
    const trace = await readFaasloadWorkload(await tmpTrace(WORKLOAD));
    assert.deepEqual([...timesOf(trace, 0).atUs], [284e6, 648e6]);
    assert.deepEqual([...timesOf(trace, 1).atUs], [0.5e6, 1.75e6]);
  });

  it('keeps each invocation input and parameters', async () => {
    const trace = await readFaasloadWorkload(await tmpTrace(WORKLOAD));
    const blur = timesOf(trace, 0);
    assert.deepEqual(blur.inputs, ['user004/19.jpg', 'user004/496.jpg']);
    assert.deepEqual(blur.params, [{ sigma: '39.64642930244718' }, { sigma: '60.88444071760475' }]);
    const resize = timesOf(trace, 1);
    assert.deepEqual(resize.inputs, ['user007/a.png', 'user007/b.png']);
    assert.deepEqual(resize.params, [
      { width: '64', height: '48' },
      { width: '32', height: '24' },
    ]);
    assert.equal(resize.durationMs, undefined);
  });

  it('spans the longest DURATION of the names when it is after the last invocation', async () => {
    const trace = await readFaasloadWorkload(await tmpTrace(WORKLOAD));
    assert.equal(trace.spanUs, 120 * 60e6);
  });

  it('skips hidden files and warns about sub-folders', async () => {
    const dir = await tmpTrace({ ...WORKLOAD, '.DS_Store': 'junk', 'old/x-y': '1\tz\n' });
    const trace = await readFaasloadWorkload(dir);
    assert.equal(trace.functions.length, 2);
    assert.ok(trace.warnings?.some((w) => w.includes(`${join(dir, 'old')}: a folder, skipped`)));
  });
});

describe('readFaasloadWorkload on single files', () => {
  async function one(name: string, text: string): Promise<{ trace: Trace; file: string }> {
    const file = join(await tmpTrace({ [name]: text }), name);
    return { trace: await readFaasloadWorkload(file), file };
  }

  it('adds fractional WAITs exactly to the microsecond', async () => {
    const { trace } = await one('u-f', '0.1\ta\n0.2\tb\n0.0000005\tc\n1e-3\td\n');
    assert.deepEqual([...timesOf(trace, 0).atUs], [100_000, 300_000, 300_001, 301_001]);
  });

  it('reads space-separated lines, CRLF, a BOM and blank lines; a line may have no parameters', async () => {
    const { trace } = await one('alice-thumbnail', '\uFEFF1 in/a.jpg size:8\r\n\r\n2 in/b.jpg\r\n   \r\n');
    const source = timesOf(trace, 0);
    assert.deepEqual([...source.atUs], [1e6, 3e6]);
    assert.deepEqual(source.inputs, ['in/a.jpg', 'in/b.jpg']);
    assert.deepEqual(source.params, [{ size: '8' }, undefined]);
  });

  it('splits a parameter at its first colon and keeps odd names as data', async () => {
    const { trace } = await one('u-f', '0\tx\turl:http://h:8080/p\tempty:\t__proto__:v\n');
    const params = timesOf(trace, 0).params![0]!;
    assert.equal(params.url, 'http://h:8080/p');
    assert.equal(params.empty, '');
    assert.ok(Object.hasOwn(params, '__proto__'));
    assert.equal(Object.getPrototypeOf(params), Object.prototype);
  });

  it('keeps input names with spaces when the line uses tabs', async () => {
    const { trace } = await one('u-f', '1\tmy photo.jpg\tk:a b\n');
    assert.deepEqual(timesOf(trace, 0).inputs, ['my photo.jpg']);
    assert.deepEqual(timesOf(trace, 0).params, [{ k: 'a b' }]);
  });

  it('reads a name without metadata: no memory, span just past the last invocation', async () => {
    const { trace, file } = await one('alice-thumbnail', '2\ta\n');
    assert.deepEqual(trace.files, [file]);
    assert.deepEqual(trace.functions, [{ id: 'alice/thumbnail', app: 'alice', user: 'alice' }]);
    assert.equal(trace.spanUs, 2e6 + 1);
  });

  it('keeps a file without invocations as a function without arrivals, with a warning', async () => {
    const { trace, file } = await one('bob-idle-128-10-1', '\n');
    assert.equal(timesOf(trace, 0).atUs.length, 0);
    assert.equal(trace.spanUs, 10 * 60e6);
    assert.deepEqual(trace.warnings, [`${file}: no invocations`]);
  });
});

describe('readFaasloadWorkload on malformed traces', () => {
  const lines: [name: string, text: string, message: RegExp][] = [
    ['a WAIT that is not a number', '1\ta\nsoon\tb\n', /:2: WAIT is not a number of seconds: 'soon'$/],
    ['a negative WAIT', '-1\ta\n', /:1: WAIT is negative: -1$/],
    [
      'a line without INPUT',
      '1\ta\n\n3\n',
      /:3: expected WAIT INPUT \[PARAM:VALUE \.\.\.\], found 1 field: '3'$/,
    ],
    ['an empty INPUT between tabs', '1\t \tk:v\n', /:1: INPUT is empty$/],
    [
      'a parameter without a colon',
      '1\ta\tsigma=3\n',
      /:1: parameter 'sigma=3' is not PARAM:VALUE \(no colon\)$/,
    ],
    ['a parameter without a name', '1\ta\t:3\n', /:1: parameter ':3' has no name before its colon$/],
    ['a repeated parameter', '1\ta\tk:1\tk:2\n', /:1: parameter 'k' is given twice$/],
    ['a WAIT in hex', '0x10\ta\n', /:1: WAIT is not a number of seconds: '0x10'$/],
  ];
  for (const [name, text, message] of lines) {
    it(`rejects ${name} with the file and line`, async () => {
      const dir = await tmpTrace({ 'u-f-128-1-1': text });
      const file = join(dir, 'u-f-128-1-1');
      await rejectsWith(
        readFaasloadWorkload(dir),
        'E_TRACE_ROW',
        new RegExp(`^${re(file)}${message.source}`),
      );
    });
  }

  it('stops at the first malformed file, in name order', async () => {
    const dir = await tmpTrace({ 'a-f': '1\tx\nbad\n', 'b-f': 'worse\n' });
    await rejectsWith(readFaasloadWorkload(dir), 'E_TRACE_ROW', new RegExp(`^${re(join(dir, 'a-f'))}:2: `));
  });

  it('rejects a file name that is not USER-ACTION', async () => {
    const dir = await tmpTrace({ 'u-f': '1\tx\n', 'README.md': '# notes\n' });
    await rejectsWith(
      readFaasloadWorkload(dir),
      'E_TRACE_FORMAT',
      new RegExp(`^${re(join(dir, 'README.md'))}: the file name does not start with USER-ACTION`),
    );
  });

  it('rejects two files of the same user and action, naming both', async () => {
    const dir = await tmpTrace({ 'u-f-128-1-1': '1\tx\n', 'u-f-256-1-1': '1\tx\n' });
    await rejectsWith(
      readFaasloadWorkload(dir),
      'E_TRACE_FORMAT',
      new RegExp(
        `^${re(join(dir, 'u-f-256-1-1'))}: user 'u' and action 'f' are also those of ${re(join(dir, 'u-f-128-1-1'))}`,
      ),
    );
  });

  it('rejects a folder without trace files', async () => {
    const dir = await tmpTrace({ '.hidden': '1\tx\n' });
    await rejectsWith(
      readFaasloadWorkload(dir),
      'E_TRACE_FORMAT',
      new RegExp(`^${re(dir)}: no FaaSLoad trace files`),
    );
  });
});

describe('FaaSLoad trace names and lines', () => {
  it('parses USER-ACTION and the metadata FaaSLoad documents', () => {
    assert.deepEqual(parseFaasloadTraceName('user004-wand_blur-3072-120-4'), {
      user: 'user004',
      action: 'wand_blur',
      memoryMb: 3072,
      durationMin: 120,
    });
    assert.deepEqual(parseFaasloadTraceName('u-f-512-0.5-0.1.txt'), {
      user: 'u',
      action: 'f',
      memoryMb: 512,
      durationMin: 0.5,
    });
    assert.deepEqual(parseFaasloadTraceName('u-f.trace'), { user: 'u', action: 'f' });
    assert.deepEqual(parseFaasloadTraceName('u-f-big'), { user: 'u', action: 'f' });
    assert.equal(parseFaasloadTraceName('invocations.csv'), undefined);
    assert.equal(parseFaasloadTraceName('day_00.csv'), undefined);
    assert.equal(parseFaasloadTraceName('u-f g'), undefined);
    assert.equal(parseFaasloadTraceName('-f'), undefined);
  });

  it('parses a line or says what is wrong', () => {
    assert.deepEqual(parseFaasloadLine('1.5\tin\tk:v'), {
      waitUs: 1_500_000,
      input: 'in',
      params: { k: 'v' },
    });
    assert.deepEqual(parseFaasloadLine('0 in'), { waitUs: 0, input: 'in' });
    assert.equal(typeof parseFaasloadLine('app,func,end_timestamp,duration'), 'string');
    assert.equal(typeof parseFaasloadLine(''), 'string');
  });
});

describe('FaaSLoad detection', () => {
  it('detects a folder of USER-ACTION files and a single such file', async () => {
    const dir = await tmpTrace(WORKLOAD);
    assert.equal(await detectFormat(dir), 'faasload');
    assert.equal(await detectFormat(join(dir, BLUR)), 'faasload');
    const trace = await readTrace(dir);
    assert.equal(trace.format, 'faasload');
    assert.equal(trace.functions.length, 2);
  });

  it('does not take a CSV named like USER-ACTION for a FaaSLoad trace', async () => {
    const dir = await tmpTrace({ 'my-trace.csv': 'time,function\n1,f\n' });
    await rejectsWith(
      detectFormat(join(dir, 'my-trace.csv')),
      'E_TRACE_FORMAT',
      /cannot tell the trace format/,
    );
  });

  it('leaves a folder with other files to the Azure 2019 reader, as before', async () => {
    const dir = await tmpTrace({ 'u-f': '1\tx\n', 'invocations.csv': 'a\n' });
    assert.equal(await detectFormat(dir), 'azure2019');
  });
});
