/**
 * A parser of Prometheus' text exposition format (version 0.0.4; the OpenMetrics text that
 * controllers also serve parses the same way for samples, and `# EOF` is accepted).
 *
 * Handled: `# TYPE` (a sample's type is its family's: name, or name minus _bucket, _sum, _count,
 * _total, _created), `# HELP` and other comments ignored, label values with the escapes \\, \"
 * and \n, a trailing comma in the label set, values NaN, +Inf, -Inf, optional integer timestamps
 * (ms). A malformed line is reported (line number and why) and skipped; the rest is kept.
 */
import { messageOf } from '../util/message.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface ExposedSample {
  metric: string;
  labels: Record<string, string>;
  value: number;
  type: MetricType;
  /** The exposition's own timestamp, epoch ms, when the line has one. */
  timestampMs?: number;
}

export interface Exposition {
  samples: ExposedSample[];
  /** `line N: why` for each line skipped. */
  errors: string[];
}

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown']);
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

/** Go's ParseFloat as Prometheus uses it: NaN and ±Inf spelled out, any float syntax. */
export function parseValue(text: string): number {
  const t = text.toLowerCase();
  if (t === 'nan') return Number.NaN;
  if (t === '+inf' || t === 'inf') return Number.POSITIVE_INFINITY;
  if (t === '-inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && !/^[+-]?0x[0-9a-f]+$/i.test(text))
    throw new Error(`'${text}' is not a number`);
  return Number(text);
}

class LineError extends Error {}

/** Parses `{a="x",b="y\"z"}` from `pos` (at the `{`); returns the labels and the position after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const skipSpaces = () => {
    while (line[i] === ' ' || line[i] === '\t') i++;
  };
  for (;;) {
    skipSpaces();
    if (line[i] === '}') return { labels, end: i + 1 };
    LABEL_NAME.lastIndex = i;
    const name = LABEL_NAME.exec(line);
    if (!name) throw new LineError(`bad label name at column ${i + 1}`);
    i += name[0].length;
    skipSpaces();
    if (line[i] !== '=') throw new LineError(`expected = after label ${name[0]}`);
    i++;
    skipSpaces();
    if (line[i] !== '"') throw new LineError(`expected " to open the value of label ${name[0]}`);
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new LineError(`unterminated value of label ${name[0]}`);
      if (c === '"') break;
      if (c === '\\') {
        const e = line[i + 1];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw new LineError(`bad escape \\${e ?? ''} in label ${name[0]}`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++; // the closing quote
    if (Object.hasOwn(labels, name[0])) throw new LineError(`label ${name[0]} given twice`);
    labels[name[0]] = value;
    skipSpaces();
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new LineError(`expected , or } after label ${name[0]}`);
  }
}

function familyType(metric: string, types: ReadonlyMap<string, MetricType>): MetricType {
  const own = types.get(metric);
  if (own) return own;
  for (const suffix of SUFFIXES) {
    if (metric.endsWith(suffix)) {
      const t = types.get(metric.slice(0, -suffix.length));
      if (t) return t;
    }
  }
  return 'untyped';
}

export function parseExposition(text: string): Exposition {
  const samples: ExposedSample[] = [];
  const errors: string[] = [];
  const types = new Map<string, MetricType>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s+TYPE\s+(\S+)\s+(\S+)\s*$/.exec(trimmed);
      if (m) {
        const t = m[2]!.toLowerCase();
        if (TYPES.has(t)) types.set(m[1]!, t === 'unknown' ? 'untyped' : (t as MetricType));
        else errors.push(`line ${n + 1}: unknown type '${m[2]}'`);
      }
      continue; // HELP, EOF and other comments
    }
    try {
      let i = line.search(/\S/);
      NAME.lastIndex = i;
      const name = NAME.exec(line);
      if (!name) throw new LineError('expected a metric name');
      i += name[0].length;
      let labels: Record<string, string> = {};
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i));
      const rest = line
        .slice(i)
        .trim()
        .split(/[ \t]+/);
      if (rest[0] === undefined || rest[0] === '') throw new LineError(`no value for ${name[0]}`);
      if (rest.length > 2) throw new LineError(`unexpected '${rest.slice(2).join(' ')}' after the value`);
      let value: number;
      try {
        value = parseValue(rest[0]);
      } catch (e) {
        throw new LineError(messageOf(e));
      }
      const sample: ExposedSample = { metric: name[0], labels, value, type: familyType(name[0], types) };
      if (rest[1] !== undefined) {
        const ts = Number(rest[1]);
        if (!Number.isFinite(ts)) throw new LineError(`bad timestamp '${rest[1]}'`);
        sample.timestampMs = ts;
      }
      samples.push(sample);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      errors.push(`line ${n + 1}: ${e.message}`);
    }
  }
  // A TYPE line may come after samples of its family in sloppy expositions: resolve again.
  for (const s of samples) if (s.type === 'untyped') s.type = familyType(s.metric, types);
  return { samples, errors };
}

/** Labels as a JSON object with sorted keys: one spelling per label set, so it can be grouped on. */
export function labelsJson(labels: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) sorted[k] = labels[k]!;
  return JSON.stringify(sorted);
}
