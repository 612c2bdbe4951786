/**
 * One HTTP request through an undici dispatcher, settled as an InvocationResult. Never rejects.
 *
 * sentAtUs is the moment the request was written to its socket. The request goes through undici's
 * low-level dispatch() with a handler of its own, and undici calls that handler's onRequestStart
 * synchronously just before it writes the request line, headers and body to the socket
 * (lib/dispatcher/client-h1.js, writeH1: request.onConnect(abort), then socket.write); that
 * happens only once a connection of the pool is free and connected. So time spent queueing for a
 * connection, or opening one, counts before sentAtUs (as lateness), never after it (as latency),
 * and the time belongs to this invocation by construction: the handler is this invocation's own.
 * (The 'undici:client:sendHeaders' diagnostics channel fires at the same point, but it is
 * process-wide, shared with every other undici user, and would need a request identity on the wire.)
 */
import type { Dispatcher } from 'undici';
import { onAbort } from '../../util/abort.js';
import { epochUs } from '../../util/time.js';
import type { InvocationResult, Outcome } from '../types.js';

export interface HttpRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  /** The full URL, without credentials, for error messages. */
  url: string;
}

/** An error answer's body excerpt: this many characters, from at most 4 bytes each. */
const EXCERPT_CHARS = 200;
const EXCERPT_BYTES = EXCERPT_CHARS * 4;

/**
 * 2xx → ok with httpStatus; another status → error with httpStatus and 'HTTP <status> <text>:
 * <start of the body>'; transport failures → error naming the URL and the cause; no answer within
 * timeoutMs of this call → timeout; `signal` → cancelled if the request was not written yet, else
 * error 'aborted'. endedAtUs is when the body was read to its end (always read whole) or the
 * failure. A request that never reached a socket (connect failure, timeout or abort while queued)
 * has sentAtUs = the time of that failure, as nothing better exists.
 */
export function send(
  dispatcher: Dispatcher,
  request: HttpRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<InvocationResult> {
  return new Promise((resolve) => {
    let sentAtUs: number | undefined;
    let controller: Dispatcher.DispatchController | undefined;
    let status: number | undefined;
    let statusText = '';
    const excerpt: Buffer[] = [];
    let excerptBytes = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let unsubscribe: (() => void) | undefined;
    /** Why the invocation was settled early: given to undici to cancel the request. */
    let stopReason: Error | undefined;

    const finish = (outcome: Outcome, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe?.();
      const now = epochUs();
      const result: InvocationResult = { outcome, sentAtUs: sentAtUs ?? now, endedAtUs: now };
      if (status !== undefined) result.httpStatus = status;
      if (error !== undefined) result.error = error;
      resolve(result);
    };
    /** Settles now and cancels the request: at once if it is on a socket, else when it reaches one. */
    const stop = (outcome: Outcome, error: string) => {
      finish(outcome, error);
      stopReason = new Error(error);
      controller?.abort(stopReason);
    };
    const aborted = () =>
      sentAtUs === undefined ? stop('cancelled', 'aborted before it was sent') : stop('error', 'aborted');
    if (signal.aborted) return aborted();
    timer = setTimeout(() => stop('timeout', `no answer within ${timeoutMs} ms`), timeoutMs);
    unsubscribe = onAbort(signal, aborted);

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        // Settled while queued: undici must not send it. (Aborting here closes that connection.)
        if (stopReason) return c.abort(stopReason);
        controller = c;
        // Just before the write; a retried request (pipelining > 1 only) keeps its last write.
        sentAtUs = epochUs();
      },
      onResponseStart(_c, statusCode, _headers, statusMessage) {
        status = statusCode;
        statusText = statusMessage ?? '';
      },
      onResponseData(_c, chunk) {
        if (!is2xx(status) && excerptBytes < EXCERPT_BYTES) {
          excerpt.push(chunk);
          excerptBytes += chunk.length;
        }
      },
      onResponseEnd() {
        if (is2xx(status)) return finish('ok');
        const text = Buffer.concat(excerpt).toString('utf8').slice(0, EXCERPT_CHARS).trim();
        const head = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
        finish('error', text ? `${head}: ${text}` : head);
      },
      onResponseError(_c, error) {
        finish('error', `${request.method} ${request.url}: ${describe(error)}`);
      },
    };
    try {
      dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body,
          // This module enforces the time limit itself, from the call, queueing included.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (e) {
      finish('error', `${request.method} ${request.url}: ${describe(e)}`);
    }
  });
}

function is2xx(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

/** The error's message, with its code or causes when the message alone says nothing. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // Happy eyeballs (several addresses) fails with an AggregateError whose own message is empty.
  if (e instanceof AggregateError && e.message === '') {
    return e.errors.map(describe).join('; ') || String((e as NodeJS.ErrnoException).code ?? 'failed');
  }
  const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? e.cause : undefined;
  const code = (e as NodeJS.ErrnoException).code;
  const text = e.message || code || e.name;
  return cause ? `${text} (${describe(cause)})` : text;
}
