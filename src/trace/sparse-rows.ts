/**
 * Append-only storage of sparse count rows: row r is a list of (bin, count) pairs, bins ascending,
 * kept as two Uint32Array views. All rows share large blocks, so a full Azure 2019 day costs
 * 8 bytes per non-empty minute plus a few bytes per row, with no per-row allocation and no copy
 * on growth. Blocks hold `blockEntries` pairs (or one row's worth if a row is longer); a row never
 * straddles two blocks, which wastes at most one row's reservation per block.
 *
 * Writing a row: `reserve(max)`, then fill `bins[at + i]`, `counts[at + i]` for i < n, then
 * `commit(n)` (or reserve again to drop it). Not safe to share across concurrent writers.
 */
export class SparseRows {
  /** Where the reserved row starts in `bins` / `counts` (valid after reserve()). */
  at = 0;
  bins: Uint32Array = EMPTY;
  counts: Uint32Array = EMPTY;

  private readonly blockBins: Uint32Array[] = [];
  private readonly blockCounts: Uint32Array[] = [];
  private used = 0;
  private readonly rowBlock: number[] = [];
  private readonly rowStart: number[] = [];
  private readonly rowLength: number[] = [];
  private entries = 0;

  constructor(private readonly blockEntries = 1 << 18) {}

  /** Makes room for a row of up to `max` pairs at `at` in `bins` and `counts`. */
  reserve(max: number): void {
    if (this.blockBins.length === 0 || this.used + max > this.bins.length) {
      const size = Math.max(this.blockEntries, max);
      this.bins = new Uint32Array(size);
      this.counts = new Uint32Array(size);
      this.blockBins.push(this.bins);
      this.blockCounts.push(this.counts);
      this.used = 0;
    }
    this.at = this.used;
  }

  /** Keeps the reserved row's first `n` pairs as a new row; returns its index. */
  commit(n: number): number {
    this.rowBlock.push(this.blockBins.length - 1);
    this.rowStart.push(this.at);
    this.rowLength.push(n);
    this.used = this.at + n;
    this.entries += n;
    return this.rowBlock.length - 1;
  }

  /** Appends a row made of copies of `parts`, in order (their bins must ascend across parts). */
  commitConcat(parts: ReadonlyArray<{ bins: Uint32Array; counts: Uint32Array }>): number {
    let total = 0;
    for (const part of parts) total += part.bins.length;
    this.reserve(total);
    let at = this.at;
    for (const part of parts) {
      this.bins.set(part.bins, at);
      this.counts.set(part.counts, at);
      at += part.bins.length;
    }
    return this.commit(total);
  }

  /** Number of rows. */
  get rows(): number {
    return this.rowBlock.length;
  }

  /** Number of (bin, count) pairs in all rows. */
  get size(): number {
    return this.entries;
  }

  /** Row r as views into the blocks (no copy); callers must not write to them. */
  row(r: number): { bins: Uint32Array; counts: Uint32Array } {
    const block = this.rowBlock[r];
    if (block === undefined) throw new RangeError(`no row ${r} (${this.rows} rows)`);
    const start = this.rowStart[r]!;
    const end = start + this.rowLength[r]!;
    return {
      bins: this.blockBins[block]!.subarray(start, end),
      counts: this.blockCounts[block]!.subarray(start, end),
    };
  }
}

const EMPTY = new Uint32Array(0);
