import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeSyntheticRun } from '../scripts/bench/synthetic-run.js';
import { verifyRun } from '../src/dataset/verify.js';
import { type ReportResult, writeRunReport } from '../src/report/html-report.js';
import { need, pythonPath } from './helpers/cannot-run.js';
import { REPO_ROOT } from './helpers/paths.js';
import { naiveCsv } from './helpers/trace-fixtures.js';

/**
 * `faasload report` against DuckDB on a synthetic run of 200,000 invocations (more than the
 * 65,536 values a sketch keeps exactly, so the histogram path is what is checked): every count
 * behind the figures equal, every CDF point at its exact fraction and within the sketch's stated
 * error (1/1024 of its value) of a value of the data, every summary quantile at most 1/1024 above
 * DuckDB's nearest-rank one and never below it.
 */
const missing = await need('python', 'REPORT/DUCKDB INTEROP TEST');

interface Quantiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}
interface Duck {
  t0: number;
  span_s: number;
  bin_s: number;
  bins: number;
  planned: number;
  sent: number;
  outcomes: Record<string, number>;
  cold_starts: number;
  cold_known: number;
  requests: Record<'planned' | 'sent' | 'completed', number[]>;
  failures: Record<string, number[]>;
  top_targets: string[];
  cold_by_target: Record<string, [planned: number, known: number, cold: number]>;
  quantiles: Record<string, Quantiles | null>;
  /** Per CDF series: [value, values <= it] at each distinct value. */
  ecdf: Record<string, [number, number][]>;
}

const ERROR = 1 / 1024;

