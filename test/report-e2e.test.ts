import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'undici';
import { replay } from '../src/run/replay.js';
import { chromiumPath, need } from './helpers/cannot-run.js';
import { runCli } from './helpers/cli.js';
import { AZURE2021_FILE } from './helpers/paths.js';

/**
 * End to end: a short real replay on the embedded platform, `faasload report` on its folder, and
 * the page opened in headless Chromium (Debian's chromium package) through the DevTools
 * protocol on 127.0.0.1: it loads with no error and no network request, and every figure is
 * drawn with a size and marks. Without a Chromium this test fails under CI and skips loudly
 * elsewhere (FAASLOAD_CHROMIUM names a binary).
 */

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faasload-report-e2e-'));
});
after(async () => {
  // Chromium's helper processes may still be flushing the profile for a moment.
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** A minimal DevTools protocol client: one browser socket, flat sessions. */
class Cdp {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly events: { method: string; params: Record<string, unknown>; sessionId?: string }[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (e) => {
      const msg = JSON.parse(String(e.data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
        sessionId?: string;
      };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        this.events.push({
          method: msg.method,
          params: msg.params ?? {},
          ...(msg.sessionId ? { sessionId: msg.sessionId } : {}),
        });
      }
    });
  }
  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => resolve(new Cdp(ws)));
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
    });
  }
  send<T>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
    );
  }
  async waitFor(method: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.events.some((e) => e.method === method)) {
      if (Date.now() > end) throw new Error(`no ${method} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  close(): void {
    this.ws.close();
  }
}

/** Starts headless Chromium with the DevTools protocol on a free loopback port. */
function launch(binary: string, profile: string): Promise<{ child: ChildProcess; wsUrl: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      binary,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--no-default-browser-check',
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        `--user-data-dir=${profile}`,
        'about:blank',
      ],
      // Its own process group, so that stop() ends its helper processes too.
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start in 30 s:\n${err}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, wsUrl: m[1]! });
      }
    });
    child.on('error', reject);
  });
}

/** Waits up to 5 s for Chromium to exit after Browser.close, then kills its process group. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

describe('report end to end', () => {
  it('a real replay, its report, and the page in headless Chromium', { timeout: 180_000 }, async (t) => {
    const run = join(dir, 'run');
    // The first 5 trace minutes of the Azure 2021 sample, 100x faster: a few seconds.
    await replay({
      trace: AZURE2021_FILE,
      toUs: 300e6,
      speed: 100,
      warpDurations: true,
      maxDurationMs: 50,
      out: run,
    });
    const cli = await runCli(['report', run], 120_000);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^run\s+\S+/m);
    assert.match(cli.stdout, /report\s+\S+report\.html/);
    const files = await readdir(join(run, 'figures'));
    for (const name of ['requests-over-time', 'lateness-cdf', 'latency-cdf', 'cold-start-share'])
      for (const ext of ['svg', 'csv', 'vl.json', 'png'])
        assert.ok(files.includes(`${name}.${ext}`), `${name}.${ext}`);
    const html = await readFile(join(run, 'report.html'), 'utf8');
    const expected = [...html.matchAll(/data-figure="([^"]*)"/g)].map((m) => m[1]!);
    assert.ok(expected.length >= 4, expected.join(', '));
    // With the monitors' tables (the default monitors write them), their figures are drawn.
    if (existsSync(join(run, 'host_samples.parquet')))
      assert.ok(expected.includes('host-cpu'), expected.join(', '));
    if (existsSync(join(run, 'process_samples.parquet')))
      assert.ok(expected.includes('instance-cpu'), expected.join(', '));

    const missing = await need('chromium', 'THE REPORT IN A BROWSER');
    const binary = chromiumPath();
    if (missing || !binary) {
      t.skip(missing);
      return;
    }
    const { child, wsUrl } = await launch(binary, join(dir, 'profile'));
    try {
      const cdp = await Cdp.connect(wsUrl);
      try {
        const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', {
          url: 'about:blank',
        });
        const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
          targetId,
          flatten: true,
        });
        for (const domain of ['Page', 'Runtime', 'Log', 'Network'])
          await cdp.send(`${domain}.enable`, {}, sessionId);
        await cdp.send('Page.navigate', { url: pathToFileURL(join(run, 'report.html')).href }, sessionId);
        await cdp.waitFor('Page.loadEventFired', 30_000);
        const { result } = await cdp.send<{ result: { value: string } }>(
          'Runtime.evaluate',
          {
            expression: `JSON.stringify([...document.querySelectorAll('figure[data-figure]')].map((f) => {
              const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
              return { name: f.dataset.figure, width: box ? box.width : 0, height: box ? box.height : 0,
                marks: svg ? svg.querySelectorAll('.role-mark path, .role-mark').length : 0 };
            }))`,
            returnByValue: true,
          },
          sessionId,
        );
        const drawn = JSON.parse(result.value) as {
          name: string;
          width: number;
          height: number;
          marks: number;
        }[];
        assert.deepEqual(
          drawn.map((d) => d.name),
          expected,
        );
        for (const d of drawn) {
          assert.ok(d.width > 200 && d.height > 150, `${d.name} is drawn ${d.width}x${d.height}`);
          assert.ok(d.marks > 0, `${d.name} has marks`);
        }
        const errors = cdp.events.filter(
          (e) =>
            e.method === 'Runtime.exceptionThrown' ||
            (e.method === 'Log.entryAdded' && (e.params.entry as { level: string }).level === 'error') ||
            (e.method === 'Runtime.consoleAPICalled' && e.params.type === 'error'),
        );
        assert.deepEqual(errors, []);
        const requests = cdp.events
          .filter((e) => e.method === 'Network.requestWillBeSent')
          .map((e) => (e.params.request as { url: string }).url)
          .filter((u) => !u.startsWith('file:'));
        assert.deepEqual(requests, [], 'the page asked the network for nothing');
      } finally {
        await cdp.send('Browser.close').catch(() => {});
        cdp.close();
      }
    } finally {
      await stop(child);
    }
  });
});
