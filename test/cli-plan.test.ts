import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { countBy, sampleMinuteCounts } from './helpers/expected.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR, AZURE2021_FILE } from './helpers/paths.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-cli-plan-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('faasload trace inspect', () => {
  it('summarizes the Azure 2019 sample: functions, span, every invocation', async () => {
    const r = await runCli(['trace', 'inspect', AZURE2019_DIR, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    const all = await sampleMinuteCounts(480);
    assert.equal(s.format, 'azure2019');
    assert.equal(s.functions, 100);
    assert.equal(s.spanS, 480 * 60);
    assert.equal(
      s.invocations,
      [...all.values()].reduce((a, b) => a + b, 0),
    );
    assert.equal(
      Object.values(s.triggers as Record<string, number>).reduce((a, b) => a + b, 0),
      100,
    );
    assert.ok(s.perMinute.min <= s.perMinute.p50 && s.perMinute.p50 <= s.perMinute.max);
    assert.equal(s.durationMs.count, 100);
  });

  it("reports the per-second load of the trace's plan: the old spreading's peak is on a minute start", async () => {
    const load = async (...flags: string[]) => {
      const r = await runCli(['trace', 'inspect', AZURE2019_DIR, '--json', ...flags]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).load;
    };
    const all = [...(await sampleMinuteCounts(480)).values()].reduce((a, b) => a + b, 0);
    const now = await load();
    assert.deepEqual(now.spread, { iat: 'exponential', shift: false, seed: 1 });
    assert.equal(now.invocations, all);
    assert.equal(now.spanS, 480 * 60);
    assert.equal(now.meanPerS, all / (480 * 60));
    assert.equal(now.peakToMean, now.peakPerS / now.meanPerS);
    const old = await load('--iat', 'equidistant', '--no-shift');
    assert.deepEqual(old.spread, { iat: 'equidistant', shift: false, seed: 1 });
    assert.equal(old.peakAtS % 60, 0, 'every function starts its minute on second 0');
    assert.ok(old.peakToMean > 1.5 * now.peakToMean, `old ${old.peakToMean}, now ${now.peakToMean}`);
    const text = await runCli(['trace', 'inspect', AZURE2019_DIR]);
    assert.match(
      text.stdout,
      /per second\s+mean 11\.8\/s, peak \d+\/s at \d+ s \(\d+\.\d\dx the mean\)\s+\(planned with --iat exponential --seed 1\)/,
    );
  });

  it('prints a readable table by default', async () => {
    const r = await runCli(['trace', 'inspect', AZURE2021_FILE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /format\s+azure2021/);
    assert.match(r.stdout, /invocations\s+199/);
  });
});

describe('faasload schedule', () => {
  it('writes the plan as Parquet: exactly the trace counts in the window', async () => {
    const out = join(dir, 'plan.parquet');
    const r = await runCli(['schedule', AZURE2019_DIR, '--to', '2m', '--speed', '4', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).rows, 1348);
    const rows = rowsOf(await readParquetTable(out));
    assert.equal(rows.length, 1348);
    assert.deepEqual(
      countBy(rows, (x) => String(x.function)),
      await sampleMinuteCounts(2),
    );
    const at = rows.map((x) => Number(x.scheduled_us));
    assert.ok(
      at.every((t, i) => i === 0 || t >= at[i - 1]!),
      'ascending',
    );
    assert.ok(Math.max(...at) < 30e6, 'two minutes at 4x fit in 30 s');
  });

  it('--capacity: reports the load per second without writing a plan, and with --out writes it too', async () => {
    const capacity = async (...flags: string[]) => {
      const r = await runCli(['schedule', AZURE2019_DIR, '--to', '1h', '--capacity', '--json', ...flags]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const now = await capacity();
    assert.equal(now.file, undefined, 'no plan file without --out');
    assert.equal(
      now.rows,
      [...(await sampleMinuteCounts(60)).values()].reduce((a, b) => a + b, 0),
    );
    assert.equal(now.load.invocations, now.rows);
    assert.ok(now.load.peakToMean < 3, `default peak/mean ${now.load.peakToMean}`);
    const old = await capacity('--iat', 'equidistant', '--no-shift');
    assert.equal(old.load.peakAtS % 60, 0);
    assert.ok(old.load.peakToMean > 5, `old spreading's peak/mean ${old.load.peakToMean}`);
    const out = join(dir, 'capacity.parquet');
    const written = await capacity('--out', out);
    assert.deepEqual(written.load, now.load);
    assert.equal(rowsOf(await readParquetTable(out)).length, now.rows);
    const text = await runCli(['schedule', AZURE2019_DIR, '--to', '1h', '--capacity']);
    assert.match(text.stdout, /^per second: mean 10\.5\/s, peak \d+\/s at \d+ s \(\d+\.\d\dx the mean\)$/m);
  });

  it('refuses --shift with a spreading other than equidistant, and a schedule with nowhere to go (exit 2)', async () => {
    const shift = await runCli(['schedule', AZURE2019_DIR, '--shift', '--out', join(dir, 's.parquet')]);
    assert.equal(shift.code, 2, shift.stderr);
    assert.match(
      shift.stderr,
      /--shift .* --iat is exponential \(the default\): name --iat equidistant --shift/,
    );
    const uniform = await runCli(['schedule', AZURE2019_DIR, '--iat', 'uniform', '--shift', '--capacity']);
    assert.equal(uniform.code, 2, uniform.stderr);
    assert.match(uniform.stderr, /--iat is uniform: name --iat equidistant --shift/);
    const nowhere = await runCli(['schedule', AZURE2019_DIR]);
    assert.equal(nowhere.code, 2, nowhere.stderr);
    assert.match(nowhere.stderr, /--out.*--capacity/);
  });

  it('keeps the N busiest functions with --functions N --sample top', async () => {
    const out = join(dir, 'top.parquet');
    const r = await runCli([
      'schedule',
      AZURE2019_DIR,
      '--to',
      '2m',
      '--functions',
      '5',
      '--sample',
      'top',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const busiest = [...(await sampleMinuteCounts(2)).entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const rows = rowsOf(await readParquetTable(out));
    assert.deepEqual(new Set(rows.map((x) => x.function)), new Set(busiest.map(([id]) => id)));
    assert.equal(
      rows.length,
      busiest.reduce((a, [, n]) => a + n, 0),
    );
  });

  it('reports bad planning flags all at once (exit 2)', async () => {
    const r = await runCli([
      'schedule',
      AZURE2019_DIR,
      '--time-column',
      'ts',
      '--functions',
      '0',
      '--day',
      'x',
      '--scale',
      '-1',
      '--out',
      join(dir, 'x.parquet'),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--time-column needs --format csv/);
    assert.match(r.stderr, /--functions/);
    assert.match(r.stderr, /--scale/);
    assert.match(r.stderr, /day/i);
  });

  it('asks for a .parquet file and names unknown triggers', async () => {
    const notParquet = await runCli(['schedule', AZURE2019_DIR, '--out', join(dir, 'plan.csv')]);
    assert.equal(notParquet.code, 2, notParquet.stderr);
    assert.match(notParquet.stderr, /\.parquet/);
    const trigger = await runCli([
      'schedule',
      AZURE2019_DIR,
      '--trigger',
      'cron',
      '--out',
      join(dir, 't.parquet'),
    ]);
    assert.equal(trigger.code, 2, trigger.stderr);
    assert.match(trigger.stderr, /no function has trigger cron \(this trace has: .*http.*\)/);
  });
});
