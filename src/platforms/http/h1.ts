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
 * answers skipped; no body for HEAD, 204 and 304. Parsed strictly as RFC 9112 says (readHead,
 * chunkSize): an answer that breaks it fails the request as 'transport' with `malformed answer:`
 * and the offending text, and its connection is dropped; test/h1-differential.test.ts holds the
 * parser to llhttp's verdicts on generated answers. A request whose reused connection turns out to
 * be closed by the server before any answer byte (a keep-alive race) is written again once, on
 * another connection. Limits: no TLS (https origins go through undici), no upgrades, no trailers
 * kept, no request streaming.
 */
import { connect, type Socket } from 'node:net';
import { onAbort } from '../../util/abort.js';
import { messageOf } from '../../util/message.js';
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
  signal: AbortSignal;
  timeoutMs: number;
  /** performance.now() by which the answer must be complete. */
  deadlineMs: number;
  /** Neighbours in the pool's list of requests not settled yet (see H1Pool.track). */
  prev: Pending | undefined;
  next: Pending | undefined;
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
  /** Requests waiting for a connection from queueHead on; slots before it are emptied (undefined). */
  private readonly queue: (Pending | undefined)[] = [];
  private queueHead = 0;
  private closed = false;
  /** Headers objects already checked and found valid (see exchange). */
  private readonly validHeaders = new WeakSet<Record<string, string>>();
  /** The requests not settled yet, oldest first (track). */
  private head: Pending | undefined;
  private tail: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  /** Signals this pool has its abort callback on. */
  private readonly watched = new WeakSet<AbortSignal>();

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
        signal,
        timeoutMs,
        deadlineMs: performance.now() + timeoutMs,
        prev: undefined,
        next: undefined,
      };
      if (signal.aborted) return this.fail(p, 'cancelled', 'aborted before it was sent');
      if (this.closed) return this.fail(p, 'transport', 'the connection pool is closed');
      // A platform sends the same headers object with every request: it is checked once.
      const bad = this.validHeaders.has(req.headers)
        ? undefined
        : Object.entries(req.headers).find(([k, v]) => INVALID_HEADER.test(k) || INVALID_HEADER.test(v));
      if (bad === undefined) this.validHeaders.add(req.headers);
      if (bad || INVALID_HEADER.test(req.path) || req.path.includes(' ')) {
        return this.fail(
          p,
          'transport',
          `invalid ${bad ? `header '${bad[0]}'` : `path '${req.path}'`}: no spaces, CR, LF or NUL`,
        );
      }
      this.track(p);
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
    for (const p of waiting) if (p !== undefined) this.fail(p, 'transport', why);
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
      const p = this.queue[this.queueHead];
      // Taken out of its slot: a settled request is not kept alive by the queue until it is compacted.
      this.queue[this.queueHead++] = undefined;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      if (p !== undefined && !p.settled) return p;
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
    this.untrack(p);
    p.resolve(reply);
  }

  /**
   * Time limits and aborts without a timer, a closure or a subscription per request: the requests
   * not settled yet are linked in a list (in the order they came), one timer is armed for the
   * earliest deadline, and one abort callback per signal stops the requests that gave it.
   */
  private track(p: Pending): void {
    p.prev = this.tail;
    if (this.tail) this.tail.next = p;
    else this.head = p;
    this.tail = p;
    if (p.deadlineMs < this.timerAtMs) this.arm(p.deadlineMs);
    const { signal } = p;
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      onAbort(signal, () => this.aborted(signal));
    }
  }

  private untrack(p: Pending): void {
    if (p.prev) p.prev.next = p.next;
    else if (this.head === p) this.head = p.next;
    if (p.next) p.next.prev = p.prev;
    else if (this.tail === p) this.tail = p.prev;
    p.prev = undefined;
    p.next = undefined;
  }

  /** The timer fires at atMs (performance.now()); unref'd: the sockets hold the process open. */
  private arm(atMs: number): void {
    clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => this.expire(), Math.max(0, Math.ceil(atMs - performance.now())));
    this.timer.unref();
  }

  /** Times out the requests past their deadline; arms the timer for the next deadline, if any. */
  private expire(): void {
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let nextMs = Number.POSITIVE_INFINITY;
    for (let p = this.head; p !== undefined; ) {
      const after = p.next;
      if (p.deadlineMs <= now) this.stop(p, 'timeout', `no answer within ${Math.round(p.timeoutMs)} ms`);
      else if (p.deadlineMs < nextMs) nextMs = p.deadlineMs;
      p = after;
    }
    if (nextMs !== Number.POSITIVE_INFINITY) this.arm(nextMs);
  }

  /** `signal` aborted: its requests not written yet are cancelled, those written are aborted. */
  private aborted(signal: AbortSignal): void {
    for (let p = this.head; p !== undefined; ) {
      const after = p.next;
      if (p.signal === signal) {
        if (p.sentAtUs === undefined) this.stop(p, 'cancelled', 'aborted before it was sent');
        else this.stop(p, 'aborted', 'aborted');
      }
      p = after;
    }
  }
}

