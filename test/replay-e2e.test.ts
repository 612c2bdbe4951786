import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Manifest } from '../src/dataset/manifest.js';
import { replay } from '../src/run/replay.js';
import { runCli } from './helpers/cli.js';
import { countBy, sampleMinuteCounts } from './helpers/expected.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR, AZURE2021_FILE } from './helpers/paths.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-e2e-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Checks what must hold for every run folder: planned = rows, seq 0..n-1, never sent early. */
async function checkRun(out: string, planned: number) {
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
  const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
  assert.equal(rows.length, planned);
  assert.equal(manifest.counts.planned, planned);
  assert.equal(manifest.tables.invocations?.rows, planned);
  assert.deepEqual(
    rows.map((r) => Number(r.seq)).sort((a, b) => a - b),
    Array.from({ length: planned }, (_, i) => i),
  );
  for (const r of rows) {
    assert.ok(Number(r.lateness_us) >= 0, `seq ${r.seq} was sent ${r.lateness_us} us early`);
    assert.ok((r.sent_at as number) >= (r.scheduled_at as number));
  }
  return { manifest, rows };
}

describe('replay end to end on the embedded platform', () => {
  it('replays the Azure 2021 sample 100x faster: one row per trace row, all ok', async () => {
    const out = join(dir, 'azure2021');
    const result = await replay({
      trace: AZURE2021_FILE,
      speed: 100,
      warpDurations: true,
      maxDurationMs: 100,
      out,
    });
    const text = await readFile(AZURE2021_FILE, 'utf8');
    const traceRows = text
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const { manifest, rows } = await checkRun(out, traceRows.length);
    assert.equal(traceRows.length, 199);
    assert.deepEqual(
      rows.filter((r) => r.outcome !== 'ok').map((r) => `${r.seq}: ${r.outcome} ${r.error}`),
      [],
    );
    assert.deepEqual(
      countBy(rows, (r) => String(r.function)),
      countBy(traceRows, ([app, func]) => `${app}/${func}`),
    );
    for (const r of rows) assert.ok((r.requested_duration_ms as number) <= 100);
    // The first invocation of each function is a cold start; some later ones are warm.
    const fns = new Set(rows.map((r) => r.function)).size;
    const cold = rows.filter((r) => r.cold_start === true).length;
    assert.ok(cold >= fns && cold < rows.length, `${cold} cold starts for ${fns} functions`);
    // The plan spans the trace's 1,200+ s divided by 100.
    assert.ok(result.summary.durationS >= 12, `finished in ${result.summary.durationS} s`);
    assert.equal(manifest.status, 'complete');
    assert.equal(manifest.trace.format, 'azure2021');
    assert.match(manifest.trace.files[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(manifest.platform.kind, 'local');
    assert.equal(result.summary.outcomes.ok, 199);
  });

  it('replays the first two minutes of the Azure 2019 sample: exactly the trace counts, function by function', async () => {
    const out = join(dir, 'azure2019');
    const r = await runCli([
      'replay',
      AZURE2019_DIR,
      '--to',
      '2m',
      '--speed',
      '4',
      '--max-duration',
      '20ms',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { planned: number; outcomes: { ok: number } };

    const expected = await sampleMinuteCounts(2);
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, 1348);
    assert.equal(summary.planned, 1348);
    assert.equal(summary.outcomes.ok, 1348);

    const { rows } = await checkRun(out, 1348);
    assert.deepEqual(
      countBy(rows, (x) => String(x.function)),
      expected,
    );
    assert.ok(rows.every((x) => x.outcome === 'ok'));
    assert.ok(rows.every((x) => (x.requested_duration_ms as number) <= 20));
    assert.ok(
      rows.some((x) => (x.requested_memory_mb as number) > 0),
      'memory from the trace is requested',
    );
    // Two trace minutes at 4x take 30 s: the last invocation is scheduled within that span.
    const at = rows.map((x) => x.scheduled_at as number);
    assert.ok(Math.max(...at) - Math.min(...at) < 30_000);
  });
});
