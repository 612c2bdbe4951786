import type { Argv } from 'yargs';
import { EXPORT_FORMATS, type ExportFormat, exportRun } from '../../dataset/export.js';
import { mergeRuns } from '../../dataset/merge.js';
import { recoverRun } from '../../dataset/recover.js';
import { verifyRun } from '../../dataset/verify.js';
import { FaasloadError } from '../../errors.js';

export const command = 'dataset <command>';
export const describe = 'Check, recover, merge or export run datasets (results/<run-id>/)';

const json = { type: 'boolean', default: false, describe: 'Print the result as JSON' } as const;
const print = (asJson: boolean, value: unknown, text: string) =>
  process.stdout.write(asJson ? `${JSON.stringify(value)}\n` : `${text}\n`);

const verify = {
  command: 'verify <run>',
  describe:
    'Check a run folder against its manifest: every table present and Parquet, schema and row counts as the manifest says, planned = rows (each planned seq once; for merged shards, the whole plan). Exit 5 when something is wrong',
  builder: (y: Argv) =>
    y.positional('run', { type: 'string', demandOption: true, describe: 'The run folder' }).options({ json }),
  handler: async (args: { run: string; json: boolean }) => {
    const r = await verifyRun(args.run);
    const lines = [
      ...r.tables.map((t) => `${t.table}: ${t.file}, ${t.rows ?? '?'} rows (manifest: ${t.expectedRows})`),
      ...r.notes.map((n) => `note: ${n}`),
      ...r.problems.map((p) => `problem: ${p}`),
      r.ok ? `${r.dir}: ok` : `${r.dir}: ${r.problems.length} problem(s)`,
    ];
    print(args.json, r, lines.join('\n'));
    if (!r.ok) process.exitCode = 5;
  },
};

const recover = {
  command: 'recover <run>',
  describe:
    "After a crash (kill -9, power loss, a full disk): turn the run's Arrow streams (*.arrows) into Parquet, keeping every complete batch; a last batch cut short is left out and reported. Marks the manifest as recovered",
  builder: (y: Argv) =>
    y.positional('run', { type: 'string', demandOption: true, describe: 'The run folder' }).options({ json }),
  handler: async (args: { run: string; json: boolean }) => {
    const r = await recoverRun(args.run);
    const lines =
      r.tables.length === 0
        ? [`${r.dir}: no Arrow stream to recover`]
        : r.tables.map(
            (t) =>
              `${t.table}: ${t.rows} rows in ${t.batches} batches -> ${t.table}.parquet${t.droppedBytes > 0 ? `; left out a last batch cut short (${t.droppedReason}, ${t.droppedBytes} bytes)` : ''}${t.ended ? '' : '; the stream had no end marker (the writer did not finish)'}`,
          );
    print(args.json, r, lines.join('\n'));
  },
};

const merge = {
  command: 'merge <runs..>',
  describe:
    'One dataset from several runs, or from the shards of one plan (replay --shard I/N): every table gets a `run` column first; dataset verify then checks that the shards add up to the whole plan',
  builder: (y: Argv) =>
    y
      .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'The run folders' })
      .options({
        out: { type: 'string', demandOption: true, describe: 'The merged dataset folder (new or empty)' },
        json,
      })
      .example(
        '$0 dataset merge results/shard-0 results/shard-1 --out results/merged',
        'two shards of one plan',
      ),
  handler: async (args: { runs: string[]; out: string; json: boolean }) => {
    const r = await mergeRuns(args.runs, args.out);
    const shards = r.shards
      ? `; shards ${r.shards.count - r.shards.missing.length} of ${r.shards.count}${r.shards.missing.length ? ` (missing: ${r.shards.missing.join(', ')})` : ''}`
      : '';
    print(
      args.json,
      r,
      `${r.runs} runs -> ${r.out}: ${r.tables.map((t) => `${t.table} ${t.rows} rows`).join(', ')}${shards}`,
    );
  },
};

const exportCommand = {
  command: 'export <run>',
  describe: 'Write one table of a run as CSV or JSON Lines, for tools that cannot read Parquet',
  builder: (y: Argv) =>
    y.positional('run', { type: 'string', demandOption: true, describe: 'The run folder' }).options({
      format: {
        choices: EXPORT_FORMATS,
        demandOption: true,
        describe: 'csv (RFC 4180, header) or jsonl (one object per line)',
      },
      table: { type: 'string', default: 'invocations', describe: 'Which table' },
      out: { type: 'string', describe: "The file to write ('-' for stdout); default <run>/<table>.<format>" },
    }),
  handler: async (args: { run: string; format: string; table: string; out?: string }) => {
    if (!(EXPORT_FORMATS as readonly string[]).includes(args.format)) {
      throw new FaasloadError('E_USAGE', `--format ${args.format}: expected csv or jsonl`);
    }
    const r = await exportRun(args.run, {
      format: args.format as ExportFormat,
      table: args.table,
      ...(args.out !== undefined ? { out: args.out } : {}),
    });
    if (r.file !== '-') process.stderr.write(`${r.rows} rows -> ${r.file}\n`);
  },
};

export function builder(y: Argv) {
  return y
    .command(verify)
    .command(recover)
    .command(merge)
    .command(exportCommand)
    .demandCommand(1, 'Name a dataset command: verify, recover, merge or export');
}

export function handler(): void {}
