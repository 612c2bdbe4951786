/**
 * Cuts an instance's stdout and stderr into one log per activation, as OpenWhisk's invoker does:
 * the runtime proxy ends each (non-concurrent) activation's output with a sentinel line on both
 * streams. Lines are formatted as OpenWhisk's activation logs are:
 * `2026-11-29T10:00:00.000Z stdout: text` (the time is when this process read the line).
 *
 * next() claims the log of the next activation, in order; it resolves once both streams have
 * passed their sentinel, or after waitMs with what was read so far (then the rest of that
 * activation's output, when its sentinel comes, is dropped rather than given to the next one).
 * Limits: at most limitBytes per activation (then a truncation line, as OpenWhisk writes), and a
 * few finished logs kept unclaimed (a concurrent action writes no sentinels: its output is capped
 * and dropped).
 */
export const ACTIVATION_SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';

/**
 * `text` without the sentinels: an instance's stderr tail, for error messages. A sentinel after
 * output that did not end its line is cut off that line; a tail that starts inside a sentinel
 * (the tail is the end of a longer text) loses that first piece.
 */
export function withoutSentinels(text: string): string {
  const kept: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') {
      kept.push(line);
      return;
    }
    const cut = line.replaceAll(ACTIVATION_SENTINEL, '');
    const t = cut.trim();
    if (t !== '' && !(i === 0 && ACTIVATION_SENTINEL.endsWith(t))) kept.push(cut);
  });
  return kept.join('\n');
}

export type LogStream = 'stdout' | 'stderr';

/** OpenWhisk's default log limit per activation (limits.logs, 10 MB). */
export const DEFAULT_LOG_LIMIT_BYTES = 10 * 1024 * 1024;
/** Finished logs nobody claimed that are kept (older ones are dropped). */
const MAX_UNCLAIMED = 8;

interface Line {
  atMs: number;
  text: string;
}

class StreamLog {
  partial = '';
  current: Line[] = [];
  currentBytes = 0;
  truncated = false;
  /** Finished segments, oldest first. */
  readonly done: Line[][] = [];
  /** Segments to drop when they finish: their activation has already taken what it could. */
  owed = 0;
}

interface Claim {
  settle(): void;
  timer: NodeJS.Timeout | undefined;
}

export class ActivationLogs {
  private readonly streams: Record<LogStream, StreamLog> = {
    stdout: new StreamLog(),
    stderr: new StreamLog(),
  };
  private readonly claims: Claim[] = [];

  constructor(private readonly limitBytes = DEFAULT_LOG_LIMIT_BYTES) {}

  /** Feeds output of one stream, in any chunking. */
  feed(stream: LogStream, text: string): void {
    const s = this.streams[stream];
    const lines = (s.partial + text).split('\n');
    s.partial = lines.pop() ?? '';
    // A line that never ends is cut, so that memory stays bounded.
    if (s.partial.length > this.limitBytes) {
      lines.push(s.partial);
      s.partial = '';
    }
    const atMs = Date.now();
    for (const line of lines) {
      if (line === ACTIVATION_SENTINEL) this.finish(s);
      else this.append(s, stream, { atMs, text: line });
    }
    this.serveClaims();
  }

  /** The next activation's log lines (see the header); waitMs 0 takes what is there now. */
  next(waitMs: number): Promise<string[]> {
    return new Promise((resolve) => {
      const claim: Claim = {
        timer: undefined,
        settle: () => {
          clearTimeout(claim.timer);
          resolve(this.take());
        },
      };
      this.claims.push(claim);
      if (this.ready() && this.claims.length === 1) {
        this.claims.shift();
        claim.settle();
        return;
      }
      const expire = () => {
        const at = this.claims.indexOf(claim);
        if (at < 0) return;
        // Earlier claims are settled first, in order, with whatever they can get.
        for (const earlier of this.claims.splice(0, at + 1)) earlier.settle();
      };
      if (waitMs <= 0) return expire();
      claim.timer = setTimeout(expire, waitMs);
    });
  }

  private append(s: StreamLog, stream: LogStream, line: Line): void {
    if (s.truncated) return;
    const text = `${stream}: ${line.text}`;
    const bytes = Buffer.byteLength(text);
    if (s.currentBytes + bytes > this.limitBytes) {
      s.truncated = true;
      s.current.push({
        atMs: line.atMs,
        text: `${stream}: Logs were truncated because the total bytes size exceeds the limit of ${this.limitBytes} bytes.`,
      });
      return;
    }
    s.currentBytes += bytes;
    s.current.push({ atMs: line.atMs, text });
  }

  private finish(s: StreamLog): void {
    const segment = s.current;
    s.current = [];
    s.currentBytes = 0;
    s.truncated = false;
    if (s.owed > 0) {
      s.owed--;
      return;
    }
    s.done.push(segment);
    if (s.done.length > MAX_UNCLAIMED) s.done.shift();
  }

  private ready(): boolean {
    return this.streams.stdout.done.length > 0 && this.streams.stderr.done.length > 0;
  }

  private serveClaims(): void {
    while (this.claims.length > 0 && this.ready()) this.claims.shift()!.settle();
  }

  /** One activation's lines from both streams, merged by time. */
  private take(): string[] {
    const lines: Line[] = [];
    for (const s of Object.values(this.streams)) {
      const finished = s.done.shift();
      if (finished) lines.push(...finished);
      else {
        lines.push(...s.current);
        s.current = [];
        s.currentBytes = 0;
        s.owed++;
      }
    }
    lines.sort((a, b) => a.atMs - b.atMs);
    return lines.map((l) => `${new Date(l.atMs).toISOString()} ${l.text}`);
  }
}
