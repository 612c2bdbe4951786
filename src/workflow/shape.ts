/**
 * Workflow (DAG) shapes: how wide and how deep the workflow that stands for a trace function is.
 *
 * The default distributions are In-Vitro's (vhive-serverless/invitro, the loader's DAG mode,
 * data/traces/example/dag_structure.csv): a simplified sample of the DAG structures that the
 * Orion paper (Mahgoub et al., "ORION and the Three Rights", OSDI '22, public dataset
 * icanforce/Orion-OSDI22/Public_Dataset/dag_structure.xlsx) derived from the Azure Functions
 * traces of 2021, as cumulative percentages:
 *   width 1: 78.66, 2: 92.13, 3: 95.24, 4: 100
 *   depth 1: 12.51, 2: 67.96, 3: 86.84, 4: 100
 * `--dag FILE` reads the same CSV format (In-Vitro's columns Width, Width - Percentile, Depth,
 * Depth - Percentile), so a loader's file works here as it is.
 *
 * Draws are pure functions of (seed, function id): the same seed gives every function the same
 * shape, whichever functions are planned.
 */
import { readFileSync } from 'node:fs';
import { FaasloadError } from '../errors.js';
import { messageOf } from '../util/message.js';
import { hash32, unitAt } from '../util/random.js';

/** A fixed value, or a discrete distribution given as ascending values and cumulative shares. */
export type ShapeDist =
  | { kind: 'fixed'; value: number }
  | { kind: 'cdf'; values: readonly number[]; cumulative: readonly number[] };

export interface DagShapeSpec {
  width: ShapeDist;
  depth: ShapeDist;
  /** Where the distributions come from, for the manifest. */
  source: string;
}

export interface DagShape {
  width: number;
  depth: number;
}

export const AZURE2021_DAG_SOURCE =
  'In-Vitro loader data/traces/example/dag_structure.csv (a sample of the Orion OSDI 2022 DAG dataset from the Azure Functions 2021 traces)';

/** The default: In-Vitro's sample of Azure's 2021 DAG shapes (see the module comment). */
export const AZURE2021_DAG: DagShapeSpec = {
  width: { kind: 'cdf', values: [1, 2, 3, 4], cumulative: [0.7866, 0.9213, 0.9524, 1] },
  depth: { kind: 'cdf', values: [1, 2, 3, 4], cumulative: [0.1251, 0.6796, 0.8684, 1] },
  source: AZURE2021_DAG_SOURCE,
};

/** Widths and depths above this are refused (a workflow of (depth - 1) x width + 1 steps). */
export const MAX_DAG_SIDE = 50;

/**
 * `--dag-shape`: 'azure2021' (both default distributions) or 'width=W,depth=D', each an integer
 * or 'azure2021' (that side's default distribution). Throws E_USAGE saying what is wrong.
 */
export function parseDagShape(text: string): DagShapeSpec {
  const t = text.trim();
  if (t === 'azure2021') return AZURE2021_DAG;
  const sides: Partial<Record<'width' | 'depth', ShapeDist>> = {};
  for (const part of t.split(',')) {
    const m = /^\s*(width|depth)\s*=\s*(\S+)\s*$/.exec(part);
    const value = m?.[2];
    if (!m || value === undefined) {
      throw new FaasloadError(
        'E_USAGE',
        `--dag-shape: expected 'width=W,depth=D' (integers or azure2021) or 'azure2021', got '${text}'`,
      );
    }
    const side = m[1] as 'width' | 'depth';
    if (value === 'azure2021') sides[side] = AZURE2021_DAG[side];
    else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > MAX_DAG_SIDE) {
        throw new FaasloadError(
          'E_USAGE',
          `--dag-shape: ${side} must be an integer in 1..${MAX_DAG_SIDE}, got '${value}'`,
        );
      }
      sides[side] = { kind: 'fixed', value: n };
    }
  }
  const fixed = Object.values(sides).every((d) => d.kind === 'fixed');
  return {
    width: sides.width ?? AZURE2021_DAG.width,
    depth: sides.depth ?? AZURE2021_DAG.depth,
    source:
      fixed && sides.width && sides.depth ? `--dag-shape ${t}` : `--dag-shape ${t}; ${AZURE2021_DAG_SOURCE}`,
  };
}

/**
 * `--dag FILE`: In-Vitro's dag_structure.csv format: a header naming Width, Width - Percentile,
 * Depth, Depth - Percentile, then rows of values and cumulative percentages ('78.66%'); a side
 * ends at its first 100%. Errors name the file and line.
 */
export function readDagFile(path: string): DagShapeSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FaasloadError('E_USAGE', `--dag ${path}: cannot read it (${messageOf(e)})`);
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const cols = {
    width: [col('width'), col('width - percentile')],
    depth: [col('depth'), col('depth - percentile')],
  } as const;
  for (const [side, [v, p]] of Object.entries(cols)) {
    if (v < 0 || p < 0) {
      throw new FaasloadError(
        'E_TRACE_FORMAT',
        `${path}:1: the header needs columns '${side}' and '${side} - Percentile' (In-Vitro's dag_structure.csv format)`,
      );
    }
  }
  const read = (side: 'width' | 'depth'): ShapeDist => {
    const [v, p] = cols[side];
    const values: number[] = [];
    const cumulative: number[] = [];
    for (const [i, line] of lines.entries()) {
      if (i === 0 || line.trim() === '') continue;
      const cells = line.split(',');
      const where = `${path}:${i + 1}`;
      const value = Number(cells[v]?.trim());
      const share = Number(cells[p]?.trim().replace(/%$/, '')) / 100;
      if (!Number.isInteger(value) || value < 1 || value > MAX_DAG_SIDE) {
        throw new FaasloadError(
          'E_TRACE_FORMAT',
          `${where}: ${side} '${cells[v] ?? ''}' is not an integer in 1..${MAX_DAG_SIDE}`,
        );
      }
      if (!(share >= 0 && share <= 1)) {
        throw new FaasloadError(
          'E_TRACE_FORMAT',
          `${where}: ${side} percentile '${cells[p] ?? ''}' is not in 0%..100%`,
        );
      }
      const previous = cumulative.at(-1);
      if (previous !== undefined && share < previous) {
        throw new FaasloadError('E_TRACE_FORMAT', `${where}: ${side} percentiles must not decrease`);
      }
      values.push(value);
      cumulative.push(share);
      if (share >= 1) return { kind: 'cdf', values, cumulative };
    }
    throw new FaasloadError('E_TRACE_FORMAT', `${path}: the ${side} percentiles never reach 100%`);
  };
  return { width: read('width'), depth: read('depth'), source: `--dag ${path}` };
}

/** The shape of function `fnId`'s workflow: a pure function of the seed and the id. */
export function drawShape(spec: DagShapeSpec, seed: number, fnId: string): DagShape {
  const stream = hash32(`dag/${fnId}`);
  const draw = (d: ShapeDist, b: number): number => {
    if (d.kind === 'fixed') return d.value;
    const u = unitAt(seed, stream, 0, b);
    // The first value whose cumulative share exceeds u (In-Vitro's getDAGStats, seeded).
    const i = d.cumulative.findIndex((c) => u < c);
    const value = d.values[i < 0 ? d.values.length - 1 : i];
    if (value === undefined)
      throw new FaasloadError('E_USAGE', `${spec.source}: a ${d.kind} distribution with no values`);
    return value;
  };
  const depth = draw(spec.depth, 1);
  // A single step has no branches.
  return { width: depth === 1 ? 1 : draw(spec.width, 0), depth };
}
