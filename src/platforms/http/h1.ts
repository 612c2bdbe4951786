/**
 * A lean HTTP/1.1 client for plain-http origins: kept-alive sockets, one request at a time on each
 * (no pipelining), requests written as one string and answers parsed in place. It exists because
 * the load generator's CPU per request bounds the rate one core can drive: on the pacing sink this
 * client costs about half of undici's dispatch() per request (npm run bench -- pacing).
 *
 * Same contract as exchange() (exchange.ts): settles a Reply, never rejects; sentAtUs is the write
 * of the request to its socket, so waiting for a free or new connection counts as lateness; the
 * time limit runs from the call. Answers: status line, headers (names lower-cased, repeats joined
 * with ', '), a body by content-length, chunked transfer coding, or until the server closes; 1xx
 * answers skipped; no body for HEAD, 204 and 304. A request whose reused connection turns out to
 * be closed by the server before any answer byte (a keep-alive race) is written again once, on
 * another connection. Limits: no TLS (https origins go through undici), no upgrades, no trailers
 * kept, no request streaming.
 */
import { connect, type Socket } from 'node:net';
import { onAbort } from '../../util/abort.js';
import { epochUs } from '../../util/time.js';
import { CLOSE_GRACE_MS, describe, type Exchange, type Reply, type Sender } from './exchange.js';

interface Pending {
  req: Exchange;
  keepBytes: (status: number) => number;
  resolve: (reply: Reply) => void;
  sentAtUs: number | undefined;
  settled: boolean;
  /** Written again once already after a keep-alive race. */
  retried: boolean;
  conn: Conn | undefined;
  timer: NodeJS.Timeout | undefined;
  unsubscribe: (() => void) | undefined;
}

const HEAD_LIMIT_BYTES = 64 * 1024;
const INVALID_HEADER = /[\r\n\0]/;

export interface H1PoolOptions {
  /** http://host:port */
  origin: string;
  connections: number;
  connectTimeoutMs: number;
}

export class H1Pool implements Sender {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly idle: Conn[] = [];
  private readonly conns = new Set<Conn>();
  private connecting = 0;
  private readonly queue: Pending[] = [];
  private queueHead = 0;
  private closed = false;

  constructor(private readonly o: H1PoolOptions) {
    const url = new URL(o.origin);
    if (url.protocol !== 'http:') throw new Error(`H1Pool: ${o.origin} is not an http: origin`);
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
  }

  /** One exchange (see the module comment). */
  exchange(
    req: Exchange,
    timeoutMs: number,
    signal: AbortSignal,
    keepBytes: (status: number) => number,
  ): Promise<Reply> {
    return new Promise((resolve) => {
      const p: Pending = {
        req,
        keepBytes,
        resolve,
        sentAtUs: undefined,
        settled: false,
        retried: false,
        conn: undefined,
        timer: undefined,
        unsubscribe: undefined,
      };
      const aborted = () =>
        p.sentAtUs === undefined
          ? this.stop(p, 'cancelled', 'aborted before it was sent')
          : this.stop(p, 'aborted', 'aborted');
      if (signal.aborted) return aborted();
      if (this.closed) return this.fail(p, 'transport', 'the connection pool is closed');
      const bad = Object.entries(req.headers).find(
        ([k, v]) => INVALID_HEADER.test(k) || INVALID_HEADER.test(v),
      );
      if (bad || INVALID_HEADER.test(req.path) || req.path.includes(' ')) {
        return this.fail(
          p,
          'transport',
          `invalid ${bad ? `header '${bad[0]}'` : `path '${req.path}'`}: no spaces, CR, LF or NUL`,
        );
      }
      p.timer = setTimeout(
        () => this.stop(p, 'timeout', `no answer within ${Math.round(timeoutMs)} ms`),
        timeoutMs,
      );
      p.unsubscribe = onAbort(signal, aborted);
      this.enqueue(p);
    });
  }

  /** Opens connections until `count` are open or opening (at most `connections`); see Sender. */
  preconnect(count: number): Promise<void> {
    const opening: Promise<void>[] = [];
    const more = Math.min(count, this.o.connections) - this.conns.size - this.connecting;
    for (let i = 0; i < more && !this.closed; i++) opening.push(new Promise((done) => this.open(done)));
    return Promise.all(opening).then(() => undefined);
  }

