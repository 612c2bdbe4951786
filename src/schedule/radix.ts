/**
 * Stable LSD radix sort of integer keys in [0, 2^32), returning the permutation (indices in
 * sorted order). Equal keys keep their input order, which planning relies on for a deterministic
 * tie order. 13 bits per pass (the counts fit in L1), and only the passes the largest key needs:
 * two for a minute of microseconds. A sorter keeps its buffers between calls: the returned
 * order is valid until the next call.
 */
const BITS = 13;
const RADIX = 1 << BITS;
const MASK = RADIX - 1;

export class RadixSorter {
  private keys = new Uint32Array(0);
  private nextKeys = new Uint32Array(0);
  private order = new Uint32Array(0);
  private nextOrder = new Uint32Array(0);
  /** One histogram per digit, all counted in one read of the keys. */
  private readonly counts = new Uint32Array(3 * RADIX);

  /** The stable sorted order of input[0..length). Does not modify input. */
  sort(input: Uint32Array, length: number): Uint32Array {
    if (this.order.length < length) {
      const size = Math.max(length, 2 * this.order.length);
      this.keys = new Uint32Array(size);
      this.nextKeys = new Uint32Array(size);
      this.order = new Uint32Array(size);
      this.nextOrder = new Uint32Array(size);
    }
    const counts = this.counts;
    counts.fill(0);
    let max = 0;
    for (let i = 0; i < length; i++) {
      const k = input[i]!;
      if (k > max) max = k;
      counts[k & MASK]!++;
      counts[RADIX + ((k >>> BITS) & MASK)]!++;
      counts[2 * RADIX + (k >>> (2 * BITS))]!++;
    }
    const passes = max === 0 ? 0 : Math.ceil((32 - Math.clz32(max)) / BITS);
    if (passes === 0) {
      for (let i = 0; i < length; i++) this.order[i] = i;
      return this.order.subarray(0, length);
    }
    // Pass p reads keys[] and order[] (the input and the identity for the first) and writes the
    // next ones; the last pass writes the order only.
    let { keys, nextKeys, order, nextOrder } = this;
    for (let p = 0; p < passes; p++) {
      const shift = p * BITS;
      const base = p * RADIX;
      let sum = 0;
      for (let d = base; d < base + RADIX; d++) {
        const c = counts[d]!;
        counts[d] = sum;
        sum += c;
      }
      const from = p === 0 ? input : keys;
      const last = p === passes - 1;
      for (let i = 0; i < length; i++) {
        const k = from[i]!;
        const at = counts[base + ((k >>> shift) & MASK)]!++;
        if (!last) nextKeys[at] = k;
        nextOrder[at] = p === 0 ? i : order[i]!;
      }
      [keys, nextKeys] = [nextKeys, keys];
      [order, nextOrder] = [nextOrder, order];
    }
    this.keys = keys;
    this.nextKeys = nextKeys;
    this.order = order;
    this.nextOrder = nextOrder;
    return order.subarray(0, length);
  }
}

/** The stable sorted order of input[0..length), in a new array. */
export function radixOrder(input: Uint32Array, length: number): Uint32Array {
  return new RadixSorter().sort(input, length).slice();
}
