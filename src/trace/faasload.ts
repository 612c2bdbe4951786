import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { FaasloadError, rowError } from '../errors.js';
import { Float64List } from '../util/float64-list.js';
import { errnoCodeOf } from '../util/message.js';
import { days, TRACE_LIMITS } from './cells.js';
import { decimalMicros } from './micros.js';
import { sourceLookup } from './sources.js';
import type { ArrivalSource, Trace, TraceFunction } from './types.js';
import { WarningLog } from './warnings.js';

/**
 * FaaSLoad's workload injection traces (M. Bacou, "FaaSLoad: Fine-Grained Performance and Resource
 * Measurement for Function-As-a-Service", OPODIS 2024; the project's docs/injection_traces.md and
 * loader/injection.py). A trace is a folder of files, one per (user, action), named
 * `USER-ACTION-MEMORY-DURATION-AVRGIAT`, e.g. `user004-wand_blur-3072-120-4`: memory in MB,
 * duration and average inter-arrival time in minutes. FaaSLoad itself needs only USER and ACTION
 * (word characters: letters, digits, `_`); the rest is metadata. Each line is one invocation,
 * fields separated by tabs:
 *
 *     WAIT  INPUT  PARAM1:VALUE1  PARAM2:VALUE2 ...
 *
 * WAIT is the seconds (fractional allowed) since the previous invocation of the file, the first
 * one counted from the start of the injection; INPUT is the input object's name; each parameter is
 * split at its first colon.
 */
export interface FaasloadTraceName {
  user: string;
  action: string;
  /** MEMORY, when the name carries it. */
  memoryMb?: number;
  /** DURATION in minutes, when the name carries it. */
  durationMin?: number;
}

const NAME = /^(\w+)-(\w+)(?=$|[-.])/;
const NAME_METADATA = /^-(\d+)(?:-(\d+(?:\.\d+)?))?(?=$|[-.])/;

/** The user, action and metadata of a trace file name, or undefined when it is not USER-ACTION... */
export function parseFaasloadTraceName(name: string): FaasloadTraceName | undefined {
  const [matched, user, action] = NAME.exec(name) ?? [];
  if (matched === undefined || user === undefined || action === undefined) return undefined;
  const out: FaasloadTraceName = { user, action };
  const meta = NAME_METADATA.exec(name.slice(matched.length));
  if (meta !== null) {
    const memoryMb = Number(meta[1]);
    if (memoryMb > 0) out.memoryMb = memoryMb;
    if (meta[2] !== undefined) out.durationMin = Number(meta[2]);
  }
  return out;
}

/** One line of a trace file. */
export interface FaasloadPoint {
  /** WAIT in whole microseconds (rounded half up). */
  waitUs: number;
  input: string;
  /** The PARAM:VALUE fields; undefined when the line has none. */
  params?: Record<string, string>;
}

/**
 * Parses one non-blank line; returns what is wrong with it as a string otherwise. Fields are split
 * on tabs (as FaaSLoad does) when the line has one, else on spaces, so hand-written traces work
 * too; an input name with spaces then needs tabs.
 */
export function parseFaasloadLine(line: string): FaasloadPoint | string {
  const trimmed = line.trim();
  const fields = trimmed.includes('\t') ? trimmed.split(/\t+/).map((f) => f.trim()) : trimmed.split(/ +/);
  const [waitText, input, ...paramFields] = fields;
  if (waitText === undefined || input === undefined) {
    return `expected WAIT INPUT [PARAM:VALUE ...], found ${fields.length} field: '${trimmed.slice(0, 80)}'`;
  }
  const waitUs = decimalMicros(waitText, 6);
  if (waitUs === 'malformed') return `WAIT is not a number of seconds: '${waitText}'`;
  if (waitUs === 'out of range') return `WAIT is too large: ${waitText}`;
  // By the text's sign: -1e-7 rounds to 0 µs, but a negative wait (a '-', then a nonzero digit
  // before any exponent) is a broken line all the same.
  if (waitUs < 0 || /^-[^eE]*[1-9]/.test(waitText)) return `WAIT is negative: ${waitText}`;
  if (input === '') return 'INPUT is empty';
  if (paramFields.length === 0) return { waitUs, input };

  const entries: [string, string][] = [];
  const names = new Set<string>();
  for (const field of paramFields) {
    const colon = field.indexOf(':');
    if (colon === -1) return `parameter '${field}' is not PARAM:VALUE (no colon)`;
    if (colon === 0) return `parameter '${field}' has no name before its colon`;
    const name = field.slice(0, colon);
    if (names.has(name)) return `parameter '${name}' is given twice`;
    names.add(name);
    entries.push([name, field.slice(colon + 1)]);
  }
  // fromEntries defines own properties, so a parameter named __proto__ is kept as data.
  return { waitUs, input, params: Object.fromEntries(entries) };
}

/**
 * Reads a FaaSLoad workload trace: a folder of trace files (every file in it but hidden ones, in
 * name order; sub-folders are skipped with a warning) or a single trace file. One function per
 * file: id `USER/ACTION`, user and app USER, memoryMb the MEMORY of the name (a one-point
 * distribution) when present. Streams each file line by line and keeps per invocation its time
 * (8 bytes), its input and its parameters.
 *
 * Trace time 0 is the common start of all files: a file's first WAIT counts from 0, so its
 * arrivals are the running sums of its WAITs, ascending by construction. spanUs is just past the
 * last arrival (last + 1 µs), or the longest DURATION of the file names when that is later.
 * Blank lines are skipped; CRLF line ends and a UTF-8 BOM are accepted.
 *
 * Errors (the first one stops the read): a file name that is not USER-ACTION..., two files of the
 * same user and action, an empty folder, a MEMORY or DURATION in the name past TRACE_LIMITS
 * (cells.ts) → E_TRACE_FORMAT; a malformed line (see parseFaasloadLine), or WAITs adding up past
 * the 366 days of TRACE_LIMITS → E_TRACE_ROW `file:line: ...`.
 */
