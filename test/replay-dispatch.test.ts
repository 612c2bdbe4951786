import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

/*
 * Replays through the CLI against a real HTTP server on 127.0.0.1 (the generic http platform):
 * what the dispatcher promises at the level of a whole run — every planned invocation has one
 * row, the warm-up is marked, the timeline is written, and a stop by signal or by lag still
 * writes everything, with its own exit code.
 */

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-dispatch-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A CSV trace of `n` invocations at `rate` per second (one function). */
async function csvTrace(name: string, n: number, rate: number): Promise<string> {
  const path = join(dir, `${name}.csv`);
  const rows = Array.from({ length: n }, (_, i) => (i / rate).toFixed(6));
  await writeFile(path, `time\n${rows.join('\n')}\n`);
  return path;
}

/** An HTTP server on 127.0.0.1 that answers each request after `delayMs` (never if null). */
async function server(
  delayMs: number | null,
): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const s: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received++;
    req.resume();
    if (delayMs === null) return;
    setTimeout(() => res.end('ok'), delayMs);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/{function}`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}

const csvFlags = ['--format', 'csv', '--time-column', 'time', '--time-unit', 's'];

async function manifestOf(out: string) {
  return JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
}

describe('replay on the http platform', () => {
  it('sends every invocation, marks the warm-up and writes the timeline', async () => {
    const srv = await server(1);
    try {
      const trace = await csvTrace('steady', 300, 200); // 1.5 s at 200/s
      const out = join(dir, 'steady');
      const r = await runCli([
        'replay',
        trace,
        ...csvFlags,
        '--platform',
        'http',
        '--url',
        srv.url.replace('http://', 'http://user:pw-s3cret@'),
        '--header',
        'Authorization: Bearer s3cret-token',
        '--warmup',
        '500ms',
        '--out',
        out,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(srv.received(), 300);
      const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
      assert.equal(rows.length, 300);
      assert.equal(rows.filter((x) => x.outcome === 'ok').length, 300);
      assert.equal(rows.filter((x) => x.phase === 'warmup').length, 100);
      for (const x of rows) {
        assert.ok((x.fired_at as number) >= (x.scheduled_at as number), 'fired before its time');
        assert.ok((x.sent_at as number) >= (x.fired_at as number), 'sent before it was fired');
        assert.ok((x.latency_from_schedule_us as bigint) >= (x.latency_us as bigint));
      }
      const timeline = rowsOf(await readParquetTable(join(out, 'timeline.parquet')));
      assert.equal(
        timeline.reduce((s, x) => s + Number(x.sent), 0),
        300,
      );
      assert.equal(
        timeline.reduce((s, x) => s + Number(x.requested), 0),
        300,
      );
      const m = await manifestOf(out);
      assert.equal(m.status, 'complete');
      assert.equal(m.platform.kind, 'http');
      assert.ok(['precise', 'timer'].includes(m.dispatch.pacing));
      assert.ok(m.dispatch.latenessUs.p99 >= m.dispatch.latenessUs.p50);
      assert.equal(m.tables.timeline.rows, timeline.length);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      assert.equal(summary.warmup, 100);
      const text = await readFile(join(out, 'manifest.json'), 'utf8');
      assert.ok(!text.includes('s3cret'), 'no password, key or authorization header in the manifest');
    } finally {
      await srv.close();
    }
  });

  it('on SIGINT stops firing, lets in-flight invocations finish, writes every row and exits 130', async () => {
    const srv = await server(300);
    try {
      const trace = await csvTrace('stopped', 400, 100); // 4 s at 100/s
      const out = join(dir, 'stopped');
      let signalled = false;
      const r = await runCli(
        ['replay', trace, ...csvFlags, '--platform', 'http', '--url', srv.url, '--out', out, '--progress'],
        60_000,
        (child, stderr) => {
          if (!signalled && /pacing:/.test(stderr)) {
            signalled = true;
            setTimeout(() => child.kill('SIGINT'), 1000);
          }
        },
      );
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /SIGINT: no new invocations/);
      const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
      assert.equal(rows.length, 400, 'one row per planned invocation');
      const by = (o: string) => rows.filter((x) => x.outcome === o).length;
      assert.ok(by('cancelled') > 200, `cancelled ${by('cancelled')}`);
      assert.equal(by('ok') + by('cancelled'), 400, 'in-flight ones were let finish');
      assert.equal(by('ok'), srv.received());
      const m = await manifestOf(out);
      assert.equal(m.status, 'stopped');
      assert.equal(m.dispatch.stopReason, 'SIGINT');
    } finally {
      await srv.close();
    }
  });

  it('on a second SIGINT aborts what is in flight at once, and still writes every row', async () => {
    const srv = await server(null);
    try {
      const trace = await csvTrace('aborted', 200, 100);
      const out = join(dir, 'hard-stop');
      let signalled = 0;
      const r = await runCli(
        ['replay', trace, ...csvFlags, '--platform', 'http', '--url', srv.url, '--out', out, '--grace', '1m'],
        60_000,
        (child, stderr) => {
          if (signalled === 0 && /pacing:/.test(stderr)) {
            signalled = 1;
            setTimeout(() => child.kill('SIGINT'), 500);
          } else if (signalled === 1 && /SIGINT: no new/.test(stderr)) {
            signalled = 2;
            setTimeout(() => child.kill('SIGINT'), 200);
          }
        },
      );
      assert.equal(r.code, 130, r.stderr);
      const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
      assert.equal(rows.length, 200);
      const aborted = rows.filter((x) => x.outcome === 'error');
      assert.equal(aborted.length, srv.received());
      assert.ok(aborted.length > 0);
      assert.ok(
        aborted.every((x) => /abort/i.test(String(x.error))),
        String(aborted[0]?.error),
      );
    } finally {
      await srv.close();
    }
  });

  it('with --abort-on-lag stops a run that falls behind its plan, exit 6, every row written', async () => {
    const srv = await server(200);
    try {
      const trace = await csvTrace('lagging', 2000, 200); // 10 s at 200/s; 1 in flight can do 5/s
      const out = join(dir, 'lagging');
      const r = await runCli(
        [
          'replay',
          trace,
          ...csvFlags,
          '--platform',
          'http',
          '--url',
          srv.url,
          '--out',
          out,
          '--max-in-flight',
          '1',
          '--abort-on-lag',
        ],
        60_000,
      );
      assert.equal(r.code, 6, r.stderr);
      assert.match(
        r.stderr,
        /warning: at \d+ s: sent \d+\/s over the last 5 s, [\d.]+% below the planned 200\/s; stopping/,
      );
      const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
      assert.equal(rows.length, 2000);
      assert.ok(rows.filter((x) => x.outcome === 'cancelled').length > 0);
      const m = await manifestOf(out);
      assert.equal(m.status, 'aborted');
      assert.equal(m.dispatch.lagAlerts[0].kind, 'rate');
    } finally {
      await srv.close();
    }
  });
});
