import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FaasloadError } from '../../src/errors.js';
import type { ArrivalSource, Trace } from '../../src/trace/types.js';

/** Test fixtures for the trace readers: temporary folders of small CSV files, naive parsing. */

const made: string[] = [];

/** A fresh temporary folder holding `files` (path relative to it → text). */
export async function tmpTrace(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'faasload-trace-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

/** Removes every folder tmpTrace made; call from after(). */
export async function removeTmpTraces(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Splits CSV text without quotes into rows of cells: the independent check on the readers. */
export function naiveCsv(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .map((line) => line.split(','));
}

/** Asserts that `promise` rejects with a FaasloadError of `code` whose message matches `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof FaasloadError, `expected a FaasloadError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

/** Escapes text for use inside a RegExp. */
export function re(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The per-invocation source of function fn, asserting that it is one. */
export function timesOf(trace: Trace, fn: number): Extract<ArrivalSource, { kind: 'times' }> {
  const source = trace.arrivals(fn);
  assert.equal(source.kind, 'times');
  return source;
}
