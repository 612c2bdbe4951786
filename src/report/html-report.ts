import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import { loadRun, type RunData } from './figures-load.js';
import { runFigures } from './figures-run.js';
import { formatSummaryTable, type RunReportSummary, summarizeRun, summaryTable } from './figures-summary.js';
import { type HtmlFigure, reportHtml } from './html.js';
import { type WrittenFigure, writeFigures } from './plot/index.js';

export interface ReportOptions {
  /** Also write a PNG of each figure (slower: about 0.3 s a figure). Default true. */
  png?: boolean;
}

/** What a report wrote, and the summary it printed. */
export interface ReportResult {
  html: string;
  figuresDir: string;
  figures: WrittenFigure[];
  skipped: { name: string; reason: string }[];
  summaries: RunReportSummary[];
  /** The summary table and the files, as printed by the CLI. */
  text: string;
}

async function write(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (err) {
    throw new FaasloadError('E_DATASET', `cannot write ${path}: ${messageOf(err)}`, { cause: err });
  }
}

async function build(
  runs: RunData[],
  html: string,
  figuresDir: string,
  title: string,
  facts: [string, string][],
  options: ReportOptions,
): Promise<ReportResult> {
  const { figures, skipped, aggregates } = await runFigures(runs);
  const written = await writeFigures(figuresDir, figures, { png: options.png ?? true });
  const base = join(html, '..');
  const htmlFigures: HtmlFigure[] = [];
  for (const [i, f] of figures.entries()) {
    const w = written[i]!;
    const files = [w.csv, w.spec, ...(w.png ? [w.png] : [])].map((p) => relative(base, p));
    htmlFigures.push({
      name: f.name,
      title: f.title,
      svg: await readFile(w.svg, 'utf8'),
      ...(f.note ? { note: f.note } : {}),
      files,
    });
  }
  const summaries = aggregates.map(summarizeRun);
  const table = summaryTable(summaries);
  const warnings = runs.flatMap((r) =>
    (r.manifest.warnings ?? []).map((w) => (runs.length > 1 ? `${r.label}: ${w}` : w)),
  );
  await write(html, reportHtml({ title, facts, table, figures: htmlFigures, skipped, warnings }));
  const text = [
    formatSummaryTable(table),
    '',
    ...written.map((w) => `figure  ${w.name.padEnd(22)} ${w.svg}`),
    ...skipped.map((s) => `skipped ${s.name.padEnd(22)} ${s.reason}`),
    `report  ${html}`,
  ].join('\n');
  return { html, figuresDir, figures: written, skipped, summaries, text };
}

function runFacts(run: RunData): [string, string][] {
  const m = run.manifest;
  const facts: [string, string][] = [['run', m.runId ?? basename(run.dir)]];
  if (m.status) facts.push(['status', m.status]);
  if (m.startedAt) facts.push(['started', `${m.startedAt}${m.endedAt ? ` (ended ${m.endedAt})` : ''}`]);
  if (m.platform?.kind)
    facts.push(['platform', `${m.platform.kind}${m.platform.address ? ` at ${m.platform.address}` : ''}`]);
  if (m.trace?.files)
    facts.push(['trace', `${m.trace.format ?? ''} ${m.trace.files.map((f) => f.path).join(', ')}`]);
  if (m.commandLine) facts.push(['command', m.commandLine.slice(1).join(' ')]);
  if (m.host)
    facts.push(['host', `${m.host.cpus ?? '?'} CPUs ${m.host.cpuModel ?? ''}, node ${m.host.node ?? '?'}`]);
  return facts;
}

/**
 * `faasload report <run>`: writes <run>/report.html (self-contained) and each figure into
 * <run>/figures/ (SVG, CSV, Vega-Lite spec, PNG). Errors: E_USAGE for a folder that is not a
 * run, E_DATASET for unreadable tables or unwritable files (figures already written stay).
 */
export async function writeRunReport(dir: string, options: ReportOptions = {}): Promise<ReportResult> {
  const run = await loadRun(dir);
  return build(
    [run],
    join(dir, 'report.html'),
    join(dir, 'figures'),
    `faasload run ${run.label}`,
    runFacts(run),
    options,
  );
}

/**
 * `faasload report compare <run> <run>...`: the same figures overlaid, one series per run, into
 * <out>/compare.html and <out>/figures/. Runs are labelled by run id; two runs with the same id
 * get their folder paths as labels instead.
 */
export async function writeCompareReport(
  dirs: readonly string[],
  out: string,
  options: ReportOptions = {},
): Promise<ReportResult> {
  if (dirs.length < 2) throw new FaasloadError('E_USAGE', 'report compare needs two runs or more');
  const runs: RunData[] = [];
  for (const d of dirs) runs.push(await loadRun(d));
  if (new Set(runs.map((r) => r.label)).size < runs.length) for (const r of runs) r.label = r.dir;
  const facts: [string, string][] = runs.map((r) => [
    r.label,
    `${r.manifest.platform?.kind ?? '?'}; ${r.manifest.commandLine?.slice(1).join(' ') ?? ''}`,
  ]);
  await mkdir(out, { recursive: true }).catch((err: unknown) => {
    throw new FaasloadError('E_DATASET', `cannot create ${out}: ${messageOf(err)}`, { cause: err });
  });
  return build(
    runs,
    join(out, 'compare.html'),
    join(out, 'figures'),
    `faasload: ${runs.length} runs compared`,
    facts,
    options,
  );
}
