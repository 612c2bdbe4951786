/**
 * The receiving end of the pacing benchmark: an HTTP server on 127.0.0.1, in a process of its
 * own, that answers 200 "ok" to any request and records each one's arrival time, so that every
 * load generator is measured the same way.
 *
 *   node dist/scripts/bench/sink.js [--port 0] [--exit-with-stdin]   prints {"port": N} once listening
 *
 * GET /__stats returns the arrivals since the last reset (that request is not counted);
 * GET /__stats?reset=1 returns them and starts a new run. startSink() runs it as a child.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Arrivals of one run: count, first and last (epoch µs) and counts per epoch second. */
export interface SinkStats {
  count: number;
  firstUs: number;
  lastUs: number;
  /** Requests that arrived in each whole epoch second from the first arrival's to the last's. */
  perSecond: number[];
}

const STATS_PATH = '/__stats';

/** Epoch microseconds from the monotonic clock (anchored once to the wall clock). */
function epochClock(): () => number {
  const anchorUs = Date.now() * 1000;
  const start = process.hrtime();
  return () => {
    const [s, ns] = process.hrtime(start);
    return anchorUs + s * 1e6 + ns / 1e3;
  };
}

function summarize(arrivals: Float64Array, count: number): SinkStats {
  if (count === 0) return { count, firstUs: 0, lastUs: 0, perSecond: [] };
  const firstUs = arrivals[0]!;
  const lastUs = arrivals[count - 1]!;
  const firstSecond = Math.floor(firstUs / 1e6);
  const perSecond = new Array<number>(Math.floor(lastUs / 1e6) - firstSecond + 1).fill(0);
  for (let i = 0; i < count; i++) perSecond[Math.floor(arrivals[i]! / 1e6) - firstSecond]!++;
  return { count, firstUs, lastUs, perSecond };
}

function serve(port: number): void {
  const now = epochClock();
  let arrivals = new Float64Array(1 << 20);
  let count = 0;
  const server = createServer((req, res) => {
    if (req.url?.startsWith(STATS_PATH)) {
      const stats = summarize(arrivals, count);
      if (req.url.includes('reset=1')) count = 0;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    if (count === arrivals.length) {
      const bigger = new Float64Array(arrivals.length * 2);
      bigger.set(arrivals);
      arrivals = bigger;
    }
    arrivals[count++] = now();
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
  });
  // Load generators keep connections open for the whole run.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  server.requestTimeout = 0;
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  if (process.argv.includes('--exit-with-stdin')) {
    // Started by startSink(): never outlive the benchmark, even if it dies.
    process.stdin.on('end', () => process.exit(0)).resume();
  }
}

export interface Sink {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** The arrivals since the last call (each call starts a new run). */
  take(): Promise<SinkStats>;
  stop(): void;
}

/** Starts the sink in a child process and resolves once it listens. */
export async function startSink(): Promise<Sink> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), '--exit-with-stdin'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(line));
    child.once('exit', (code) => reject(new Error(`sink exited ${code} before listening`)));
  });
  const { port } = JSON.parse(firstLine) as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    take: async () => (await (await fetch(`${url}${STATS_PATH}?reset=1`)).json()) as SinkStats,
    stop: () => child.kill('SIGTERM'),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--port');
  serve(i > 0 ? Number(process.argv[i + 1]) : 0);
}