let dir: string;
let run: string;
let report: ReportResult;
let duck: Duck;
before(async () => {
  if (missing) return;
  dir = await mkdtemp(join(tmpdir(), 'faasload-report-duckdb-'));
  run = join(dir, 'run');
  await writeSyntheticRun({ dir: run, rows: 200_000, functions: 400, seed: 1, traceDir: join(dir, 'trace') });
  report = await writeRunReport(run, { png: false });
  const out = execFileSync(
    pythonPath()!,
    [join(REPO_ROOT, 'scripts', 'bench', 'report-duckdb.py'), run, '--ecdf'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  duck = JSON.parse(out) as Duck;
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function csv(name: string): Promise<Record<string, string>[]> {
  const [head, ...rows] = naiveCsv(await readFile(join(run, 'figures', `${name}.csv`), 'utf8'));
  return rows.map((r) => Object.fromEntries(r.map((c, i) => [head![i]!, c])));
}

/** The largest index of `ecdf` whose value is <= v, or -1. */
function below(ecdf: [number, number][], v: number): number {
  let lo = -1;
  let hi = ecdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ecdf[mid]![0] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Each CDF point: at its exact fraction, and within the sketch's error above a value of the data. */
function assertCdf(points: [number, number][], ecdf: [number, number][], n: number, what: string) {
  assert.ok(points.length > 10, `${what}: a curve`);
  assert.equal(points[0]![1], 0);
  assert.equal(points[0]![0], ecdf[0]![0], `${what}: starts at the smallest value`);
  assert.equal(points.at(-1)![1], 1);
  assert.equal(points.at(-1)![0], ecdf.at(-1)![0], `${what}: ends at the largest value`);
  for (const [v, f] of points.slice(1)) {
    const i = below(ecdf, v);
    assert.ok(i >= 0, `${what}: ${v} is below every value`);
    const [x, cumulative] = ecdf[i]!;
    assert.ok(
      Math.abs(f - cumulative / n) < 1e-12,
      `${what}: at ${v} the fraction is ${f}, DuckDB ${cumulative / n}`,
    );
    assert.ok(v - x <= v * ERROR, `${what}: ${v} is more than 1/1024 above the value ${x} of the data`);
  }
}

function assertQuantiles(
  ours: { p50: number; p90: number; p99: number; p999: number; max: number } | null,
  theirs: Quantiles | null,
  what: string,
) {
  assert.ok(ours && theirs, `${what}: both have values`);
  assert.equal(ours.max, theirs.max, `${what}: max`);
  for (const q of ['p50', 'p90', 'p99', 'p999'] as const) {
    assert.ok(
      ours[q] >= theirs[q] && ours[q] - theirs[q] <= theirs[q] * ERROR,
      `${what} ${q}: ${ours[q]} against DuckDB's ${theirs[q]}`,
    );
  }
}

describe('faasload report against DuckDB on 200,000 invocations', { skip: missing ?? false }, () => {
  it('is a run folder that dataset verify accepts', async () => {
    const v = await verifyRun(run);
    assert.deepEqual(v.problems, []);
  });

  it('counts what DuckDB counts: summary, requests and failures per bin, cold starts per function', async () => {
    const s = report.summaries[0]!;
    assert.equal(s.planned, duck.planned);
    assert.equal(s.sent, duck.sent);
    for (const [o, n] of Object.entries(duck.outcomes)) assert.equal(s.outcomes[o], n, o);
    assert.equal(s.coldStarts, duck.cold_starts);
    assert.equal(s.coldShare, duck.cold_starts / duck.cold_known);
    assert.ok(Math.abs(s.durationS - duck.span_s) < 1e-6);

    const req = await csv('requests-over-time');
    for (const kind of ['planned', 'sent', 'completed'] as const) {
      const ours = req.filter((r) => r.series === kind);
      assert.equal(ours.length, duck.bins, `${kind}: bins`);
      ours.forEach((r, b) => {
        assert.equal(Number(r.second), b * duck.bin_s);
        assert.equal(
          Math.round(Number(r.per_second) * duck.bin_s),
          duck.requests[kind][b],
          `${kind} bin ${b}`,
        );
      });
    }
    const errs = await csv('errors-over-time');
    const kinds = Object.keys(duck.failures).sort();
    assert.deepEqual([...new Set(errs.map((r) => r.kind))].sort(), kinds);
    for (const k of kinds) {
      const ours = new Map(
        errs
          .filter((r) => r.kind === k)
          .map((r) => [Number(r.second) / duck.bin_s, Number(r.per_second) * duck.bin_s]),
      );
      duck.failures[k]!.forEach((c, b) => {
        assert.equal(Math.round(ours.get(b) ?? 0), c, `${k} bin ${b}`);
      });
    }
    const cold = await csv('cold-start-share');
    const minutes = Math.max(duck.span_s, 1) / 60;
    const known = Object.entries(duck.cold_by_target).filter(([, [, k]]) => k > 0);
    assert.equal(cold.length, known.length);
    for (const r of cold) {
      const [planned, k, c] = duck.cold_by_target[r.function!]!;
      assert.equal(Number(r.invocations), planned);
      assert.ok(Math.abs(Number(r.cold_share) - c / k) < 1e-12);
      assert.ok(Math.abs(Number(r.per_minute) - planned / minutes) < 1e-9);
    }
  });

  it('draws every CDF point at its exact fraction, within the sketch error of a value', async () => {
    const late = (await csv('lateness-cdf')).map(
      (r) => [Number(r.value), Number(r.fraction)] as [number, number],
    );
    assertCdf(late, duck.ecdf.lateness!, duck.quantiles.lateness!.count, 'lateness');
    const lat = await csv('latency-cdf');
    const series = [...new Set(lat.map((r) => r.series!))];
    assert.deepEqual(series, ['all functions', ...duck.top_targets]);
    for (const s of series) {
      const key = s === 'all functions' ? 'latency' : `latency:${s}`;
      // The figure is in ms; the data in µs.
      const points = lat
        .filter((r) => r.series === s)
        .map((r) => [Math.round(Number(r.value) * 1000), Number(r.fraction)] as [number, number]);
      assertCdf(points, duck.ecdf[key]!, duck.quantiles[key]!.count, key);
    }
  });

  it('gives the summary quantiles within the sketch error of DuckDB nearest-rank ones', () => {
    const s = report.summaries[0]!;
    assertQuantiles(s.latenessUs, duck.quantiles.lateness!, 'lateness');
    assertQuantiles(s.latencyUs, duck.quantiles.latency!, 'latency');
    assertQuantiles(s.latencyFromScheduleUs, duck.quantiles.latency_from_schedule!, 'latency from schedule');
  });
});
