/**
 * Growable columns for one chunk of arrivals while it is generated (reused across chunks).
 * Writers call reserve(n), then fill rows length..length+n-1 and advance length.
 */
export class ChunkColumns {
  length = 0;
  /** Trace time, whole microseconds from the chunk's start (a chunk spans less than 2^32 µs). */
  keyUs = new Uint32Array(1024);
  fn = new Uint32Array(1024);
  /** Binned arrivals: the random bits their duration and memory are drawn from, later. */
  draws = new Int32Array(1024);
  source = new Int32Array(1024);

  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.keyUs.length) return;
    const size = Math.max(need, 2 * this.keyUs.length);
    const grow = <T extends Uint32Array | Int32Array>(a: T, b: T): T => {
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.keyUs = grow(this.keyUs, new Uint32Array(size));
    this.fn = grow(this.fn, new Uint32Array(size));
    this.draws = grow(this.draws, new Int32Array(size));
    this.source = grow(this.source, new Int32Array(size));
  }
}

type Column = Float64Array | Uint32Array | Int32Array;

/**
 * Where a batch's arrays come from: new ones each time, or (reuse) one set kept and grown, so
 * that each batch overwrites the last one's (BatchOptions.reuse).
 */
export class BatchArrays {
  private readonly kept = new Map<string, Column>();

  constructor(private readonly reuse: boolean) {}

  f64(slot: string, n: number): Float64Array {
    return this.take(slot, n, (k) => new Float64Array(k));
  }

  u32(slot: string, n: number): Uint32Array {
    return this.take(slot, n, (k) => new Uint32Array(k));
  }

  i32(slot: string, n: number): Int32Array {
    return this.take(slot, n, (k) => new Int32Array(k));
  }

  private take<T extends Column>(slot: string, n: number, make: (k: number) => T): T {
    if (!this.reuse) return make(n);
    let a = this.kept.get(slot) as T | undefined;
    if (a === undefined || a.length < n) {
      a = make(Math.max(n, 2 * (a?.length ?? 0)));
      this.kept.set(slot, a);
    }
    return a.subarray(0, n) as T;
  }
}
