/** Cutting an instance's output into one log per activation (src/embedded/local/logs.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivationLogs, ACTIVATION_SENTINEL as END } from '../src/embedded/local/logs.js';

const text = (lines: string[]) => lines.map((l) => l.replace(/^\S+ /, ''));

test('lines split across chunks are joined; each claim gets one activation, in order', async () => {
  const logs = new ActivationLogs();
  const first = logs.next(1_000);
  const second = logs.next(1_000);
  logs.feed('stdout', 'hel');
  logs.feed('stdout', `lo\n${END}\nsecond out\n`);
  logs.feed('stderr', `oops\n${END}\n`);
  assert.deepEqual(text(await first), ['stdout: hello', 'stderr: oops']);
  logs.feed('stdout', `${END}\n`);
  logs.feed('stderr', `${END}\n`);
  assert.deepEqual(text(await second), ['stdout: second out']);
  for (const line of await first)
    assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z std(out|err): /);
});

test('past the wait a claim takes what is there; the rest of that activation is not given to the next', async () => {
  const logs = new ActivationLogs();
  logs.feed('stdout', `a\n${END}\n`);
  logs.feed('stderr', 'b\n');
  assert.deepEqual(text(await logs.next(20)), ['stdout: a', 'stderr: b']);
  logs.feed('stderr', `late b\n${END}\n`);
  logs.feed('stdout', `c\n${END}\n`);
  logs.feed('stderr', `d\n${END}\n`);
  assert.deepEqual(text(await logs.next(1_000)), ['stdout: c', 'stderr: d']);
});

test("an activation past the byte limit is cut with OpenWhisk's truncation line", async () => {
  const logs = new ActivationLogs(40);
  logs.feed('stdout', `${'x'.repeat(20)}\n${'y'.repeat(20)}\nz\n${END}\n`);
  logs.feed('stderr', `${END}\n`);
  assert.deepEqual(text(await logs.next(1_000)), [
    `stdout: ${'x'.repeat(20)}`,
    'stdout: Logs were truncated because the total bytes size exceeds the limit of 40 bytes.',
  ]);
});

test('a line that never ends is cut at the limit instead of growing without bound', async () => {
  const logs = new ActivationLogs(100);
  logs.feed('stdout', 'q'.repeat(60));
  logs.feed('stdout', 'q'.repeat(60));
  assert.deepEqual(text(await logs.next(0)), [
    'stdout: Logs were truncated because the total bytes size exceeds the limit of 100 bytes.',
  ]);
});
