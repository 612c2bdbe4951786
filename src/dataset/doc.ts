/**
 * docs/datasets.md, generated from the table definitions (tables.ts) so that the documentation
 * and the code cannot drift: test/dataset-doc.test.ts fails when the file differs. Regenerate with
 * `npm run docs:datasets`.
 */
import { fileURLToPath } from 'node:url';
import type { ColumnKind } from './columns.js';
import { MANIFEST_VERSION } from './manifest.js';
import { columnEncodings } from './parquet.js';
import { METADATA_KEYS, TABLES } from './tables.js';

const TYPES: Record<ColumnKind, string> = {
  int64: 'int64',
  int32: 'int32',
  float64: 'float64 (double)',
  bool: 'bool',
  utf8: 'string (utf8)',
  timestamp_us: 'timestamp[us, UTC]',
};

/** The unit a column's name or kind implies. */
function unit(name: string, kind: ColumnKind): string {
  if (kind === 'timestamp_us') return 'µs since the epoch, UTC';
  if (name.endsWith('_us')) return 'µs';
  if (name.endsWith('_ms')) return 'ms';
  if (name.endsWith('_mb')) return 'MB';
  if (name === 'second') return 's';
  return '';
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function datasetsMarkdown(): string {
  const out: string[] = [
    '# Datasets',
    '',
    '<!-- Generated from src/dataset/tables.ts by src/dataset/doc.ts: edit those, then run',
    '     `npm run docs:datasets`. A test checks it. -->',
    '',
    'One run is one folder (`results/<run-id>/` by default) holding `manifest.json` and one Parquet',
    'file per table. During the run each table is streamed to `<table>.arrows` (an Arrow IPC',
    'stream, one record batch at least every second), so a crash keeps every batch written,',
    'and written to `<table>.parquet.partial` row group by row group; at the end the Parquet',
    'file is finished and renamed, and the stream is removed. A writer thread does all of',
    "this, never the dispatcher's. After a crash, `faasload dataset recover` turns the streams",
    'into Parquet (a leftover `.partial` file is replaced); `faasload dataset verify` checks a',
    'folder against its manifest.',
    '',
    'Conventions: timestamps are `timestamp[us, UTC]`; ids and counters are int64; a column that',
    'may be null says so. Parquet files are zstd-compressed, in row groups of 131,072 rows, with',
    'the encodings listed per column (`delta`: DELTA_BINARY_PACKED; `dictionary`: dictionary',
    'pages; `byte_stream_split`: dictionary pages while few values differ, else BYTE_STREAM_SPLIT;',
    '`byte_stream_split_only`: BYTE_STREAM_SPLIT, never a dictionary; `plain`: no dictionary).',
    'Every file carries',
    `the key/value metadata \`${METADATA_KEYS.schemaVersion}\` (the table's schema version below) and`,
    `\`${METADATA_KEYS.runId}\` (the manifest's runId), in its Arrow schema and its Parquet footer.`,
    '',
    "`manifest.json` lists each table's file, row count, schema version and columns (name, kind,",
    'nullable, doc), so a dataset describes itself without this page. It names the `command` that',
    'wrote it (`replay`, `simulate`, `generate`, or `merge` for `faasload dataset merge`) and has,',
    'beside what every manifest has (`runId`, `commandLine`, the resolved `config`, `seed`, the',
    '`trace` files with their sha256 (for generate, its plan file), `platform`, `host`, times,',
    "`status`, `counts`, `tables`, `warnings`), that command's sections: replay's `dispatch`,",
    "`needs`, `monitors`, `shard`, `startAt` and `clockOffset`; simulate's `simulation` and",
    "`figures`; generate's `generation` (its plan as written and its sessions); merge's `merged`;",
    `and \`recovered\` after \`faasload dataset recover\`. This is manifest version ${MANIFEST_VERSION}; the`,
    "manifests of version 1, which name no command, and generate's of before (`kind: generation`)",
    'are still read.',
    '',
    '`faasload dataset merge` puts a `run` column (string, the runId a row comes from) before the',
    'columns below.',
  ];
  for (const t of TABLES) {
    const encodings = columnEncodings(t.columns);
    out.push(
      '',
      `## ${t.name} (schema version ${t.version})`,
      '',
      `\`${t.name}.parquet\`. ${t.doc}`,
      '',
      '| column | type | nullable | unit | encoding | meaning |',
      '|---|---|---|---|---|---|',
      ...t.columns.map(
        (c) =>
          `| \`${c.name}\` | ${TYPES[c.kind]} | ${c.nullable ? 'yes' : 'no'} | ${unit(c.name, c.kind)} | ${encodings[c.name]} | ${cell(c.doc)} |`,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(datasetsMarkdown());
