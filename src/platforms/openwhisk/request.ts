/**
 * One request to the OpenWhisk REST API, through the HTTP platform's exchange() (sentAtUs at the
 * socket write), keeping the whole answer body since the activation record is in it.
 */
import type { Dispatcher } from 'undici';
import { exchange, type Reply } from '../http/exchange.js';

export type { Reply } from '../http/exchange.js';

export interface ApiRequest {
  origin: string;
  path: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
}

/** Activation records are small; anything larger is cut here (and will not parse). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A request to the API; the whole answer body is kept (up to MAX_BODY_BYTES). */
export function request(
  dispatcher: Dispatcher,
  req: ApiRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Reply> {
  return exchange(dispatcher, req, timeoutMs, signal, () => MAX_BODY_BYTES);
}