type BodyMode = 'none' | 'length' | 'chunked' | 'close';

/** Where the line that starts at `from` ends (its CR LF), or the text's end. */
function endOfLine(text: string, from: number): number {
  const eol = text.indexOf('\r\n', from);
  return eol < 0 ? text.length : eol;
}

const CR = 0x0d;
const LF = 0x0a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isOws = (c: number | undefined) => c === 0x20 || c === 0x09;

/** Bytes a token may hold (RFC 9110 5.6.2 tchar): 1 for yes. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = TCHAR[c + 0x20] = 1;
/** Bytes a field value or a reason phrase may hold: VCHAR, obs-text, SP, HTAB (no CR, LF, NUL, other controls). */
const FIELD_TEXT = new Uint8Array(256);
FIELD_TEXT[0x09] = 1;
for (let c = 0x20; c <= 0xff; c++) FIELD_TEXT[c] = c === 0x7f ? 0 : 1;
/** Bytes inside a quoted-string without a backslash (RFC 9110 5.6.4 qdtext). */
const QDTEXT = FIELD_TEXT.slice();
QDTEXT[0x22] = 0;
QDTEXT[0x5c] = 0;

/** The largest size whose next hex digit keeps it a safe integer. */
const CHUNK_SIZE_BEFORE_LAST_DIGIT = Math.floor(Number.MAX_SAFE_INTEGER / 16);
/** A chunk-size line or a trailer line longer than this is refused. */
const LINE_LIMIT_BYTES = 8 * 1024;

/** The answer breaks RFC 9112: the connection is dropped and the request fails with this message. */
class MalformedAnswer extends Error {}

/** `what` and the start of the offending text, control characters escaped. */
function malformed(what: string, text: string): MalformedAnswer {
  return new MalformedAnswer(`${what} ${JSON.stringify(text.slice(0, 80))}`);
}

/**
 * One field line `text[at, eol)` (RFC 9112 5): a token, the colon right after it, then a value of
 * VCHAR, obs-text, SP and HTAB only. Adds it to `headers` (if given): the name lower-cased, the
 * value without its leading and trailing SP and HTAB, a repeated name's values joined with ', '.
 * Throws for anything else (a space before the colon, obs-fold, a control character).
 */
function fieldLine(text: string, at: number, eol: number, headers?: Record<string, string>): void {
  let colon = at;
  while (colon < eol && TCHAR[text.charCodeAt(colon)] === 1) colon++;
  if (colon === at || colon === eol || text.charCodeAt(colon) !== 0x3a)
    throw malformed('bad header line', text.slice(at, eol));
  let from = colon + 1;
  let to = eol;
  for (let i = from; i < to; i++)
    if (FIELD_TEXT[text.charCodeAt(i)] !== 1) throw malformed('bad header value', text.slice(at, eol));
  while (from < to && isOws(text.charCodeAt(from))) from++;
  while (to > from && isOws(text.charCodeAt(to - 1))) to--;
  if (headers === undefined) return;
  const name = text.slice(at, colon).toLowerCase();
  const value = text.slice(from, to);
  const before = headers[name];
  headers[name] = before === undefined ? value : `${before}, ${value}`;
}

