import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { detectFormat, readTrace, TRACE_FORMATS, type TraceFormat } from '../src/trace/index.js';
import { AZURE2019_DIR, AZURE2021_FILE } from './helpers/paths.js';
import { re, rejectsWith, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

describe('detectFormat', () => {
  it('tells the real samples apart', async () => {
    assert.equal(await detectFormat(AZURE2021_FILE), 'azure2021');
    assert.equal(await detectFormat(AZURE2019_DIR), 'azure2019');
    assert.equal(await detectFormat(join(AZURE2019_DIR, 'invocations.csv')), 'azure2019');
  });

  it('goes by the name of a raw Azure 2019 invocations file without reading it', async () => {
    const dir = await tmpTrace({ 'invocations_per_function_md.anon.d01.csv': 'not,a,header\n' });
    assert.equal(await detectFormat(join(dir, 'invocations_per_function_md.anon.d01.csv')), 'azure2019');
  });

  it('reads headers with CRLF, a BOM or reordered Azure 2021 columns', async () => {
    const dir = await tmpTrace({
      'a.csv': '\uFEFFapp,func,end_timestamp,duration\r\na,f,1,0\r\n',
      'b.csv': 'duration,app,end_timestamp,func',
      'c.csv': 'HashOwner,HashApp,HashFunction,Trigger,1,2\r\n',
    });
    const formats: TraceFormat[] = [];
    for (const name of ['a.csv', 'b.csv', 'c.csv']) formats.push(await detectFormat(join(dir, name)));
    assert.deepEqual(formats, ['azure2021', 'azure2021', 'azure2019']);
  });

  it('quotes at most 80 characters of an unknown header and names the --format choices', async () => {
    const header = `when,${'x'.repeat(200)}`;
    const dir = await tmpTrace({ 'odd.csv': `${header}\n1,2\n` });
    const file = join(dir, 'odd.csv');
    await rejectsWith(
      detectFormat(file),
      'E_TRACE_FORMAT',
      new RegExp(
        `^${re(file)}: cannot tell the trace format from its header '${header.slice(0, 80)}'; pass --format ${re(TRACE_FORMATS.join('|'))}$`,
      ),
    );
  });

  it('does not take a durations file for a trace', async () => {
    await rejectsWith(
      detectFormat(join(AZURE2019_DIR, 'durations.csv')),
      'E_TRACE_FORMAT',
      /cannot tell the trace format/,
    );
  });
});

describe('readTrace', () => {
  it('refuses --day for a format without days instead of ignoring it', async () => {
    await rejectsWith(
      readTrace(AZURE2021_FILE, { days: [1] }),
      'E_USAGE',
      new RegExp(
        `^--day chooses the days of azure2019 or huawei2023 traces; ${re(AZURE2021_FILE)} is azure2021`,
      ),
    );
  });

  it('reports a path that does not exist as E_TRACE_NOT_FOUND naming it', async () => {
    const missing = join(await tmpTrace(), 'missing.csv');
    await rejectsWith(
      readTrace(missing),
      'E_TRACE_NOT_FOUND',
      new RegExp(`^${re(missing)}: no such file or directory$`),
    );
    await rejectsWith(
      readTrace(missing, { format: 'azure2021' }),
      'E_TRACE_NOT_FOUND',
      new RegExp(`^${re(missing)}: no such file`),
    );
  });

  it('reports an unknown format, listing the known ones', async () => {
    await rejectsWith(
      readTrace(AZURE2021_FILE, { format: 'huawei' as TraceFormat }),
      'E_TRACE_FORMAT',
      new RegExp(
        `^unknown trace format 'huawei': known formats are ${TRACE_FORMATS.join(', ')} \\(or auto\\)$`,
      ),
    );
  });

  it('reports an undetectable header', async () => {
    const dir = await tmpTrace({ 'x.csv': 'a,b,c\n1,2,3\n' });
    await rejectsWith(
      readTrace(join(dir, 'x.csv')),
      'E_TRACE_FORMAT',
      /cannot tell the trace format from its header 'a,b,c'/,
    );
  });

  it('reads with a forced format, bypassing detection', async () => {
    const trace = await readTrace(AZURE2021_FILE, { format: 'azure2021' });
    assert.equal(trace.format, 'azure2021');
    await rejectsWith(
      readTrace(AZURE2021_FILE, { format: 'azure2019' }),
      'E_TRACE_FORMAT',
      /the header has no column 'HashOwner'/,
    );
  });

  it('reports a malformed row with file:line through readTrace', async () => {
    const dir = await tmpTrace({ 't.csv': 'app,func,end_timestamp,duration\na,f,1,0\na,f,2\n' });
    const file = join(dir, 't.csv');
    await rejectsWith(readTrace(file), 'E_TRACE_ROW', new RegExp(`^${re(file)}:3: `));
  });
});
