/**
 * One request to the OpenWhisk REST API through an undici dispatcher, settled as a Reply (never
 * rejects). As on the HTTP platform (src/platforms/http/request.ts), sentAtUs is taken in the
 * handler's onRequestStart, which undici calls synchronously just before it writes the request to
 * a free, connected socket of the pool: queueing for a connection counts before sentAtUs.
 * Unlike the HTTP platform the whole answer body is kept (up to MAX_BODY_BYTES), since the
 * activation record is in it.
 */
import type { Dispatcher } from 'undici';
import { onAbort } from '../../util/abort.js';
import { epochUs } from '../../util/time.js';

export interface ApiRequest {
  origin: string;
  path: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
}

/** An answer (any status), or why there is none. Times are epoch microseconds. */
export type Reply =
  | { kind: 'answer'; status: number; body: string; sentAtUs: number; endedAtUs: number }
  | {
      /** timeout: no answer in time; cancelled: aborted before it was written; aborted: after; transport: the connection failed. */
      kind: 'timeout' | 'cancelled' | 'aborted' | 'transport';
      message: string;
      /** Undefined when the request never reached a socket. */
      sentAtUs: number | undefined;
      endedAtUs: number;
    };

/** Activation records are small; anything larger is cut here (and will not parse). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function request(
  dispatcher: Dispatcher,
  req: ApiRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Reply> {
  return new Promise((resolve) => {
    let sentAtUs: number | undefined;
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let unsubscribe: (() => void) | undefined;
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

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        if (stopReason) return c.abort(stopReason);
        controller = c;
        sentAtUs = epochUs();
      },
      onResponseStart(_c, statusCode) {
        status = statusCode;
      },
      onResponseData(_c, chunk) {
        if (bytes < MAX_BODY_BYTES) {
          chunks.push(chunk);
          bytes += chunk.length;
        }
      },
      onResponseEnd() {
        const endedAtUs = epochUs();
        const body = Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
        settle({ kind: 'answer', status, body, sentAtUs: sentAtUs ?? endedAtUs, endedAtUs });
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
          method: req.method,
          headers: req.headers,
          body: req.body ?? null,
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

/** The error's message, with its code or causes when the message alone says nothing. */
export function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e instanceof AggregateError && e.message === '') {
    return e.errors.map(describe).join('; ') || String((e as NodeJS.ErrnoException).code ?? 'failed');
  }
  const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? e.cause : undefined;
  const code = (e as NodeJS.ErrnoException).code;
  const text = e.message || code || e.name;
  return cause ? `${text} (${describe(cause)})` : text;
}