export async function readFaasloadWorkload(path: string): Promise<Trace> {
  const warnings = new WarningLog();
  const files = await faasloadFiles(path, warnings);
  const functions: TraceFunction[] = [];
  const fileOf = new Map<string, string>();
  const sources: ArrivalSource[] = [];
  let spanUs = 0;

  for (const file of files) {
    const name = parseFaasloadTraceName(basename(file));
    if (name === undefined) {
      throw new FaasloadError(
        'E_TRACE_FORMAT',
        `${file}: the file name does not start with USER-ACTION (word characters, e.g. user004-wand_blur-3072-120-4) as FaaSLoad trace names do`,
      );
    }
    const id = `${name.user}/${name.action}`;
    const other = fileOf.get(id);
    if (other !== undefined) {
      throw new FaasloadError(
        'E_TRACE_FORMAT',
        `${file}: user '${name.user}' and action '${name.action}' are also those of ${other}: expected one file per user and action`,
      );
    }
    fileOf.set(id, file);
    checkNameBounds(file, name);

    const source = await readTraceFile(file);
    const f: TraceFunction = { id, app: name.user, user: name.user };
    if (name.memoryMb !== undefined) {
      f.memoryMb = {
        average: name.memoryMb,
        points: [
          [0, name.memoryMb],
          [100, name.memoryMb],
        ],
      };
    }
    functions.push(f);
    sources.push(source);
    const n = source.atUs.length;
    if (n === 0) warnings.add('files without invocations', `${file}: no invocations`);
    else spanUs = Math.max(spanUs, source.atUs[n - 1]! + 1);
    if (name.durationMin !== undefined) spanUs = Math.max(spanUs, Math.round(name.durationMin * 60e6));
  }

  return {
    format: 'faasload',
    files,
    functions,
    spanUs,
    warnings: warnings.list(),
    arrivals: sourceLookup(sources, path),
  };
}

/** The MEMORY and DURATION of a file name within TRACE_LIMITS, else an E_TRACE_FORMAT naming the file. */
function checkNameBounds(file: string, name: FaasloadTraceName): void {
  if (name.memoryMb !== undefined && name.memoryMb > TRACE_LIMITS.maxMemoryMb) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${file}: the MEMORY of the file name, ${name.memoryMb} MB, is past the ${TRACE_LIMITS.maxMemoryMb} MB (1 TiB) bound`,
    );
  }
  if (name.durationMin !== undefined && name.durationMin * 60e6 > TRACE_LIMITS.maxTimeUs) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${file}: the DURATION of the file name, ${name.durationMin} minutes, is past the ${days(TRACE_LIMITS.maxTimeUs)} a trace may span`,
    );
  }
}

async function faasloadFiles(path: string, warnings: WarningLog): Promise<string[]> {
  const info = await stat(path).catch((err: unknown) => {
    throw new FaasloadError('E_TRACE_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
  });
  if (!info.isDirectory()) return [path];
  const files: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) {
      warnings.add('sub-folders skipped', `${join(path, entry.name)}: a folder, skipped (trace files only)`);
      continue;
    }
    files.push(join(path, entry.name));
  }
  if (files.length === 0) {
    throw new FaasloadError(
      'E_TRACE_FORMAT',
      `${path}: no FaaSLoad trace files (USER-ACTION-...) in this folder`,
    );
  }
  return files;
}

type TimesSource = Extract<ArrivalSource, { kind: 'times' }>;

async function readTraceFile(file: string): Promise<TimesSource> {
  const handle = await open(file, 'r').catch((err: unknown) => {
    throw new FaasloadError('E_TRACE_FORMAT', `${file}: cannot read (${errorCode(err)})`, { cause: err });
  });
  const atUs = new Float64List();
  const inputs: string[] = [];
  const params: (Record<string, string> | undefined)[] = [];
  const lines = createInterface({
    input: handle.createReadStream({ encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  let line = 0;
  let timeUs = 0;
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      const point = parseFaasloadLine(text);
      if (typeof point === 'string') throw rowError(file, line, point);
      timeUs += point.waitUs;
      if (timeUs > TRACE_LIMITS.maxTimeUs) {
        throw rowError(
          file,
          line,
          `the WAITs up to this line add up to ${timeUs / 1e6} s, past the ${days(TRACE_LIMITS.maxTimeUs)} a trace may span`,
        );
      }
      atUs.push(timeUs);
      inputs.push(point.input);
      params.push(point.params);
    }
  } catch (err) {
    if (err instanceof FaasloadError) throw err;
    throw new FaasloadError('E_TRACE_FORMAT', `${file}: cannot read (${errorCode(err)})`, { cause: err });
  } finally {
    lines.close();
    await handle.close();
  }
  return { kind: 'times', atUs: atUs.toArray(), inputs, params };
}

function errorCode(err: unknown): string {
  const code = errnoCodeOf(err);
  return typeof code === 'string' ? code : String(err);
}
