import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createClock } from '../src/dispatch/pacing.js';
import { writeRunReport } from '../src/report/html-report.js';
import { BreakdownSum, LATENCY_PARTS, type LatencyShares } from '../src/report/latency-breakdown.js';
import { formatSummary } from '../src/report/summary.js';
import { replay } from '../src/run/replay.js';
import { FakePlatform } from './helpers/fakes.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2021_FILE } from './helpers/paths.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const sumOf = (s: LatencyShares) => LATENCY_PARTS.reduce((a, p) => a + s.shares[p], 0);

describe('latency breakdown', () => {
  it('splits latency into wait, init, exec and the rest, by hand', () => {
    const b = new BreakdownSum();
    b.add(10_000, 2, Number.NaN, 6); // other 2 ms
    b.add(5_000, Number.NaN, 3, 3); // parts past the latency: no rest
    b.add(7_000, 1, 1, Number.NaN); // no exec_ms: not counted
    const s = b.shares()!;
    assert.equal(s.invocations, 2);
    // 2 + 3 + 9 + 2 = 16 ms in all.
    assert.deepEqual(s.shares, { wait: 2 / 16, init: 3 / 16, exec: 9 / 16, other: 2 / 16 });
    assert.deepEqual(s.meanMs, { wait: 1, init: 1.5, exec: 4.5, other: 1 });
    assert.equal(new BreakdownSum().shares(), null);
  });

  it('the summary and the report say the same shares, which add up to 1 and match the rows', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'faasload-breakdown-')), 'run');
    dirs.push(join(out, '..'));
    const clock = createClock('precise');
    // Every 3rd invocation waits 4 ms, every 5th is cold (init 7 ms); exec 2 to 5 ms; 20 ms in all.
    const platform = new FakePlatform(clock, (a) => ({
      waitMs: a.seq % 3 === 0 ? 4 : 0,
      ...(a.seq % 5 === 0 ? { initMs: 7 } : {}),
      execMs: 2 + (a.seq % 4),
      endedAtUs: clock.nowUs() + 20_000,
    }));
    const r = await replay({ trace: AZURE2021_FILE, speed: 1000, out, clock, platformAdapter: platform });
    const fromRun = r.summary.latencyBreakdown!;
    assert.ok(Math.abs(sumOf(fromRun) - 1) < 1e-12);
    assert.match(formatSummary(r.summary), /latency: [\d.]+% waiting, [\d.]+% init, [\d.]+% execution/);

    // By hand from the rows.
    const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    const sums = { wait: 0, init: 0, exec: 0, other: 0 };
    let n = 0;
    for (const row of rows) {
      if (row.exec_ms === null || row.latency_us === null) continue;
      n++;
      const w = Number(row.wait_ms ?? 0);
      const i = Number(row.init_ms ?? 0);
      const e = Number(row.exec_ms);
      sums.wait += w;
      sums.init += i;
      sums.exec += e;
      sums.other += Math.max(0, Number(row.latency_us) / 1000 - w - i - e);
    }
    const total = sums.wait + sums.init + sums.exec + sums.other;
    assert.equal(n, rows.length);
    assert.equal(fromRun.invocations, n);
    for (const p of LATENCY_PARTS) assert.ok(Math.abs(fromRun.shares[p] - sums[p] / total) < 1e-3, p);
    assert.ok(sums.init > 0 && sums.wait > 0 && sums.other > 0);

    const report = await writeRunReport(out, { png: false });
    const fromReport = report.summaries[0]!.latencyBreakdown!;
    assert.equal(fromReport.invocations, n);
    assert.ok(Math.abs(sumOf(fromReport) - 1) < 1e-12);
    for (const p of LATENCY_PARTS) assert.ok(Math.abs(fromReport.shares[p] - sums[p] / total) < 1e-9, p);
    assert.match(
      report.text,
      /latency share wait \/ init \/ exec \/ other +[\d.]+% \/ [\d.]+% \/ [\d.]+% \/ [\d.]+%/,
    );
    const fig = report.figures.find((f) => f.name === 'latency-breakdown');
    assert.ok(fig, `no latency-breakdown figure; skipped: ${JSON.stringify(report.skipped)}`);
    // The CSV's bins, weighted by nothing: each bin's parts are means; their sum over parts is
    // the bin's mean total, at least the mean exec.
    const csv = (await readFile(join(out, 'figures', 'latency-breakdown.csv'), 'utf8')).trim().split('\n');
    const parts = new Set(csv.slice(1).map((l) => l.split(',').at(-1)));
    assert.deepEqual([...parts].sort(), ['exec', 'init', 'other', 'wait']);
  });
});
