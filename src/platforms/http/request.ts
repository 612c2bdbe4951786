/**
 * One invocation as one HTTP request, settled as an InvocationResult (never rejects). It goes
 * through a Sender (exchange.ts), so sentAtUs is the moment the request was written to its socket.
 */
import { failureOfStatus } from '../failure.js';
import type { InvocationResult } from '../types.js';
import { excerpt, is2xx, keepErrorExcerpt } from './excerpt.js';
import { type Sender, unansweredResult } from './exchange.js';

export interface HttpRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  /** The full URL, without credentials, for error messages. */
  url: string;
}

/**
 * 2xx → ok with httpStatus; another status → error with httpStatus, its failure kind
 * (failureOfStatus) and 'HTTP <status> <text>: <start of the body>'; transport failures → error naming the URL and the cause; no answer within
 * timeoutMs of this call → timeout; `signal` → cancelled if the request was not written yet, else
 * error 'aborted'. endedAtUs is when the body was read to its end (always read whole) or the
 * failure. A request that never reached a socket (connect failure, timeout or abort while queued)
 * has sentAtUs = the time of that failure, as nothing better exists.
 */
export async function send(
  sender: Sender,
  request: HttpRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<InvocationResult> {
  // Only an error answer's start is kept, for the message.
  const reply = await sender.exchange(request, timeoutMs, signal, keepErrorExcerpt);
  if (reply.kind !== 'answer') return unansweredResult(reply, `${request.method} ${request.url}`);
  const { sentAtUs, endedAtUs, status } = reply;
  const result: InvocationResult = { outcome: 'ok', sentAtUs, endedAtUs, httpStatus: status };
  if (is2xx(status)) return result;
  const text = excerpt(reply.body);
  const head = `HTTP ${status}${reply.statusText ? ` ${reply.statusText}` : ''}`;
  return {
    ...result,
    outcome: 'error',
    failure: failureOfStatus(status),
    error: text ? `${head}: ${text}` : head,
  };
}
