/**
 * The runtime proxy as a real child process, spoken to over HTTP on 127.0.0.1: OpenWhisk's action
 * protocol (/init once, /run), its errors, one activation at a time (or several with
 * __OW_ALLOW_CONCURRENT), the end-of-activation log markers, and exit when stdin closes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import {
  SYNTHETIC_ACTION_CODE,
  SYNTHETIC_IDLE_RELEASE_ENV,
  type SyntheticResult,
} from '../src/workload/synthetic-action.js';

const PROXY = fileURLToPath(new URL('../src/embedded/runtime/proxy.js', import.meta.url));
const TEST_TIMEOUT_MS = 15_000;

interface Proxy {
  child: ChildProcess;
  port: number;
  /** Everything the proxy printed on stdout (stderr) so far. */
  stdout(): string;
  stderr(): string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

async function startProxy(): Promise<Proxy> {
  const child = spawn(process.execPath, [PROXY], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    err += chunk;
  });
  child.stdout!.setEncoding('utf8');
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    exited.then(([code, signal]) =>
      reject(new Error(`proxy exited (${code ?? signal}) before its port line`)),
    );
  });
  const line = await firstLine;
  const port = (JSON.parse(line) as { port: number }).port;
  return {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    exited,
    async post(path, body) {
      const res = await request(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    },
  };
}

/** Starts a proxy, runs `body` with it, and always kills it. */
async function withProxy(body: (proxy: Proxy) => Promise<void>): Promise<void> {
  const proxy = await startProxy();
  try {
    await body(proxy);
  } finally {
    if (proxy.child.exitCode === null && proxy.child.signalCode === null) {
      proxy.child.kill('SIGKILL');
      await proxy.exited;
    }
  }
}

const ECHO = `
let calls = 0;
async function main(params) {
  calls++;
  return { params, calls, deadline: process.env.__OW_DEADLINE, activation: process.env.__OW_ACTIVATION_ID,
    greeting: process.env.GREETING };
}`;

const MARKER = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';

/** Counts the runs in progress; each returns the most it saw at once. */
const OVERLAP = `
let running = 0;
let maxRunning = 0;
async function main(p) {
  running++;
  maxRunning = Math.max(maxRunning, running);
  await new Promise((r) => setTimeout(r, 100));
  running--;
  return { n: p.n, maxRunning };
}`;

