/**
 * The chunks of a web ReadableStream as an async iterable, typed as the caller knows them
 * (parquet-wasm declares its streams as ReadableStream<any>). Stopping early (a break, a throw)
 * cancels the stream, as a for await over the stream itself does.
 */
export async function* chunksOf<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
