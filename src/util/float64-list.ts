/** An append-only list of float64 values that grows by doubling; `toArray()` trims to length. */
export class Float64List {
  private data: Float64Array;
  length = 0;

  constructor(initialCapacity = 16) {
    this.data = new Float64Array(Math.max(1, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  /** A copy holding exactly the pushed values. */
  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}
