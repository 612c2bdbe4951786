/**
 * Runs the benchmark suites: all of them, or those named, each in a process of its own.
 *
 *   npm run bench                        parse, plan, pacing, then platform
 *   npm run bench -- pacing --seconds 3  one suite; the other arguments go to each suite named
 *
 * Suites: parse (trace-parse.ts), plan (plan-rate.ts), pacing (pacing.ts), http (http-client.ts),
 * platform (platform.ts), platform-fleet (platform-fleet.ts: 500 functions' idle instances, minutes
 * of wall time), simulate (simulate.ts), monitor (monitor.ts), report (report.ts), schedule
 * (schedule.ts). Before pacing,
 * scripts/bench/peers.sh installs its peers outside the repository (a peer it cannot install is
 * reported as 'not installed'); FAASLOAD_BENCH_NO_INSTALL=1 skips that step.
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** dist/scripts/bench/ → the repository. */
const REPO = resolve(HERE, '..', '..', '..');
const DAY_DIR = join(process.env.TMPDIR || tmpdir(), 'faasload-bench-day');
/** simulate's day: `trace synth --like azure2019` (~439 M invocations). */
const PAPER_DAY_DIR = join(process.env.TMPDIR || tmpdir(), 'faasload-bench-paper-day');
const SUITES: Record<string, { script: string; args: string[] }> = {
  parse: { script: 'trace-parse.js', args: ['--dir', DAY_DIR] },
  plan: { script: 'plan-rate.js', args: ['--dir', DAY_DIR] },
  pacing: { script: 'pacing.js', args: [] },
  http: { script: 'http-client.js', args: [] },
  platform: { script: 'platform.js', args: [] },
  'platform-fleet': { script: 'platform-fleet.js', args: [] },
  dataset: { script: 'dataset.js', args: [] },
  simulate: { script: 'simulate.js', args: ['--dir', PAPER_DAY_DIR] },
  counters: { script: 'counters.js', args: [] },
  monitor: { script: 'monitor.js', args: [] },
  report: { script: 'report.js', args: [] },
  schedule: { script: 'schedule.js', args: ['--dir', DAY_DIR, '--paper-dir', PAPER_DAY_DIR] },
};

const argv = process.argv.slice(2);
const named = argv.filter((a) => a in SUITES);
const rest = argv.filter((a) => !(a in SUITES));
if (named.length === 0 && rest.length > 0) {
  process.stderr.write(`name a suite (${Object.keys(SUITES).join(', ')}) to pass it arguments\n`);
  process.exit(2);
}
for (const name of named.length > 0 ? named : Object.keys(SUITES)) {
  const suite = SUITES[name]!;
  if (name === 'pacing' && process.env.FAASLOAD_BENCH_NO_INSTALL !== '1') {
    process.stderr.write('installing the pacing peers (scripts/bench/peers.sh)\n');
    spawnSync(join(REPO, 'scripts', 'bench', 'peers.sh'), { stdio: ['ignore', 2, 2] });
  }
  process.stderr.write(`\n== bench ${name} ==\n`);
  const { status } = spawnSync(process.execPath, [join(HERE, suite.script), ...suite.args, ...rest], {
    stdio: 'inherit',
    cwd: REPO,
  });
  if (status !== 0) {
    process.stderr.write(`bench ${name} failed (exit ${status})\n`);
    process.exit(status ?? 1);
  }
}
