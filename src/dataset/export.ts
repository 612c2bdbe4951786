import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Data, RecordBatch } from 'apache-arrow';
import { FaasloadError } from '../errors.js';
import { parquetBatches } from './parquet-read.js';
import { readManifest } from './read-run.js';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: ExportFormat;
  /** Default invocations. */
  table?: string;
  /** The file to write, '-' for stdout; default <run>/<table>.<format>. */
  out?: string;
  /** For out = '-': where stdout is (tests pass their own). */
  stdout?: Writable;
}

/**
 * Writes one table of a run as text for tools that cannot read Parquet, one batch at a time.
 * CSV (RFC 4180): a header, values quoted when they hold a comma, quote or line break, null
 * as an empty field. JSON Lines: one object per row, null as null. In both, timestamps are
 * ISO 8601 UTC with microseconds (2026-11-29T10:12:33.123456Z), int64 exact (a JSON number
 * when below 2^53, else a string), booleans true/false.
 */
export async function exportRun(dir: string, o: ExportOptions): Promise<{ file: string; rows: number }> {
  const manifest = await readManifest(dir);
  const name = o.table ?? 'invocations';
  const table = manifest.tables[name];
  if (!table) {
    throw new FaasloadError(
      'E_USAGE',
      `--table ${name}: run ${dir} has no such table (it has ${Object.keys(manifest.tables).join(', ') || 'none'})`,
    );
  }
  const file = o.out ?? join(dir, `${name}.${o.format}`);
  const sink: Writable = file === '-' ? (o.stdout ?? process.stdout) : createWriteStream(file);
  const failed = new Promise<never>((_, reject) =>
    sink.on('error', (err) =>
      reject(new FaasloadError('E_DATASET', `${file}: could not write (${err.message})`, { cause: err })),
    ),
  );
  failed.catch(() => {});
  let rows = 0;
  const write = async (text: string) => {
    if (!sink.write(text)) await Promise.race([new Promise((r) => sink.once('drain', r)), failed]);
  };
  const names = table.columns.map((c) => c.name);
  if (o.format === 'csv') await write(`${names.map(csvField).join(',')}\n`);
  for await (const batch of parquetBatches(join(dir, table.file))) {
    const cells = names.map((n, i) => cellReader(batch, n, i));
    const lines: string[] = [];
    for (let r = 0; r < batch.numRows; r++) {
      if (o.format === 'csv') {
        lines.push(cells.map((c) => (c.valid(r) ? csvField(c.text(r)) : '')).join(','));
      } else {
        lines.push(
          `{${cells.map((c, k) => `${JSON.stringify(names[k])}:${c.valid(r) ? c.json(r) : 'null'}`).join(',')}}`,
        );
      }
    }
    rows += batch.numRows;
    await write(`${lines.join('\n')}\n`);
  }
  if (sink !== (o.stdout ?? process.stdout)) {
    sink.end();
    await Promise.race([finished(sink), failed]);
  }
  return { file, rows };
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const MAX_EXACT = 2n ** 53n;

/** How to print the cells of one column of a batch: from the raw buffers, exact. */
function cellReader(batch: RecordBatch, name: string, index: number) {
  const vector = batch.getChild(name) ?? batch.getChildAt(index);
  if (!vector) throw new Error(`batch has no column ${name}`);
  const data = vector.data[0] as Data;
  const type = String(data.type);
  const valid = (r: number) => data.getValid(r);
  if (type.startsWith('Timestamp') || type === 'Int64') {
    const values = data.values as BigInt64Array;
    const iso = type.startsWith('Timestamp');
    const text = (r: number) => (iso ? isoUs(values[r]!) : values[r]!.toString());
    const json = (r: number) => {
      const v = values[r]!;
      return iso ? `"${isoUs(v)}"` : v < MAX_EXACT && v > -MAX_EXACT ? v.toString() : `"${v}"`;
    };
    return { valid, text, json };
  }
  const get = (r: number) => vector.get(r) as unknown;
  return {
    valid,
    text: (r: number) => String(get(r)),
    json: (r: number) => {
      const v = get(r);
      return typeof v === 'number' && !Number.isFinite(v) ? 'null' : JSON.stringify(v);
    },
  };
}

/** Microseconds since the epoch as ISO 8601 UTC with six decimals. */
export function isoUs(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const rest = Number(us - ms * 1000n);
  return `${new Date(Number(ms)).toISOString().slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}
