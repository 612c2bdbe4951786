import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FaasloadError } from '../errors.js';
import { AZURE2019_ID_COLUMNS } from './azure2019.js';
import { RAW_INVOCATIONS } from './azure2019-files.js';
import { AZURE2021_COLUMNS } from './azure2021.js';
import { parseFaasloadLine, parseFaasloadTraceName } from './faasload.js';
import { HUAWEI2023_DAY_FILE, isHuawei2023Header } from './huawei2023.js';
import { TRACE_FORMATS, type TraceFormat } from './types.js';

/**
 * Tells a trace's format from its path and header, reading at most the first line of one file:
 * - a file named invocations_per_function_md.anon.dNN.csv → azure2019;
 * - a header of exactly the columns app, func, end_timestamp, duration → azure2021;
 * - a header starting HashOwner,HashApp,HashFunction,Trigger → azure2019;
 * - a header starting day,time and naming at least one function → huawei2023;
 * - a file named USER-ACTION... whose first line is `WAIT INPUT [PARAM:VALUE...]` → faasload;
 * - a folder: huawei2023 when it holds day_NN.csv files, the first with a day,time header;
 *   faasload when every visible file in it is named USER-ACTION... and the first one's first line
 *   is a FaaSLoad line; azure2019 otherwise (its readers check the files).
 * 'csv' is never detected: any CSV has a header, so only --format csv says a file is one.
 * Anything else → E_TRACE_FORMAT quoting the header; a missing path → E_TRACE_NOT_FOUND.
 */
export async function detectFormat(path: string): Promise<TraceFormat> {
  const info = await stat(path).catch((err: unknown) => {
    throw new FaasloadError('E_TRACE_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
  });
  if (info.isDirectory()) return detectFolder(path);
  if (RAW_INVOCATIONS.test(basename(path))) return 'azure2019';

  const line = await readFirstLine(path);
  const cells = csvCells(line);
  if (sameSet(cells, AZURE2021_COLUMNS)) return 'azure2021';
  if (AZURE2019_ID_COLUMNS.every((name, i) => cells[i] === name)) return 'azure2019';
  if (isHuawei2023Header(cells)) return 'huawei2023';
  if (isFaasloadTrace(basename(path), line)) return 'faasload';
  throw new FaasloadError(
    'E_TRACE_FORMAT',
    `${path}: cannot tell the trace format from its header '${line.slice(0, 80)}'; pass --format ${TRACE_FORMATS.join('|')}`,
  );
}

async function detectFolder(path: string): Promise<TraceFormat> {
  const names = (await readdir(path, { withFileTypes: true }))
    .filter((entry) => !entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const firstDay = names
    .filter((name) => HUAWEI2023_DAY_FILE.test(name))
    .sort((a, b) => dayOf(a) - dayOf(b))[0];
  if (firstDay !== undefined && isHuawei2023Header(csvCells(await readFirstLine(join(path, firstDay))))) {
    return 'huawei2023';
  }
  const first = names[0];
  if (
    first !== undefined &&
    names.every((name) => parseFaasloadTraceName(name) !== undefined) &&
    isFaasloadTrace(first, await readFirstLine(join(path, first)))
  ) {
    return 'faasload';
  }
  return 'azure2019';
}

function dayOf(name: string): number {
  return Number(HUAWEI2023_DAY_FILE.exec(name)?.[1] ?? Number.NaN);
}

/** A FaaSLoad trace file: named USER-ACTION..., its first line WAIT INPUT [PARAM:VALUE...]. */
function isFaasloadTrace(name: string, firstLine: string): boolean {
  return parseFaasloadTraceName(name) !== undefined && typeof parseFaasloadLine(firstLine) !== 'string';
}

function csvCells(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

/** True when `text` names a known trace format. */
export function isTraceFormat(text: string): text is TraceFormat {
  return (TRACE_FORMATS as readonly string[]).includes(text);
}

function sameSet(cells: readonly string[], names: readonly string[]): boolean {
  return cells.length === names.length && names.every((n) => cells.includes(n));
}

/**
 * The first line of a file without its line break or UTF-8 BOM, reading at most `maxBytes`
 * (a raw Azure 2019 header of 1444 columns is about 7 KB).
 */
export async function readFirstLine(path: string, maxBytes = 1 << 20): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < maxBytes) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      const part = chunk.subarray(0, bytesRead);
      const newline = part.indexOf(0x0a);
      chunks.push(newline === -1 ? part : part.subarray(0, newline));
      total += bytesRead;
      if (newline !== -1) break;
    }
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .replace(/\r$/, '');
  } finally {
    await handle.close();
  }
}
