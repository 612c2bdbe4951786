/**
 * The peer load generators of the pacing benchmark, as scripts/bench/peers.sh installs them:
 * wrk and hey from apt (on PATH), autocannon and Artillery from npm in the peers prefix. Each
 * is one Generator: how to run it at a rate for a duration, or why it is not installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TimedRun, timedRun } from './timed-run.js';

/** One run's load: a rate (null: as fast as it goes, closed loop) for a duration. */
export interface Load {
  rate: number | null;
  seconds: number;
  /** The sink's base URL, http://127.0.0.1:PORT */
  url: string;
  connections: number;
  /** A fresh folder for this run's files. */
  workDir: string;
}

/** What faasload also reports from its dataset (seconds of lateness, sent - scheduled). */
export interface Lateness {
  sent: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** p99 of the run's first second, and of its worst second (which one), by scheduled time. */
  firstSecondP99Ms: number;
  worstSecondP99Ms: number;
  worstSecond: number;
  perSecondP99Ms: (number | null)[];
  /** Share of the sent invocations that left more than 1 ms late. */
  lateOver1ms: number;
  outcomes: Record<string, number>;
}

export interface Generator {
  tool: string;
  mode: string;
  /** Closed loop: runs once per repetition, at no requested rate (the ceiling). */
  closedLoop?: boolean;
  /** Why it cannot run here, or undefined when it can. */
  missing(): string | undefined;
  /** pacing: what the run chose and why (faasload's manifest). */
  run(load: Load): Promise<{ run: TimedRun; lateness?: Lateness; pacing?: string }>;
}

export const PEERS_PREFIX =
  process.env.FAASLOAD_BENCH_PEERS ?? join(process.env.TMPDIR || tmpdir(), 'faasload-bench-peers');
const npmBin = (name: string) => join(PEERS_PREFIX, 'node_modules', '.bin', name);
const onPath = (name: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const notInstalled = (ok: boolean) => (ok ? undefined : 'not installed (run scripts/bench/peers.sh)');
/** Grace past the requested duration before a run is stopped (start-up, draining). */
const timeoutS = (load: Load) => load.seconds + 30;
const TARGET_PATH = '/fn';

export const wrk: Generator = {
  tool: 'wrk',
  mode: 'closed loop, 1 thread',
  closedLoop: true,
  missing: () => notInstalled(onPath('wrk')),
  run: async (l) => ({
    run: await timedRun('wrk', ['-t1', `-c${l.connections}`, `-d${l.seconds}s`, `${l.url}${TARGET_PATH}`], {
      timeoutS: timeoutS(l),
    }),
  }),
};

export const hey: Generator = {
  tool: 'hey',
  mode: '-q per worker',
  missing: () => notInstalled(onPath('hey')),
  run: async (l) => ({
    run: await timedRun(
      'hey',
      [
        '-c',
        String(l.connections),
        '-q',
        String(l.rate! / l.connections),
        '-z',
        `${l.seconds}s`,
        `${l.url}${TARGET_PATH}`,
      ],
      { timeoutS: timeoutS(l) },
    ),
  }),
};

export const autocannon: Generator = {
  tool: 'autocannon',
  mode: '--overallRate',
  missing: () => notInstalled(existsSync(npmBin('autocannon'))),
  run: async (l) => ({
    run: await timedRun(
      npmBin('autocannon'),
      [
        '-c',
        String(l.connections),
        '--overallRate',
        String(l.rate),
        '-d',
        String(l.seconds),
        '--json',
        `${l.url}${TARGET_PATH}`,
      ],
      { timeoutS: timeoutS(l) },
    ),
  }),
};

/** One phase at arrivalRate R; each virtual user sends one request over a shared pool. */
function artilleryConfig(l: Load): string {
  return [
    'config:',
    `  target: "${l.url}"`,
    '  phases:',
    `    - duration: ${l.seconds}`,
    `      arrivalRate: ${l.rate}`,
    '  http:',
    `    pool: ${l.connections}`,
    '    timeout: 10',
    'scenarios:',
    '  - flow:',
    '      - get:',
    `          url: "${TARGET_PATH}"`,
    '',
  ].join('\n');
}

export const artillery: Generator = {
  tool: 'artillery',
  mode: 'arrivalRate, 1 request per VU',
  missing: () => notInstalled(existsSync(npmBin('artillery'))),
  run: async (l) => {
    const config = join(l.workDir, 'artillery.yml');
    await writeFile(config, artilleryConfig(l));
    return {
      run: await timedRun(npmBin('artillery'), ['run', '--quiet', config], {
        timeoutS: timeoutS(l) + 30,
        env: { ARTILLERY_DISABLE_TELEMETRY: 'true' },
        cwd: l.workDir,
      }),
    };
  },
};

export const PEERS: Generator[] = [autocannon, hey, artillery, wrk];
