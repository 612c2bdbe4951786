/** Growable columns for one chunk of arrivals while it is generated (reused across chunks). */
export class ChunkColumns {
  length = 0;
  traceUs = new Float64Array(1024);
  fn = new Uint32Array(1024);
  durationMs = new Float64Array(1024);
  memoryMb = new Float64Array(1024);
  source = new Int32Array(1024);

  push(traceUs: number, fn: number, durationMs: number, memoryMb: number, source: number): void {
    if (this.length === this.traceUs.length) this.grow();
    const i = this.length++;
    this.traceUs[i] = traceUs;
    this.fn[i] = fn;
    this.durationMs[i] = durationMs;
    this.memoryMb[i] = memoryMb;
    this.source[i] = source;
  }

  private grow(): void {
    const n = this.traceUs.length * 2;
    const grow = <T extends Float64Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.traceUs = grow(this.traceUs, (k) => new Float64Array(k));
    this.fn = grow(this.fn, (k) => new Uint32Array(k));
    this.durationMs = grow(this.durationMs, (k) => new Float64Array(k));
    this.memoryMb = grow(this.memoryMb, (k) => new Float64Array(k));
    this.source = grow(this.source, (k) => new Int32Array(k));
  }
}