  /** Connections open (connected), for tests and warm-up checks. */
  get openConnections(): number {
    return this.conns.size;
  }

  /** Stops taking requests; those in flight get graceMs, then every connection is destroyed. */
  async close(why: string, graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closed = true;
    const waiting = this.queue.slice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const p of waiting) this.fail(p, 'transport', why);
    for (const c of this.idle.splice(0)) c.socket.destroy();
    const deadline = Date.now() + graceMs;
    while ([...this.conns].some((c) => c.busy) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    for (const c of [...this.conns]) {
      if (c.busy) this.fail(c.busy, 'transport', why);
      c.socket.destroy();
    }
  }

  private enqueue(p: Pending, front = false): void {
    const conn = this.idle.pop();
    if (conn) {
      this.write(conn, p);
      return;
    }
    if (front) this.queue.splice(this.queueHead, 0, p);
    else this.queue.push(p);
    if (this.conns.size + this.connecting < this.o.connections) this.open();
  }

  private next(): Pending | undefined {
    while (this.queueHead < this.queue.length) {
      const p = this.queue[this.queueHead++]!;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      if (!p.settled) return p;
    }
    return undefined;
  }

  /** Opens one connection; `done` (preconnect) is called once it is connected or has failed. */
  private open(done?: () => void): void {
    this.connecting++;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    const timer = setTimeout(
      () => socket.destroy(new Error(`connect timeout after ${this.o.connectTimeoutMs} ms`)),
      this.o.connectTimeoutMs,
    );
    const onError = (e: Error) => {
      clearTimeout(timer);
      this.connecting--;
      done?.();
      // The first waiting request learns why; the others try again with a new connection.
      const p = this.next();
      if (p) this.fail(p, 'transport', `${this.o.origin}: ${describe(e)}`);
      if (this.queueHead < this.queue.length && !this.closed) this.open();
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      this.connecting--;
      const conn = new Conn(socket, this);
      this.conns.add(conn);
      done?.();
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.release(conn);
    });
  }

  /** A connection is free: the next waiting request, else idle. */
  release(conn: Conn): void {
    const p = this.next();
    if (p) this.write(conn, p);
    else this.idle.push(conn);
  }

  private write(conn: Conn, p: Pending): void {
    const { req } = p;
    let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    for (const k in req.headers) head += `${k}: ${req.headers[k]}\r\n`;
    const body = req.body ?? null;
    if (body !== null || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      head += `content-length: ${body === null ? 0 : Buffer.byteLength(body)}\r\n`;
    }
    p.conn = conn;
    conn.start(p);
    p.sentAtUs = epochUs();
    if (body === null || body === '') conn.socket.write(`${head}\r\n`, 'latin1');
    else {
      conn.socket.cork();
      conn.socket.write(`${head}\r\n`, 'latin1');
      conn.socket.write(body, 'utf8');
      conn.socket.uncork();
    }
  }

  /** The connection ended or failed; `p` was on it (undefined if it was idle). */
  lost(conn: Conn, p: Pending | undefined, error: string, answerStarted: boolean): void {
    this.conns.delete(conn);
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    if (p && !p.settled) {
      if (conn.reused && !answerStarted && !p.retried && !this.closed) {
        p.retried = true;
        p.sentAtUs = undefined;
        p.conn = undefined;
        this.enqueue(p, true);
      } else this.fail(p, 'transport', error);
    }
    if (
      this.queueHead < this.queue.length &&
      this.conns.size + this.connecting < this.o.connections &&
      !this.closed
    )
      this.open();
  }

  answer(
    p: Pending,
    status: number,
    statusText: string,
    headers: Record<string, string>,
    body: string,
  ): void {
    if (p.settled) return;
    const endedAtUs = epochUs();
    this.settle(p, {
      kind: 'answer',
      status,
      statusText,
      headers,
      body,
      sentAtUs: p.sentAtUs ?? endedAtUs,
      endedAtUs,
    });
  }

  private stop(p: Pending, kind: 'timeout' | 'cancelled' | 'aborted', message: string): void {
    if (p.settled) return;
    this.fail(p, kind, message);
    // On a socket: its answer can no longer be told apart from the next one's.
    p.conn?.abandon(p);
  }

  private fail(p: Pending, kind: 'timeout' | 'cancelled' | 'aborted' | 'transport', message: string): void {
    this.settle(p, { kind, message, sentAtUs: p.sentAtUs, endedAtUs: epochUs() });
  }

  private settle(p: Pending, reply: Reply): void {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    p.unsubscribe?.();
    p.resolve(reply);
  }
}

