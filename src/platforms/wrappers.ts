/**
 * Behaviours every platform gets by wrapping its adapter, in the style of undici's interceptors,
 * instead of one flag per adapter: retries and request tracing. (The time limit is shared too:
 * PlatformOptions.invokeTimeoutMs, which every adapter takes.)
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { FaasloadError } from '../errors.js';
import type { Arrival } from '../schedule/types.js';
import { sleepUnlessAborted } from '../util/abort.js';
import { messageOf } from '../util/message.js';
import { isRetryable } from './failure.js';
import type { FunctionSpec, InvocationResult, PlatformAdapter } from './types.js';

export interface RetryPolicy {
  /** Sends after the first, at most. 0 turns retrying off (the default everywhere). */
  retries: number;
  /** Wait before retry k (1-based): backoffMs * 2^(k-1). */
  backoffMs: number;
}

/**
 * Whether a failure is worth sending again, by its kind (failure.ts): capacity (429, 503, 504) or
 * connect (a connection that failed). Never a timeout (the function may be running: a second send
 * doubles the load), an application or init error, a function the platform does not know, nor
 * what was not sent or was aborted.
 */
export function retryable(r: InvocationResult): boolean {
  return r.outcome === 'error' && isRetryable(r.failure);
}

/** Wraps every method of `inner`, replacing invoke. */
function wrap(inner: PlatformAdapter, invoke: PlatformAdapter['invoke']): PlatformAdapter {
  return {
    kind: inner.kind,
    address: inner.address,
    deploy: (fns, signal) => inner.deploy(fns, signal),
    invoke,
    // The throw-away send path is the inner adapter's: warm-up sends are neither retried nor traced.
    ...(inner.warm ? { warm: inner.warm.bind(inner) } : {}),
    teardown: () => inner.teardown(),
  };
}

/**
 * Sends an invocation again, up to policy.retries times, while it fails in a retryable way and
 * `signal` allows. The result is the last attempt's, with the first attempt's sentAtUs (so
 * lateness is the first send's and latency spans every attempt) and `attempts`, the sends made.
 */
export function withRetry(inner: PlatformAdapter, policy: RetryPolicy): PlatformAdapter {
  if (policy.retries <= 0) return inner;
  return wrap(inner, async (fn: FunctionSpec, arrival: Arrival, signal: AbortSignal) => {
    const first = await inner.invoke(fn, arrival, signal);
    let last = first;
    let attempts = 1;
    while (attempts <= policy.retries && retryable(last) && !signal.aborted) {
      await sleepUnlessAborted(policy.backoffMs * 2 ** (attempts - 1), signal);
      if (signal.aborted) break;
      last = await inner.invoke(fn, arrival, signal);
      attempts++;
    }
    return { ...last, sentAtUs: first.sentAtUs, attempts };
  });
}

/** Fields of a result that --trace-requests leaves out. */
const UNTRACED: ReadonlySet<string> = new Set(['result', 'logs']);

/**
 * Writes one JSON line per invocation result to `path` (appended synchronously: for debugging a
 * platform, not for rates the dataset already records): seq, function, target and the result's
 * fields (outcome, times, status, ids, error). The file is created (emptied) now, so a path that
 * cannot be written is an error before the run; a write failing later stops the tracing, never
 * the invocation.
 */
export function withTracing(inner: PlatformAdapter, path: string): PlatformAdapter {
  try {
    writeFileSync(path, '');
  } catch (e) {
    throw new FaasloadError('E_USAGE', `--trace-requests ${path}: cannot write it (${messageOf(e)})`);
  }
  let broken = false;
  return wrap(inner, async (fn, arrival, signal) => {
    const r = await inner.invoke(fn, arrival, signal);
    if (broken) return r;
    // The action's answer and logs (embedded platform) are left out: they can be large.
    const fields = Object.fromEntries(Object.entries(r).filter(([k]) => !UNTRACED.has(k)));
    try {
      appendFileSync(
        path,
        `${JSON.stringify({ seq: arrival.seq, function: fn.id, target: fn.name, ...fields })}\n`,
      );
    } catch {
      broken = true;
    }
    return r;
  });
}

export interface WrapperOptions {
  retry?: RetryPolicy;
  /** --trace-requests: a JSON-lines file of every invocation's result. */
  traceRequestsPath?: string;
}

/** The adapter with the wrappers the options ask for (tracing outermost: it sees every result). */
export function withWrappers(adapter: PlatformAdapter, o: WrapperOptions): PlatformAdapter {
  let wrapped = o.retry ? withRetry(adapter, o.retry) : adapter;
  if (o.traceRequestsPath !== undefined) wrapped = withTracing(wrapped, o.traceRequestsPath);
  return wrapped;
}
