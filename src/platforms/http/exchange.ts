/**
 * One HTTP exchange through an undici dispatcher, settled as a Reply (never rejects): the seam the
 * HTTP and OpenWhisk platforms both send through.
 *
 * sentAtUs is the moment the request was written to its socket. The request goes through undici's
 * low-level dispatch() with a handler of its own, and undici calls that handler's onRequestStart
 * synchronously just before it writes the request line, headers and body to the socket
 * (lib/dispatcher/client-h1.js, writeH1: request.onConnect(abort), then socket.write); that
 * happens only once a connection of the pool is free and connected. So time spent queueing for a
 * connection, or opening one, counts before sentAtUs (as lateness), never after it (as latency),
 * and the time belongs to this request by construction: the handler is its own. (The
 * 'undici:client:sendHeaders' diagnostics channel fires at the same point, but it is process-wide,
 * shared with every other undici user, and would need a request identity on the wire.)
 */
import type { Dispatcher, Pool } from 'undici';
import { onAbort } from '../../util/abort.js';
import { errnoCodeOf } from '../../util/message.js';
import { epochUs } from '../../util/time.js';
import type { FailureKind } from '../failure.js';
import type { InvocationResult } from '../types.js';

export interface Exchange {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string | null;
}

/** An answer (any status), or why there is none. Times are epoch microseconds. */
export type Reply =
  | {
      kind: 'answer';
      status: number;
      statusText: string;
      /** Response headers, names lower-cased (repeated ones joined with ', '). */
      headers: Record<string, string>;
      body: string;
      sentAtUs: number;
      endedAtUs: number;
    }
  | {
      /** timeout: no answer in time; cancelled: aborted before it was written; aborted: after; transport: the connection failed. */
      kind: 'timeout' | 'cancelled' | 'aborted' | 'transport';
      message: string;
      /** Undefined when the request never reached a socket. */
      sentAtUs: number | undefined;
      endedAtUs: number;
    };

/**
 * An exchange that got no answer, as an InvocationResult: timeout and cancelled as themselves,
 * anything else (aborted after it was written, a failed connection) an error; the failure kind
 * is the reply's (a failed connection is 'connect'). A failed
 * connection's message names the request (`request`, e.g. "POST http://host/path"); sentAtUs is
 * the failure's time when the request never reached a socket.
 */
export function unansweredResult(
  reply: Exclude<Reply, { kind: 'answer' }>,
  request: string,
): InvocationResult {
  const outcome = reply.kind === 'timeout' || reply.kind === 'cancelled' ? reply.kind : 'error';
  const error = reply.kind === 'transport' ? `${request}: ${reply.message}` : reply.message;
  return {
    outcome,
    sentAtUs: reply.sentAtUs ?? reply.endedAtUs,
    endedAtUs: reply.endedAtUs,
    failure: UNANSWERED_FAILURE[reply.kind],
    error,
  };
}

/** The failure kind of each way an exchange can end without an answer. */
const UNANSWERED_FAILURE = {
  timeout: 'timeout',
  cancelled: 'cancelled',
  aborted: 'aborted',
  transport: 'connect',
} as const satisfies Record<Exclude<Reply, { kind: 'answer' }>['kind'], FailureKind>;

/**
 * Sends `req` and reads the whole answer, keeping at most keepBytes(status) bytes of its body
 * (the rest is read and dropped). timeoutMs runs from this call, queueing included; `signal`
 * gives 'cancelled' if the request was not written yet, else 'aborted'.
 */