type BodyMode = 'none' | 'length' | 'chunked' | 'close';

/** Where the line that starts at `from` ends (its CR LF), or the text's end. */
function endOfLine(text: string, from: number): number {
  const eol = text.indexOf('\r\n', from);
  return eol < 0 ? text.length : eol;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** One socket and the parser of the answer to its current request. */
class Conn {
  busy: Pending | undefined;
  reused = false;
  private buf: Buffer = Buffer.alloc(0);
  private state: 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' = 'head';
  private mode: BodyMode = 'none';
  private left = 0;
  private status = 0;
  private statusText = '';
  private headers: Record<string, string> = {};
  private keep = 0;
  private chunks: Buffer[] = [];
  private kept = 0;
  private closeAfter = false;
  private started = false;

  constructor(
    readonly socket: Socket,
    private readonly pool: H1Pool,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined); // 'close' follows and reports
    socket.on('close', () => {
      // A body read until the server closes is complete now; anything else in flight is lost.
      const p = this.ended() ? undefined : this.busy;
      this.pool.lost(this, p, `${p?.req.origin ?? 'the server'} closed the connection`, this.started);
    });
  }

  start(p: Pending): void {
    this.busy = p;
    this.state = 'head';
    this.started = false;
    this.chunks = [];
    this.kept = 0;
  }

  /** The request was given up: the connection cannot be reused. */
  abandon(p: Pending): void {
    if (this.busy === p) this.socket.destroy();
  }

  private onData(d: Buffer): void {
    if (!this.busy) {
      this.socket.destroy(); // bytes nobody asked for: the connection is out of step
      return;
    }
    this.started = true;
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    try {
      this.parse();
    } catch (e) {
      const p = this.busy;
      this.busy = undefined;
      this.socket.destroy();
      if (p) this.pool.lost(this, p, `malformed answer: ${(e as Error).message}`, true);
    }
  }

  private parse(): void {
    for (;;) {
      const p = this.busy;
      if (!p) return;
      switch (this.state) {
        case 'head': {
          const end = this.buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (this.buf.length > HEAD_LIMIT_BYTES) throw new Error(`headers over ${HEAD_LIMIT_BYTES} bytes`);
            return;
          }
          this.readHead(this.buf.toString('latin1', 0, end), p);
          this.buf = this.buf.subarray(end + 4);
          if (this.status >= 100 && this.status < 200) continue; // 1xx: the real answer follows
          if (this.mode === 'none') {
            this.finish();
            return;
          }
          this.state = this.mode === 'chunked' ? 'chunk-size' : 'body';
          continue;
        }
        case 'body': {
          if (this.mode === 'close') {
            this.take(this.buf.length);
            return;
          }
          const n = Math.min(this.left, this.buf.length);
          this.take(n);
          this.left -= n;
          if (this.left === 0) this.finish();
          return;
        }
        case 'chunk-size': {
          const eol = this.buf.indexOf('\r\n');
          if (eol < 0) return;
          const size = Number.parseInt(this.buf.toString('latin1', 0, eol).split(';')[0]!.trim(), 16);
          if (!Number.isFinite(size) || size < 0) throw new Error('bad chunk size');
          this.buf = this.buf.subarray(eol + 2);
          this.left = size;
          this.state = size === 0 ? 'trailers' : 'chunk-data';
          continue;
        }
        case 'chunk-data': {
          const n = Math.min(this.left, this.buf.length);
          this.take(n);
          this.left -= n;
          if (this.left > 0) return;
          this.state = 'chunk-end';
          continue;
        }
        case 'chunk-end':
          if (this.buf.length < 2) return;
          this.buf = this.buf.subarray(2);
          this.state = 'chunk-size';
          continue;
        case 'trailers': {
          const eol = this.buf.indexOf('\r\n');
          if (eol < 0) return;
          this.buf = this.buf.subarray(eol + 2);
          if (eol === 0) {
            this.finish();
            return;
          }
          continue;
        }
      }
    }
  }

  /**
   * The status line and headers (no regular expression, no split: this runs once per answer).
   * Status line: `HTTP/1.0` or `HTTP/1.1`, a space, three digits, then nothing or a space and
   * the reason phrase.
   */
  private readHead(text: string, p: Pending): void {
    const statusEnd = endOfLine(text, 0);
    const statusLine = text.slice(0, statusEnd);
    const minor = statusLine.charCodeAt(7);
    if (
      statusLine.length < 12 ||
      !statusLine.startsWith('HTTP/1.') ||
      (minor !== 0x30 && minor !== 0x31) ||
      statusLine.charCodeAt(8) !== 0x20 ||
      !isDigit(statusLine.charCodeAt(9)) ||
      !isDigit(statusLine.charCodeAt(10)) ||
      !isDigit(statusLine.charCodeAt(11)) ||
      (statusLine.length > 12 && statusLine.charCodeAt(12) !== 0x20)
    )
      throw new Error(`bad status line '${statusLine.slice(0, 80)}'`);
    this.status =
      (statusLine.charCodeAt(9) - 0x30) * 100 +
      (statusLine.charCodeAt(10) - 0x30) * 10 +
      (statusLine.charCodeAt(11) - 0x30);
    this.statusText = statusLine.length > 13 ? statusLine.slice(13) : '';
    const headers: Record<string, string> = {};
    for (let at = statusEnd + 2; at < text.length; ) {
      const eol = endOfLine(text, at);
      const colon = text.indexOf(':', at);
      if (colon <= at || colon >= eol)
        throw new Error(`bad header line '${text.slice(at, eol).slice(0, 80)}'`);
      const name = text.slice(at, colon).trim().toLowerCase();
      const value = text.slice(colon + 1, eol).trim();
      const before = headers[name];
      headers[name] = before === undefined ? value : `${before}, ${value}`;
      at = eol + 2;
    }
    this.headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    this.closeAfter = connection.includes('close') || (minor === 0x30 && !connection.includes('keep-alive'));
    if (this.status < 200) return;
    this.keep = p.keepBytes(this.status);
    if (p.req.method === 'HEAD' || this.status === 204 || this.status === 304) this.mode = 'none';
    else if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) this.mode = 'chunked';
    else if (headers['content-length'] !== undefined) {
      this.left = Number(headers['content-length']);
      if (!Number.isSafeInteger(this.left) || this.left < 0) throw new Error('bad content-length');
      this.mode = this.left === 0 ? 'none' : 'length';
    } else {
      this.mode = 'close';
      this.closeAfter = true;
    }
  }

  /** Keeps up to `keep` body bytes, drops the rest. */
  private take(n: number): void {
    if (n === 0) return;
    if (this.kept < this.keep) {
      const part = this.buf.subarray(0, Math.min(n, this.keep - this.kept));
      this.chunks.push(Buffer.from(part));
      this.kept += part.length;
    }
    this.buf = this.buf.subarray(n);
  }

  private finish(): void {
    const p = this.busy!;
    this.busy = undefined;
    const body = this.chunks.length === 0 ? '' : Buffer.concat(this.chunks).toString('utf8');
    this.pool.answer(p, this.status, this.statusText, this.headers, body);
    if (this.closeAfter || this.buf.length > 0) {
      this.socket.destroy();
      return;
    }
    this.reused = true;
    this.pool.release(this);
  }

  /** The server closed a body read until the end: the answer is complete. */
  ended(): boolean {
    if (this.busy && this.state === 'body' && this.mode === 'close') {
      this.finish();
      return true;
    }
    return false;
  }
}
