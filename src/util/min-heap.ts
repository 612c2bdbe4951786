/**
 * A binary min-heap in a plain array, ordered by `before` (true when a comes first). The event
 * queues of the simulator use it; ties must be broken by `before` itself (e.g. an insertion
 * order), since the heap is not stable.
 */
export function heapPush<T>(heap: T[], x: T, before: (a: T, b: T) => boolean): void {
  let i = heap.length;
  heap.push(x);
  while (i > 0) {
    const p = (i - 1) >> 1;
    const parent = heap[p] as T;
    if (!before(x, parent)) break;
    heap[i] = parent;
    i = p;
  }
  heap[i] = x;
}

/** Removes and returns the first element; the heap must not be empty. */
export function heapPop<T>(heap: T[], before: (a: T, b: T) => boolean): T {
  const top = heap[0] as T;
  const last = heap.pop() as T;
  const n = heap.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(heap[c + 1] as T, heap[c] as T)) c++;
      const child = heap[c] as T;
      if (!before(child, last)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
  }
  return top;
}
