import { type FileHandle, open } from 'node:fs/promises';

/** Flush the buffer past this many bytes. */
const FLUSH_BYTES = 1 << 20;

/**
 * Appends ASCII to a file through one reused buffer. `reserve` bytes must fit between flushes:
 * callers write at most that much between maybeFlush() calls.
 */
export class BufferedFile {
  written = 0;
  private pos = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly buf: Buffer,
  ) {}

  static async create(path: string, reserve: number): Promise<BufferedFile> {
    return new BufferedFile(await open(path, 'w'), Buffer.allocUnsafe(FLUSH_BYTES + reserve));
  }

  text(s: string): void {
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** A non-negative integer in decimal. */
  uint(v: number): void {
    if (v < 10) {
      this.buf[this.pos++] = 0x30 + v;
      return;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let at = this.pos + digits;
    this.pos = at;
    let x = v;
    do {
      this.buf[--at] = 0x30 + (x % 10);
      x = Math.floor(x / 10);
    } while (x > 0);
  }

  async maybeFlush(): Promise<void> {
    if (this.pos >= FLUSH_BYTES) await this.flush();
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }

  private async flush(): Promise<void> {
    let at = 0;
    while (at < this.pos) {
      const { bytesWritten } = await this.handle.write(this.buf, at, this.pos - at);
      at += bytesWritten;
    }
    this.written += this.pos;
    this.pos = 0;
  }
}
