import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Manifest } from '../src/dataset/manifest.js';
import { loadPlan } from '../src/run/load-plan.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { REPO_ROOT } from './helpers/paths.js';

/**
 * Scale-out on one machine: three shards of one replay as three separate processes, sharing one
 * embedded platform (`faasload platform start`, reached through its OpenWhisk API as a real
 * deployment would be), starting together at --start-at; then `dataset merge` and
 * `dataset verify`, and an independent check that the merged rows are the unsharded plan.
 * Bounded: 600 invocations over 10 s, every process killed at its time limit.
 */

const TRACE = join(REPO_ROOT, 'traces', 'sample-azure2021.csv');
const PLAN = ['--speed', '60', '--warp-durations', '--seed', '4'];
const SHARDS = 3;

describe('3 shards as separate processes, one platform, one start', { timeout: 300_000 }, () => {
  let dir: string;
  let platform: ChildProcess | undefined;
  let apihost = '';
  let auth = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faasload-shard-local-'));
    platform = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'faasload.js'), 'platform', 'start', '--port', '0', '--runtime', 'process'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const kill = setTimeout(() => platform?.kill('SIGKILL'), 280_000);
    platform.on('exit', () => clearTimeout(kill));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the platform did not start: ${out}`)), 60_000);
      platform!.stdout!.on('data', (d: Buffer) => {
        out += d;
        const host = /^apihost: (\S+)$/m.exec(out);
        const key = /^auth: (\S+)$/m.exec(out);
        if (host && key) {
          apihost = host[1]!;
          auth = key[1]!;
          clearTimeout(timer);
          resolve();
        }
      });
      platform!.on('exit', (code) => reject(new Error(`the platform exited (${code}): ${out}`)));
    });
  });

  after(async () => {
    if (platform && platform.exitCode === null) {
      const exited = new Promise((r) => platform!.once('exit', r));
      platform.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('fire the whole plan between them, merge into one dataset, and verify as the whole plan', async () => {
    // Far enough ahead for three Node processes to start on a busy 2-core machine; a shard that
    // is later still fires on the common timeline (its first arrivals late), up to 60 s.
    const startAtMs = Math.ceil(Date.now() / 1000) * 1000 + 20_000;
    const startAt = new Date(startAtMs).toISOString();
    const runs = Array.from({ length: SHARDS }, (_, i) => join(dir, `shard-${i}`));
    const results = await Promise.all(
      runs.map((out, i) =>
        runCli(
          [
            'replay',
            TRACE,
            ...PLAN,
            '--platform',
            'openwhisk',
            '--apihost',
            apihost,
            '--auth',
            auth,
            '--shard',
            `${i}/${SHARDS}`,
            '--start-at',
            startAt,
            '--start-tolerance',
            '60s',
            '--pacing',
            'timer',
            '--out',
            out,
            '--json',
          ],
          200_000,
        ),
      ),
    );
    for (const [i, r] of results.entries()) assert.equal(r.code, 0, `shard ${i}: ${r.stderr}`);

    const { plan: full } = await loadPlan({ trace: TRACE, speed: 60, warpDurations: true, seed: 4 });
    const expected = [...full.arrivals()];
    const manifests: Manifest[] = [];
    for (const [i, run] of runs.entries()) {
      const m = JSON.parse(await readFile(join(run, 'manifest.json'), 'utf8')) as Manifest;
      manifests.push(m);
      assert.equal(m.status, 'complete', `shard ${i}`);
      assert.equal(m.shard?.index, i);
      assert.equal(m.shard?.count, SHARDS);
      assert.equal(m.startAt?.at, startAt);
      // The platform runs on this machine: its HTTP Date header gives an offset of about 0. Node
      // refreshes its cached Date header on a timer, late by the server's event-loop lag (tens of
      // ms on this busy machine), so the tick is seen late and the estimate leans positive.
      const c = m.clockOffset!;
      if (c.source === 'http-date') {
        assert.ok(
          Math.abs(c.offsetMs!) <= c.uncertaintyMs! + 250,
          `shard ${i}: ${c.offsetMs} ms ±${c.uncertaintyMs}`,
        );
      } else assert.equal(c.source, 'chronyc', JSON.stringify(c));
      const rows = rowsOf(await readParquetTable(join(run, 'invocations.parquet')));
      assert.equal(rows.length, m.shard?.planned, `shard ${i}: a row per planned invocation`);
      assert.ok(rows.length > 0, `shard ${i} has invocations`);
      for (const r of rows)
        assert.ok(Number(r.scheduled_at) >= startAtMs, 'nothing scheduled before the start');
    }
    assert.equal(
      manifests.reduce((n, m) => n + (m.shard?.planned ?? 0), 0),
      expected.length,
    );

    const merged = join(dir, 'merged');
    const merge = await runCli(['dataset', 'merge', ...runs, '--out', merged, '--json'], 120_000);
    assert.equal(merge.code, 0, merge.stderr);
    const verify = await runCli(['dataset', 'verify', merged, '--json'], 120_000);
    assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    assert.equal(JSON.parse(verify.stdout).ok, true, verify.stdout);

    // Independently of verify: the merged rows are the unsharded plan, row for row.
    const rows = rowsOf(await readParquetTable(join(merged, 'invocations.parquet'))).sort(
      (a, b) => Number(a.seq) - Number(b.seq),
    );
    assert.equal(rows.length, expected.length);
    rows.forEach((r, k) => {
      const a = expected[k]!;
      assert.equal(Number(r.seq), a.seq);
      assert.equal(r.function, full.functions[a.fn]!.id);
      // scheduled_at is in ms here (rowsOf), with the microseconds as its fraction.
      assert.ok(
        Math.abs((Number(r.scheduled_at) - startAtMs) * 1000 - a.atUs) < 2,
        `seq ${a.seq}: on time 0`,
      );
    });
    const ok = rows.filter((r) => r.outcome === 'ok').length;
    assert.ok(ok >= 0.95 * rows.length, `${ok} of ${rows.length} invocations ok`);
  });
});
