/**
 * Collects a reader's warnings without flooding: each kind keeps its first `perKind` messages
 * and ends with one line counting the rest (a raw Azure 2019 day can lack thousands of rows).
 */
export class WarningLog {
  private readonly kept: string[] = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly perKind = 10) {}

  add(kind: string, message: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n <= this.perKind) this.kept.push(message);
  }

  /** The kept messages, then one summary line per kind that overflowed. */
  list(): string[] {
    const out = [...this.kept];
    for (const [kind, n] of this.counts) {
      if (n > this.perKind) out.push(`... and ${n - this.perKind} more warnings: ${kind}`);
    }
    return out;
  }
}