export function exchange(
  dispatcher: Dispatcher,
  req: Exchange,
  timeoutMs: number,
  signal: AbortSignal,
  keepBytes: (status: number) => number,
): Promise<Reply> {
  return new Promise((resolve) => {
    let sentAtUs: number | undefined;
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let statusText = '';
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let unsubscribe: (() => void) | undefined;
    /** Why the request was settled early: given to undici to cancel it. */
    let stopReason: Error | undefined;

    const settle = (reply: Reply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe?.();
      resolve(reply);
    };
    const fail = (kind: 'timeout' | 'cancelled' | 'aborted' | 'transport', message: string) =>
      settle({ kind, message, sentAtUs, endedAtUs: epochUs() });
    /** Settles now and cancels the request: at once if it is on a socket, else when it reaches one. */
    const stop = (kind: 'timeout' | 'cancelled' | 'aborted', message: string) => {
      fail(kind, message);
      stopReason = new Error(message);
      controller?.abort(stopReason);
    };
    const aborted = () =>
      sentAtUs === undefined ? stop('cancelled', 'aborted before it was sent') : stop('aborted', 'aborted');
    if (signal.aborted) return aborted();
    timer = setTimeout(() => stop('timeout', `no answer within ${Math.round(timeoutMs)} ms`), timeoutMs);
    unsubscribe = onAbort(signal, aborted);

    let keep = 0;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        // Settled while queued: undici must not send it. (Aborting here closes that connection.)
        if (stopReason) return c.abort(stopReason);
        controller = c;
        // Just before the write; a retried request (pipelining > 1 only) keeps its last write.
        sentAtUs = epochUs();
      },
      onResponseStart(_c, statusCode, responseHeaders, statusMessage) {
        status = statusCode;
        headers = flatHeaders(responseHeaders);
        statusText = statusMessage ?? '';
        keep = keepBytes(statusCode);
      },
      onResponseData(_c, chunk) {
        if (bytes < keep) {
          chunks.push(chunk);
          bytes += chunk.length;
        }
      },
      onResponseEnd() {
        const endedAtUs = epochUs();
        const body = Buffer.concat(chunks).subarray(0, keep).toString('utf8');
        settle({
          kind: 'answer',
          status,
          statusText,
          headers,
          body,
          sentAtUs: sentAtUs ?? endedAtUs,
          endedAtUs,
        });
      },
      onResponseError(_c, error) {
        fail('transport', describe(error));
      },
    };
    try {
      dispatcher.dispatch(
        {
          origin: req.origin,
          path: req.path,
          method: req.method as Dispatcher.HttpMethod,
          headers: req.headers,
          body: req.body ?? null,
          // The time limit is enforced here, from the call, queueing included.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (e) {
      fail('transport', describe(e));
    }
  });
}

/** undici's response headers as one lower-cased string per name. */
function flatHeaders(h: Record<string, string | string[] | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(h ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The error's message, with its code or causes when the message alone says nothing. */
export function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // Happy eyeballs (several addresses) fails with an AggregateError whose own message is empty.
  if (e instanceof AggregateError && e.message === '') {
    return e.errors.map(describe).join('; ') || String(errnoCodeOf(e) ?? 'failed');
  }
  const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? e.cause : undefined;
  const code = errnoCodeOf(e);
  const text = e.message || code || e.name;
  return cause ? `${text} (${describe(cause)})` : text;
}

/** Where an exchange goes: an undici dispatcher (undiciSender) or the lean HTTP/1.1 pool (h1.ts). */
export interface Sender {
  exchange(
    req: Exchange,
    timeoutMs: number,
    signal: AbortSignal,
    keepBytes: (status: number) => number,
  ): Promise<Reply>;
  /** Requests in flight get CLOSE_GRACE_MS to finish, then are destroyed. */
  close(why: string): Promise<void>;
  /**
   * Optional: opens connections until `count` are open (at most the pool's size); resolves when
   * those are connected or have failed, never rejects.
   */
  preconnect?(count: number): Promise<void>;
}

export function undiciSender(pool: Pool): Sender {
  return {
    exchange: (req, timeoutMs, signal, keepBytes) => exchange(pool, req, timeoutMs, signal, keepBytes),
    close: (why) => closePools([pool], why),
  };
}

/** How long requests in flight may finish when pools are closed, before they are destroyed. */
export const CLOSE_GRACE_MS = 1_000;

/** Closes the pools, letting requests in flight finish for CLOSE_GRACE_MS, then destroys them. */
export async function closePools(pools: readonly Pool[], why: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, CLOSE_GRACE_MS, false);
  });
  const closed = Promise.all(pools.map((pool) => pool.close().catch(() => undefined))).then(() => true);
  const inTime = await Promise.race([closed, graceOver]);
  clearTimeout(timer);
  if (inTime) return;
  const reason = new Error(why);
  await Promise.all(pools.map((pool) => pool.destroy(reason).catch(() => undefined)));
}
