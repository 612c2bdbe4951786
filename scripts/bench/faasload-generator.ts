/**
 * faasload as a load generator for the pacing benchmark: a CSV trace of one function at a
 * constant rate, replayed with `--platform http` against the sink (GET, as the peers send) with
 * the default flags (--pacing auto, no --warmup: every second of the run counts), or with a
 * pacing mode named; the lateness of every second of the run is read back from the run's
 * invocations.parquet, and the pacing auto chose (and why) from its manifest.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { messageOf } from '../../src/util/message.js';
import type { Generator, Lateness, Load } from './peers.js';
import { timedRun } from './timed-run.js';

/** dist/scripts/bench/ → the repository. */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = join(REPO, 'bin', 'faasload.js');
export const NOT_AVAILABLE = 'not available in this build';

/** Why this build cannot do an HTTP replay with a pacing mode, or undefined when it can. */
let why: string | undefined | null = null;
function missing(): string | undefined {
  if (why !== null) return why;
  try {
    const help = execFileSync(process.execPath, [BIN, 'replay', '--help'], { encoding: 'utf8' });
    why = /--pacing/.test(help) && /"http"/.test(help) ? undefined : NOT_AVAILABLE;
  } catch (err) {
    why = `${NOT_AVAILABLE} (${messageOf(err).split('\n')[0]})`;
  }
  return why;
}

/** A `time` column in seconds: one invocation every 1/rate s for `seconds`. */
export async function writeConstantRateTrace(path: string, rate: number, seconds: number): Promise<void> {
  const n = Math.round(rate * seconds);
  const rows = new Array<string>(n + 1);
  rows[0] = 'time';
  for (let i = 0; i < n; i++) rows[i + 1] = (i / rate).toFixed(6);
  await writeFile(path, `${rows.join('\n')}\n`);
}

/** Nearest-rank quantile of sorted values. */
const quantile = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/**
 * Lateness (sent_at - scheduled_at) of every sent invocation, warm-up rows included if any: over
 * the whole run, and per second of the run (by scheduled time: second 0 holds the plan's first
 * second); every outcome's count; from the run's dataset.
 */
export async function readLateness(runDir: string): Promise<Lateness> {
  const bytes = await readFile(join(runDir, 'invocations.parquet'));
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  const lateness = table.getChild('lateness_us')!;
  const scheduled = table.getChild('scheduled_at')!;
  const outcome = table.getChild('outcome')!;
  const late = new Float64Array(table.numRows);
  const atUs = new Float64Array(table.numRows);
  const outcomes: Record<string, number> = {};
  let sent = 0;
  let startUs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < table.numRows; i++) {
    const o = String(outcome.get(i));
    outcomes[o] = (outcomes[o] ?? 0) + 1;
    // Arrow JS reads timestamp[us] cells as epoch milliseconds (a number with a fraction).
    const cell = scheduled.get(i) as bigint | number;
    const at = typeof cell === 'bigint' ? Number(cell) : cell * 1000;
    if (at < startUs) startUs = at;
    const l = lateness.get(i) as bigint | number | null;
    if (l === null) continue;
    late[sent] = Number(l);
    atUs[sent++] = at;
  }
  const bySecond: number[][] = [];
  for (let i = 0; i < sent; i++) {
    const second = Math.floor((atUs[i]! - startUs) / 1e6);
    const xs = bySecond[second] ?? [];
    bySecond[second] = xs;
    xs.push(late[i]!);
  }
  const perSecondP99Ms = Array.from(bySecond, (xs) =>
    xs === undefined ? null : quantile(Float64Array.from(xs).sort(), 0.99) / 1000,
  );
  let worstSecond = 0;
  perSecondP99Ms.forEach((p, s) => {
    if (p !== null && p > (perSecondP99Ms[worstSecond] ?? -1)) worstSecond = s;
  });
  const sorted = late.subarray(0, sent).sort();
  let over1ms = 0;
  for (const l of sorted) if (l > 1000) over1ms++;
  return {
    sent,
    p50Ms: quantile(sorted, 0.5) / 1000,
    p99Ms: quantile(sorted, 0.99) / 1000,
    p999Ms: quantile(sorted, 0.999) / 1000,
    firstSecondP99Ms: perSecondP99Ms[0] ?? Number.NaN,
    worstSecondP99Ms: perSecondP99Ms[worstSecond] ?? Number.NaN,
    worstSecond,
    perSecondP99Ms,
    lateOver1ms: sent === 0 ? Number.NaN : over1ms / sent,
    outcomes,
  };
}

/** The pacing a run used and why, its start-up's CPU, young generation and scavenges, from its manifest. */
async function readPacing(runDir: string): Promise<string | undefined> {
  try {
    const m = JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8')) as {
      dispatch?: {
        pacing?: string;
        pacingReason?: string;
        startup?: { cpuMs: number; wallMs: number };
        warmedBeforeStart?: { durationMs: number };
        youngGeneration?: { semiSpaceMb: number | null; newSpaceMb: number };
        gc?: { scavenges: { count: number; maxMs: number; totalMs: number } };
      };
    };
    const d = m.dispatch;
    if (d?.pacing === undefined) return undefined;
    const startup = d.startup
      ? `; start-up ${d.startup.cpuMs} ms CPU, ${d.startup.wallMs} ms wall (warm-up ${d.warmedBeforeStart?.durationMs ?? '?'} ms)`
      : '';
    const young = d.youngGeneration
      ? `; semi-space ${d.youngGeneration.semiSpaceMb ?? 'node default'} MB (new space ${d.youngGeneration.newSpaceMb} MB)`
      : '';
    const gc = d.gc
      ? `; ${d.gc.scavenges.count} scavenges in the run (${d.gc.scavenges.totalMs} ms, longest ${d.gc.scavenges.maxMs} ms)`
      : '';
    return `${d.pacing} (${d.pacingReason})${startup}${young}${gc}`;
  } catch {
    return undefined;
  }
}

/** `pacing` undefined: the default flags (--pacing auto). */
function faasload(pacing?: 'precise' | 'timer'): Generator {
  return {
    tool: 'faasload',
    mode: pacing ?? 'defaults',
    missing,
    run: async (l: Load) => {
      const trace = join(l.workDir, 'trace.csv');
      await writeConstantRateTrace(trace, l.rate!, l.seconds);
      const out = join(l.workDir, 'run');
      await mkdir(out);
      const run = await timedRun(
        process.execPath,
        [
          BIN,
          'replay',
          trace,
          ...['--format', 'csv', '--time-column', 'time', '--time-unit', 's'],
          ...['--platform', 'http', '--url', `${l.url}/{function}`, '--method', 'GET'],
          ...(pacing === undefined ? [] : ['--pacing', pacing]),
          ...['--max-in-flight', '100000', '--connections', String(l.connections)],
          ...['--out', out, '--json'],
        ],
        { timeoutS: l.seconds + 30, cwd: REPO },
      );
      if (run.code !== 0) return { run };
      const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { dir?: string };
      const dir = summary.dir ?? out;
      const pacingUsed = await readPacing(dir);
      return { run, lateness: await readLateness(dir), ...(pacingUsed ? { pacing: pacingUsed } : {}) };
    },
  };
}

/** The default flags; `--tools faasload-precise,faasload-timer` adds the pacing modes named. */
export const FAASLOAD: Generator[] = [faasload()];
export const FAASLOAD_MODES: Generator[] = [
  { ...faasload('precise'), tool: 'faasload-precise' },
  { ...faasload('timer'), tool: 'faasload-timer' },
];
