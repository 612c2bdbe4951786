/** An append-only list of uint32 values that grows by doubling; `toArray()` trims to length. */
export class Uint32List {
  private data: Uint32Array;
  length = 0;

  constructor(initialCapacity = 16) {
    this.data = new Uint32Array(Math.max(1, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  /** The value at `i` (0 <= i < length). */
  at(i: number): number {
    return this.data[i]!;
  }
}
