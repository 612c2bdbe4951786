/**
 * How a run stops, for replay and generate: the caller's signal (or the run itself) stops starting
 * work; `graceMs` later, or at the caller's hard signal, the work in flight is aborted.
 */
export interface StopControl {
  /** Aborted to stop starting work: by the caller's signal, or by the run (abort()). */
  readonly stop: AbortController;
  /** Aborted to abort the work in flight: graceMs after the stop, or by the caller's hard signal. */
  readonly hard: AbortController;
  /** Forgets the caller's signals (when the run is over). */
  dispose(): void;
}

export function stopControl(o: {
  signal?: AbortSignal;
  hardSignal?: AbortSignal;
  graceMs: number;
}): StopControl {
  const stop = new AbortController();
  const hard = new AbortController();
  const onStop = () => stop.abort(o.signal?.reason);
  const onHard = () => hard.abort(o.hardSignal?.reason);
  o.signal?.addEventListener('abort', onStop, { once: true });
  o.hardSignal?.addEventListener('abort', onHard, { once: true });
  stop.signal.addEventListener(
    'abort',
    () => setTimeout(() => hard.abort(new Error('grace time over')), o.graceMs).unref(),
    { once: true },
  );
  return {
    stop,
    hard,
    dispose: () => {
      o.signal?.removeEventListener('abort', onStop);
      o.hardSignal?.removeEventListener('abort', onHard);
    },
  };
}
