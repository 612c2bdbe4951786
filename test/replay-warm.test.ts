/**
 * A replay is warm at its time zero (issue 20, defects 2 and 3): the connections the plan needs
 * are open and the send path has run before the first planned send, none of that throw-away work
 * reaches the target or the dataset, and `--pacing auto` says in the manifest why it chose.
 * Nothing here is timed: the order of events is checked, not how late anything was.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { replay } from '../src/run/replay.js';
import { epochUs } from '../src/util/time.js';
import { closedAfterEach, scratchDir } from './helpers/cleanup.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const closers = closedAfterEach();
const dir = scratchDir('faasload-replay-warm-');

/** A server that notes when each connection was opened and each request arrived (epoch µs). */
async function recordingServer() {
  const connectedAtUs: number[] = [];
  const requests: { atUs: number; url: string; connectedAtUs: number }[] = [];
  const opened = new WeakMap<object, number>();
  const server = createServer((req, res) => {
    requests.push({
      atUs: epochUs(),
      url: req.url ?? '',
      connectedAtUs: opened.get(req.socket) ?? Number.NaN,
    });
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-length': '2' }).end('ok'));
  });
  server.on('connection', (socket) => {
    const at = epochUs();
    connectedAtUs.push(at);
    opened.set(socket, at);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, connectedAtUs, requests };
}

describe('replay warm-up before time zero', () => {
  test('connections are open and the send path has run before the first planned send; no warm-up row or request', async () => {
    const sink = await recordingServer();
    // 40 invocations of two functions over 0.2 s: a peak of 40/s.
    const trace = join(dir, 'trace.csv');
    const lines = Array.from(
      { length: 40 },
      (_, i) => `${(i * 0.005).toFixed(3)},${i % 2 === 0 ? 'a' : 'b'}`,
    );
    await writeFile(trace, `time,fn\n${lines.join('\n')}\n`);
    const out = join(dir, 'run');
    const { manifest } = await replay({
      trace,
      format: 'csv',
      csv: { timeColumn: 'time', functionColumn: 'fn' },
      platform: 'http',
      http: { url: `http://127.0.0.1:${sink.port}/{function}`, method: 'GET', connections: 4 },
      out,
    });

    const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    assert.equal(rows.length, 40, 'one row per planned invocation, no warm-up row');
    assert.deepEqual(
      rows.map((r) => Number(r.seq)).sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.ok(rows.every((r) => r.phase === 'measure' && r.outcome === 'ok'));
    // The target got the plan's requests and nothing else (warm-up sends go to a server of faasload's own).
    assert.equal(sink.requests.length, 40);
    const names = new Set(rows.map((r) => `/${String(r.target)}`));
    assert.equal(names.size, 2);
    assert.ok(sink.requests.every((r) => names.has(r.url)));

    // Timestamps read back as epoch ms: the run's time zero is the earliest scheduled_at.
    const firstScheduledUs = Math.min(...rows.map((r) => Number(r.scheduled_at) * 1000));
    assert.ok(sink.connectedAtUs.length >= 1);
    assert.ok(
      sink.connectedAtUs[0]! < firstScheduledUs,
      `first connection at ${sink.connectedAtUs[0]} µs, after the first planned send at ${firstScheduledUs} µs`,
    );
    // The run's first request went over a connection opened before time zero. (Later ones may
    // open more: the pool grows when answers are slower than the warm-up's estimate.)
    const first = sink.requests.reduce((a, b) => (b.atUs < a.atUs ? b : a));
    assert.ok(
      first.connectedAtUs < firstScheduledUs,
      `the first request came over a connection opened ${first.connectedAtUs - firstScheduledUs} µs after time zero`,
    );

    const warmed = manifest.dispatch?.warmedBeforeStart;
    assert.equal(warmed?.sendPath, 'platform');
    assert.ok((warmed?.invocations ?? 0) > 0);
    assert.equal(manifest.counts.planned, 40);
    const startup = manifest.dispatch?.startup;
    assert.ok(startup !== undefined && startup.cpuMs > 0 && startup.wallMs >= warmed!.durationMs);
  });

  test('--pacing auto records in the manifest the peak rate and free cores it chose by', async () => {
    const sink = await recordingServer();
    const trace = join(dir, 'auto.csv');
    await writeFile(
      trace,
      `time\n${Array.from({ length: 30 }, (_, i) => (i * 0.01).toFixed(2)).join('\n')}\n`,
    );
    const out = join(dir, 'auto');
    const { manifest } = await replay({
      trace,
      format: 'csv',
      platform: 'http',
      http: { url: `http://127.0.0.1:${sink.port}/f`, method: 'GET' },
      out,
    });
    const dispatch = manifest.dispatch!;
    assert.ok(dispatch.pacing === 'precise' || dispatch.pacing === 'timer');
    assert.match(dispatch.pacingReason, /^auto: plan peak 30\/s: .* of \d+ cores free/);
  });
});
