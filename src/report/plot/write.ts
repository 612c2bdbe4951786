import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaasloadError } from '../../errors.js';
import { messageOf } from '../../util/message.js';
import { toCsv } from './csv.js';
import type { Figure } from './figure.js';
import { svgToPng } from './png.js';
import { renderSvg, vegaLiteSpec } from './vega.js';

/** The files of one written figure. */
export interface WrittenFigure {
  name: string;
  svg: string;
  csv: string;
  spec: string;
  /** Absent when PNGs were not asked for. */
  png?: string;
}

export interface WriteFigureOptions {
  /** Also write `<name>.png` (resvg, 2x). Default true. */
  png?: boolean;
}

/**
 * Writes `<dir>/<name>.svg` (the picture), `<name>.csv` (its data: every row, the plotted
 * points exactly), `<name>.vl.json` (the Vega-Lite spec reading that CSV, to restyle it) and
 * `<name>.png` (unless options.png is false).
 * Creates `dir`. A write that fails is an E_DATASET FaasloadError naming the file; figures
 * written before it stay.
 */
export async function writeFigure(
  dir: string,
  fig: Figure,
  options: WriteFigureOptions = {},
): Promise<WrittenFigure> {
  const svg = await renderSvg(fig);
  const files: WrittenFigure = {
    name: fig.name,
    svg: join(dir, `${fig.name}.svg`),
    csv: join(dir, `${fig.name}.csv`),
    spec: join(dir, `${fig.name}.vl.json`),
  };
  const write = async (path: string, text: string | Uint8Array) => {
    try {
      await writeFile(path, text);
    } catch (err) {
      throw new FaasloadError('E_DATASET', `cannot write figure file ${path}: ${messageOf(err)}`, {
        cause: err,
      });
    }
  };
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new FaasloadError('E_DATASET', `cannot create figure folder ${dir}: ${messageOf(err)}`, {
      cause: err,
    });
  }
  await write(files.csv, toCsv(fig.rows));
  await write(files.spec, `${JSON.stringify(vegaLiteSpec(fig, { csv: `${fig.name}.csv` }), null, 2)}\n`);
  await write(files.svg, svg);
  if (options.png ?? true) {
    files.png = join(dir, `${fig.name}.png`);
    await write(files.png, svgToPng(svg));
  }
  return files;
}

/** Writes several figures, one after the other (see writeFigure). */
export async function writeFigures(
  dir: string,
  figs: readonly Figure[],
  options: WriteFigureOptions = {},
): Promise<WrittenFigure[]> {
  const out: WrittenFigure[] = [];
  for (const f of figs) out.push(await writeFigure(dir, f, options));
  return out;
}
