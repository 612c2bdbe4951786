/**
 * Merges ascending streams into one ascending stream, lazily, with a binary heap: O(log k) per
 * item for k streams. Ties go to the stream with the lower index, so the order is deterministic.
 */
export function* mergeAscending<T>(streams: Iterable<Iterator<T>>, key: (item: T) => number): Generator<T> {
  const heads: { item: T; key: number; index: number; it: Iterator<T> }[] = [];
  let index = 0;
  for (const it of streams) {
    const r = it.next();
    if (!r.done) heads.push({ item: r.value, key: key(r.value), index, it });
    index++;
  }
  const less = (a: number, b: number) => {
    const x = heads[a]!;
    const y = heads[b]!;
    return x.key < y.key || (x.key === y.key && x.index < y.index);
  };
  const swap = (a: number, b: number) => {
    const t = heads[a]!;
    heads[a] = heads[b]!;
    heads[b] = t;
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heads.length && less(l, m)) m = l;
      if (r < heads.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = (heads.length >> 1) - 1; i >= 0; i--) down(i);
  while (heads.length > 0) {
    const top = heads[0]!;
    yield top.item;
    const r = top.it.next();
    if (r.done) {
      const last = heads.pop()!;
      if (heads.length === 0) return;
      heads[0] = last;
    } else {
      top.item = r.value;
      top.key = key(r.value);
    }
    down(0);
  }
}
