/**
 * Stable LSD radix sort of integer keys in [0, 2^32), returning the permutation (indices in
 * sorted order). Equal keys keep their input order, which planning relies on for a deterministic
 * tie order. 13 bits per pass (the counts fit in L1), and only the passes the largest key needs:
 * two for a minute of microseconds.
 */
const BITS = 13;
const RADIX = 1 << BITS;
const MASK = RADIX - 1;

export function radixOrder(input: Uint32Array, length: number): Uint32Array {
  let keys = input.slice(0, length);
  let order = new Uint32Array(length);
  let max = 0;
  for (let i = 0; i < length; i++) {
    order[i] = i;
    if (keys[i]! > max) max = keys[i]!;
  }
  let nextKeys = new Uint32Array(length);
  let nextOrder = new Uint32Array(length);
  const counts = new Uint32Array(RADIX);
  for (let shift = 0; shift < 32 && max >>> shift > 0; shift += BITS) {
    counts.fill(0);
    for (let i = 0; i < length; i++) counts[(keys[i]! >>> shift) & MASK]!++;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < length; i++) {
      const k = keys[i]!;
      const at = counts[(k >>> shift) & MASK]!++;
      nextKeys[at] = k;
      nextOrder[at] = order[i]!;
    }
    [keys, nextKeys] = [nextKeys, keys];
    [order, nextOrder] = [nextOrder, order];
  }
  return order;
}
