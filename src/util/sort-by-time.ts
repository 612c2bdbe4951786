/**
 * Sorts `atUs` ascending in place, stable (equal times keep their order), permuting each of
 * `columns` alongside (one entry per arrival, or undefined). No-op when already sorted. Costs a
 * copy of each column and an index array while it sorts.
 */
export function sortByTime(atUs: Float64Array, ...columns: (Float64Array | undefined)[]): void {
  let sorted = true;
  for (let i = 1; i < atUs.length && sorted; i++) sorted = atUs[i - 1]! <= atUs[i]!;
  if (sorted) return;
  const order = new Uint32Array(atUs.length).map((_, i) => i).sort((a, b) => atUs[a]! - atUs[b]! || a - b);
  for (const column of [atUs, ...columns]) {
    if (column === undefined) continue;
    const before = column.slice();
    order.forEach((from, to) => {
      column[to] = before[from]!;
    });
  }
}