describe('runtime proxy', { timeout: TEST_TIMEOUT_MS * 4 }, () => {
  test('prints exactly one {"port":N} line once listening', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withProxy(async (proxy) => {
      assert.ok(Number.isInteger(proxy.port) && proxy.port > 0);
      await proxy.post('/run', { value: {} }); // any round trip: the line is long written
      assert.equal(proxy.stdout(), `${JSON.stringify({ port: proxy.port })}\n`);
    });
  });

  test('/init then /run returns what main returned, with env and __OW_ fields', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    await withProxy(async (proxy) => {
      const init = await proxy.post('/init', {
        value: { name: 'echo', main: 'main', code: ECHO, env: { GREETING: 'hi' } },
      });
      assert.equal(init.status, 200);
      const run = await proxy.post('/run', { value: { a: 1 }, activation_id: 'abc', deadline: '12345' });
      assert.equal(run.status, 200);
      assert.deepEqual(run.body, {
        params: { a: 1 },
        calls: 1,
        deadline: '12345',
        activation: 'abc',
        greeting: 'hi',
      });
      const again = await proxy.post('/run', { value: { a: 2 } });
      assert.equal(again.body.calls, 2, 'module-level state lives as long as the instance');
    });
  });

  test('a main given as exports[main] with another name', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withProxy(async (proxy) => {
      const code = 'exports.handler = (p) => ({ doubled: p.n * 2 });';
      assert.equal((await proxy.post('/init', { value: { name: 'x', main: 'handler', code } })).status, 200);
      assert.deepEqual((await proxy.post('/run', { value: { n: 21 } })).body, { doubled: 42 });
    });
  });

  test('a second /init is 403, as in OpenWhisk runtimes', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withProxy(async (proxy) => {
      assert.equal((await proxy.post('/init', { value: { code: ECHO } })).status, 200);
      const second = await proxy.post('/init', { value: { code: ECHO } });
      assert.equal(second.status, 403);
      assert.deepEqual(second.body, { error: 'cannot initialize the action more than once' });
    });
  });

  test('/run before /init is 403', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withProxy(async (proxy) => {
      const run = await proxy.post('/run', { value: {} });
      assert.equal(run.status, 403);
      assert.equal(typeof run.body.error, 'string');
    });
  });

  test('an action that throws, rejects or returns no object answers 502 {error}', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const cases: Array<[code: string, error: RegExp]> = [
      ['function main() { throw new Error("boom"); }', /^boom$/],
      ['async function main() { throw new Error("async boom"); }', /^async boom$/],
      ['function main() { return 42; }', /did not return a dictionary/],
      ['function main() { return [1]; }', /did not return a dictionary/],
    ];
    for (const [code, error] of cases) {
      await withProxy(async (proxy) => {
        assert.equal((await proxy.post('/init', { value: { code } })).status, 200);
        const run = await proxy.post('/run', { value: {} });
        assert.equal(run.status, 502, code);
        assert.match(String(run.body.error), error);
        // The instance is still usable after an application error.
        assert.equal((await proxy.post('/run', { value: {} })).status, 502);
      });
    }
  });

  test('a syntax error or a missing main fails /init with 502 {error}', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    await withProxy(async (proxy) => {
      const init = await proxy.post('/init', { value: { code: 'function main( {' } });
      assert.equal(init.status, 502);
      assert.equal(typeof init.body.error, 'string');
      assert.equal((await proxy.post('/run', { value: {} })).status, 403);
    });
    await withProxy(async (proxy) => {
      const init = await proxy.post('/init', {
        value: { main: 'nothere', code: 'function main() { return {}; }' },
      });
      assert.equal(init.status, 502);
      assert.match(String(init.body.error), /nothere/);
    });
  });

  test('concurrent /run requests run one at a time, in order', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withProxy(async (proxy) => {
      assert.equal((await proxy.post('/init', { value: { code: OVERLAP } })).status, 200);
      const runs = await Promise.all([1, 2, 3].map((n) => proxy.post('/run', { value: { n } })));
      for (const [i, run] of runs.entries()) {
        assert.equal(run.status, 200);
        assert.deepEqual(run.body, { n: i + 1, maxRunning: 1 });
      }
    });
  });

  test('__OW_ALLOW_CONCURRENT=true from /init lets runs overlap', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withProxy(async (proxy) => {
      const init = await proxy.post('/init', {
        value: { code: OVERLAP, env: { __OW_ALLOW_CONCURRENT: 'true' } },
      });
      assert.equal(init.status, 200);
      const runs = await Promise.all([1, 2, 3].map((n) => proxy.post('/run', { value: { n } })));
      assert.deepEqual(
        runs.map((r) => r.body.n),
        [1, 2, 3],
      );
      assert.equal(Math.max(...runs.map((r) => r.body.maxRunning as number)), 3);
      assert.ok(!proxy.stdout().includes(MARKER), 'no markers for concurrent activations');
    });
  });

  test('each activation ends with a marker line on stdout and stderr, after its output', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const code = `function main(p) { console.log('out ' + p.n); console.error('err ' + p.n); if (p.n === 2) throw new Error('no'); return {}; }`;
    await withProxy(async (proxy) => {
      assert.equal((await proxy.post('/init', { value: { code } })).status, 200);
      assert.equal((await proxy.post('/run', { value: { n: 1 } })).status, 200);
      assert.equal((await proxy.post('/run', { value: { n: 2 } })).status, 502);
      const lines = (text: string) => text.trimEnd().split('\n');
      assert.deepEqual(lines(proxy.stdout()).slice(1), ['out 1', MARKER, 'out 2', MARKER]);
      assert.deepEqual(lines(proxy.stderr()), ['err 1', MARKER, 'err 2', MARKER]);
    });
  });

  test('the synthetic function holds memory and runs for durationMs', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    await withProxy(async (proxy) => {
      assert.equal((await proxy.post('/init', { value: { code: SYNTHETIC_ACTION_CODE } })).status, 200);
      const run = await proxy.post('/run', { value: { durationMs: 100, memoryMb: 64 } });
      assert.equal(run.status, 200);
      const result = run.body as unknown as SyntheticResult;
      assert.equal(result.pid, proxy.child.pid);
      // The footprint is the trace's memory, the runtime's own included (within 8 MB).
      assert.ok(result.writtenMb > 0 && result.writtenMb < 64, `wrote ${result.writtenMb} MiB`);
      assert.ok(Math.abs(result.residentMb - 64) <= 8, `resident ${result.residentMb} MiB`);
      assert.ok(result.execMs >= 100, `execMs ${result.execMs}`);
      // A deadline already past stops the page writing at once.
      const late = await proxy.post('/run', { value: { memoryMb: 64 }, deadline: String(Date.now() - 1) });
      assert.equal((late.body as unknown as SyntheticResult).writtenMb, 0);
    });
  });

  test('the synthetic function gives its memory back once its instance has been idle a while', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    await withProxy(async (proxy) => {
      const env = { [SYNTHETIC_IDLE_RELEASE_ENV]: '200' };
      assert.equal((await proxy.post('/init', { value: { code: SYNTHETIC_ACTION_CODE, env } })).status, 200);
      const held = (await proxy.post('/run', { value: { memoryMb: 96 } })).body as unknown as SyntheticResult;
      assert.ok(held.residentMb >= 80, `resident ${held.residentMb} MiB while it runs`);
      // Within the idle time a call finds the memory still there.
      const warm = (await proxy.post('/run', { value: {} })).body as unknown as SyntheticResult;
      assert.ok(warm.residentMb >= 80, `resident ${warm.residentMb} MiB right after a call`);
      await sleep(1_000);
      const idle = (await proxy.post('/run', { value: {} })).body as unknown as SyntheticResult;
      assert.ok(idle.residentMb < held.runtimeMb + 16, `resident ${idle.residentMb} MiB after the idle time`);
    });
  });

  test('the child exits on its own when its stdin closes (its parent is gone)', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    await withProxy(async (proxy) => {
      proxy.child.stdin!.end();
      const [code, signal] = await proxy.exited;
      assert.equal(code, 0);
      assert.equal(signal, null);
    });
  });
});
