import { execFile } from 'node:child_process';
import { messageOf } from './message.js';

/**
 * An estimate of how far this machine's wall clock is from a reference, for the manifest of a
 * shard: shards started with --start-at agree only as well as their clocks do. faasload does not
 * correct clocks (that is the cluster's job); it records what it could learn, and how sure it is.
 */
export interface ClockOffsetFact {
  /** Local clock minus the reference, ms (positive: this clock is ahead); null if unknown. */
  offsetMs: number | null;
  /** The estimate is within ± this many ms; null if unknown. */
  uncertaintyMs: number | null;
  /** chronyc: `chronyc tracking`; http-date: the platform's HTTP Date header; none: neither. */
  source: 'chronyc' | 'http-date' | 'none';
  /** timedatectl's NTPSynchronized, when it answers. */
  ntpSynchronized?: boolean;
  detail: string;
  measuredAt: string;
}

export interface ClockOffsetOptions {
  /** The platform's address: an http(s) URL whose server sends a Date header (any status). */
  url?: string;
  /** The whole estimate's time budget, ms (the HTTP probe polls up to ~1.1 s for a second tick). */
  budgetMs?: number;
}

/**
 * Tries chronyc first (sub-millisecond, when chrony runs here), then the platform's HTTP Date
 * header: its resolution is one second, so the probe polls until the header's second ticks and
 * places the tick between two requests (±half their span, tens of ms on a LAN). Never throws:
 * a failure is a fact with source 'none'. Sends only GET requests without credentials.
 */
export async function estimateClockOffset(options: ClockOffsetOptions = {}): Promise<ClockOffsetFact> {
  const budgetMs = options.budgetMs ?? 3000;
  const deadline = Date.now() + budgetMs;
  const measuredAt = new Date().toISOString();
  const ntp = await timedatectlSynchronized(Math.min(1000, budgetMs));
  const withNtp = <T extends object>(f: T) => (ntp === undefined ? f : { ...f, ntpSynchronized: ntp });
  const chrony = await run('chronyc', ['tracking'], Math.min(1000, budgetMs));
  const parsed = chrony === undefined ? undefined : parseChronyTracking(chrony);
  if (parsed) return withNtp({ ...parsed, source: 'chronyc' as const, measuredAt });
  let why = 'chronyc did not answer';
  if (options.url && /^https?:\/\//i.test(options.url)) {
    try {
      const d = await httpDateOffset(options.url, deadline);
      return withNtp({ ...d, source: 'http-date' as const, measuredAt });
    } catch (err) {
      why += `; the HTTP Date probe of ${safeOrigin(options.url)} failed: ${messageOf(err)}`;
    }
  } else why += '; no HTTP platform address to probe';
  return withNtp({ offsetMs: null, uncertaintyMs: null, source: 'none' as const, detail: why, measuredAt });
}

/**
 * Reads `chronyc tracking`: "System time : 0.000012345 seconds fast of NTP time" (fast: this
 * clock is ahead), bounded by the root delay / 2 + root dispersion, as chrony documents.
 */
export function parseChronyTracking(
  text: string,
): Pick<ClockOffsetFact, 'offsetMs' | 'uncertaintyMs' | 'detail'> | undefined {
  const m = /System time\s*:\s*([\d.]+)\s+seconds\s+(fast|slow)/i.exec(text);
  if (!m) return undefined;
  const [, value, direction = ''] = m; // (fast|slow) always takes part
  const seconds = Number(value) * (direction.toLowerCase() === 'fast' ? 1 : -1);
  const delay = Number(/Root delay\s*:\s*([\d.]+)/i.exec(text)?.[1] ?? Number.NaN);
  const dispersion = Number(/Root dispersion\s*:\s*([\d.]+)/i.exec(text)?.[1] ?? Number.NaN);
  const bound = delay / 2 + dispersion;
  const reference = /Reference ID\s*:\s*(.*)/i.exec(text)?.[1]?.trim() ?? 'unknown';
  return {
    offsetMs: seconds * 1000,
    uncertaintyMs: Number.isFinite(bound) ? bound * 1000 : null,
    detail: `chronyc tracking, reference ${reference}`,
  };
}

/**
 * The server's clock from its Date header: GET until the header's second changes between two
 * answers; the tick is then between the first request's send and the second's answer.
 * Without a tick before the deadline, the last answer bounds it to ±(500 ms + half its RTT).
 */
async function httpDateOffset(
  url: string,
  deadlineMs: number,
): Promise<Pick<ClockOffsetFact, 'offsetMs' | 'uncertaintyMs' | 'detail'>> {
  let previous: { sentMs: number; receivedMs: number; dateMs: number } | undefined;
  let requests = 0;
  while (true) {
    const sentMs = nowMs();
    const left = Math.max(100, deadlineMs - Date.now());
    const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(left), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    const receivedMs = nowMs();
    requests++;
    const header = res.headers.get('date');
    const dateMs = header === null ? Number.NaN : Date.parse(header);
    if (Number.isNaN(dateMs)) throw new Error(`no Date header in the answer (HTTP ${res.status})`);
    if (previous && dateMs > previous.dateMs) {
      // The server's clock read dateMs (a whole second) somewhere in [previous.sent, received].
      const lo = previous.sentMs;
      const hi = receivedMs;
      return {
        offsetMs: (lo + hi) / 2 - dateMs,
        uncertaintyMs: (hi - lo) / 2,
        detail: `HTTP Date of ${safeOrigin(url)}: its second ticked between two of ${requests} requests`,
      };
    }
    previous = { sentMs, receivedMs, dateMs };
    if (Date.now() + 25 > deadlineMs) {
      return {
        offsetMs: (sentMs + receivedMs) / 2 - (dateMs + 500),
        uncertaintyMs: 500 + (receivedMs - sentMs) / 2,
        detail: `HTTP Date of ${safeOrigin(url)}: one-second resolution (no tick seen in ${requests} requests)`,
      };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The system's wall clock (the one NTP steers), ms. */
function nowMs(): number {
  return Date.now();
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(an invalid URL)';
  }
}

async function timedatectlSynchronized(timeoutMs: number): Promise<boolean | undefined> {
  const out = await run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], timeoutMs);
  const v = out?.trim().toLowerCase();
  return v === 'yes' ? true : v === 'no' ? false : undefined;
}

/** A command's stdout, or undefined if it is missing, fails or times out. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
}