/**
 * A Content-Length value (RFC 9110 8.6): 1*DIGIT, or a list of one same 1*DIGIT repeated (what
 * repeated field lines become), taken as one; NaN for anything else, differing values included.
 */
function contentLength(value: string): number {
  let length = Number.NaN;
  for (let at = 0; at <= value.length; ) {
    let end = value.indexOf(',', at);
    if (end < 0) end = value.length;
    let from = at;
    let to = end;
    while (from < to && isOws(value.charCodeAt(from))) from++;
    while (to > from && isOws(value.charCodeAt(to - 1))) to--;
    if (from === to) return Number.NaN;
    for (let i = from; i < to; i++) if (!isDigit(value.charCodeAt(i))) return Number.NaN;
    const n = Number(value.slice(from, to));
    if (!Number.isSafeInteger(n) || (!Number.isNaN(length) && n !== length)) return Number.NaN;
    length = n;
    at = end + 1;
  }
  return length;
}

/** The last transfer coding of a Transfer-Encoding value is chunked (case-insensitive). */
function chunkedLast(value: string): boolean {
  let from = value.lastIndexOf(',') + 1;
  let to = value.length;
  while (from < to && isOws(value.charCodeAt(from))) from++;
  while (to > from && isOws(value.charCodeAt(to - 1))) to--;
  return to - from === 7 && value.slice(from, to).toLowerCase() === 'chunked';
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * The size of the chunk whose line is `buf[0, lf]` (RFC 9112 7.1): chunk-size = 1*HEXDIG, then
 * chunk extensions `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`, then CR LF.
 * Throws for anything else, and for a size past 2^53 - 1. Extensions are checked, then ignored.
 */
function chunkSize(buf: Buffer, lf: number): number {
  const end = lf - 1;
  const line = () => buf.toString('latin1', 0, lf + 1);
  if (end < 0 || buf[end] !== CR) throw malformed('chunk size line not ended by CRLF:', line());
  let size = 0;
  let at = 0;
  for (; at < end; at++) {
    const digit = hexValue(buf[at]!);
    if (digit < 0) break;
    if (size > CHUNK_SIZE_BEFORE_LAST_DIGIT) throw malformed('chunk size too large:', line());
    size = size * 16 + digit;
  }
  if (at === 0 || !chunkExtensions(buf, at, end)) throw malformed('bad chunk size line', line());
  return size;
}

/** `buf[at, end)` is a valid chunk-ext (see chunkSize). */
function chunkExtensions(buf: Buffer, at: number, end: number): boolean {
  const skipBws = (i: number) => {
    while (i < end && isOws(buf[i])) i++;
    return i;
  };
  while (at < end) {
    at = skipBws(at);
    if (at === end || buf[at] !== 0x3b) return false;
    at = skipBws(at + 1);
    const name = at;
    while (at < end && TCHAR[buf[at]!] === 1) at++;
    if (at === name) return false;
    const equals = skipBws(at);
    if (equals === end || buf[equals] !== 0x3d) continue; // no value; whitespace left must lead to ';'
    at = skipBws(equals + 1);
    if (buf[at] === 0x22) {
      for (at++; ; at++) {
        if (at >= end) return false;
        const c = buf[at]!;
        if (c === 0x22) break;
        if (c === 0x5c) {
          at++;
          if (at >= end || FIELD_TEXT[buf[at]!] !== 1) return false;
        } else if (QDTEXT[c] !== 1) return false;
      }
      at++;
    } else {
      const value = at;
      while (at < end && TCHAR[buf[at]!] === 1) at++;
      if (at === value) return false;
    }
  }
  return true;
}

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
      if (p) this.pool.lost(this, p, `malformed answer: ${messageOf(e)}`, true);
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
          const lf = this.buf.indexOf(LF);
          if (lf < 0) {
            if (this.buf.length > LINE_LIMIT_BYTES) throw new MalformedAnswer('chunk size line too long');
            return;
          }
          const size = chunkSize(this.buf, lf);
          this.buf = this.buf.subarray(lf + 1);
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
          if (this.buf[0] !== CR || this.buf[1] !== LF)
            throw malformed('chunk data not followed by CRLF:', this.buf.toString('latin1', 0, 16));
          this.buf = this.buf.subarray(2);
          this.state = 'chunk-size';
          continue;
        case 'trailers': {
          // Trailer fields are checked as header fields, then dropped.
          const lf = this.buf.indexOf(LF);
          if (lf < 0) {
            if (this.buf.length > LINE_LIMIT_BYTES) throw new MalformedAnswer('trailer line too long');
            return;
          }
          if (lf === 0 || this.buf[lf - 1] !== CR)
            throw malformed('trailer line not ended by CRLF:', this.buf.toString('latin1', 0, lf + 1));
          if (lf > 1) {
            const line = this.buf.toString('latin1', 0, lf - 1);
            fieldLine(line, 0, line.length);
          }
          this.buf = this.buf.subarray(lf + 1);
          if (lf === 1) {
            this.finish();
            return;
          }
          continue;
        }
      }
    }
  }

  /**
   * The status line and header section, strictly as RFC 9112 (sections 4, 5 and 6) has them (no
   * regular expression, no split: this runs once per answer). Status line: `HTTP/1.0` or
   * `HTTP/1.1`, a space, three digits, then nothing or a space and a reason phrase of VCHAR,
   * obs-text, SP and HTAB. Field lines: see fieldLine. Framing: Transfer-Encoding whose last
   * coding is chunked, else read until close; Content-Length as contentLength() reads it, refused
   * beside Transfer-Encoding; neither: read until close.
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
      throw malformed('bad status line', statusLine);
    for (let i = 13; i < statusLine.length; i++)
      if (FIELD_TEXT[statusLine.charCodeAt(i)] !== 1) throw malformed('bad status line', statusLine);
    this.status =
      (statusLine.charCodeAt(9) - 0x30) * 100 +
      (statusLine.charCodeAt(10) - 0x30) * 10 +
      (statusLine.charCodeAt(11) - 0x30);
    this.statusText = statusLine.length > 13 ? statusLine.slice(13) : '';
    const headers: Record<string, string> = {};
    for (let at = statusEnd + 2; at < text.length; ) {
      const eol = endOfLine(text, at);
      fieldLine(text, at, eol, headers);
      at = eol + 2;
    }
    this.headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    this.closeAfter = connection.includes('close') || (minor === 0x30 && !connection.includes('keep-alive'));
    const lengthField = headers['content-length'];
    const length = lengthField === undefined ? 0 : contentLength(lengthField);
    if (Number.isNaN(length)) throw malformed('bad content-length', lengthField ?? '');
    if (this.status < 200) return;
    this.keep = p.keepBytes(this.status);
    const coding = headers['transfer-encoding'];
    if (coding !== undefined && lengthField !== undefined)
      throw new MalformedAnswer('both transfer-encoding and content-length');
    if (p.req.method === 'HEAD' || this.status === 204 || this.status === 304) this.mode = 'none';
    else if (coding !== undefined) {
      this.mode = chunkedLast(coding) ? 'chunked' : 'close';
      // RFC 9112 6.1: HTTP/1.0 with Transfer-Encoding has faulty framing; close after it.
      if (this.mode === 'close' || minor === 0x30) this.closeAfter = true;
    } else if (lengthField !== undefined) {
      this.left = length;
      this.mode = length === 0 ? 'none' : 'length';
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
