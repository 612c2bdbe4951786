/**
 * Abort callbacks for many requests that share one signal (the dispatcher gives every invocation
 * the same one): one 'abort' listener per signal, whatever the number in flight. A listener per
 * request would warn past 10 (MaxListenersExceededWarning) and cost O(n) to remove.
 */
const callbacksOf = new WeakMap<AbortSignal, Set<() => void>>();

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = onAbort(signal, done);
  });
}

/** Calls `callback` once when `signal` aborts; the returned function unsubscribes. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = callbacksOf.get(signal);
  if (!callbacks) {
    const set = new Set<() => void>();
    callbacks = set;
    callbacksOf.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        const all = [...set];
        set.clear();
        for (const cb of all) cb();
      },
      { once: true },
    );
  }
  const own = callbacks;
  own.add(callback);
  return () => {
    own.delete(callback);
  };
}
