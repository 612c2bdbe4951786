/**
 * Re-reading small kernel files (cgroup, /proc) cheaply: each file is opened once and re-read
 * from offset 0 with pread, which makes the kernel regenerate its content. On this kind of file
 * that is 5-6x cheaper than readFileSync (open + fstat + read + close per call). Files of a
 * removed cgroup or an exited process fail with ENODEV/ESRCH or read empty: both throw an error
 * that isGone() recognises.
 *
 * Two ways to read: KernelFile handles (made once per file, e.g. per container) fill the shared
 * kernelBuffer and give its length, for parsers of bytes (kernel-text.ts) that make no string;
 * KernelFiles.read(path) gives a string, for files read once a second (the host's). Synchronous,
 * single-threaded use: the next read overwrites kernelBuffer. Files are expected < 64 KiB (a
 * longer one is read truncated).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { errnoCodeOf } from '../util/message.js';

/** Where KernelFile.read() puts a file's content: valid until the next read on this thread. */
export const kernelBuffer = Buffer.allocUnsafe(64 * 1024);

export class GoneError extends Error {
  readonly code = 'ENOENT';
}

/** One kernel file, opened at its first read and kept open until close(). */
export class KernelFile {
  private fd = -1;
  /** An optional file found missing: not looked for again. */
  private absent = false;

  constructor(
    readonly path: string,
    /** True for files that are legitimately empty (v2 io.stat of a cgroup without I/O). */
    private readonly mayBeEmpty = false,
  ) {}

  /**
   * Reads the file into kernelBuffer and answers its length in bytes. Throws ENOENT/ENODEV/ESRCH
   * (or GoneError for an empty read) when the file or its owner is gone.
   */
  read(): number {
    if (this.fd < 0) this.fd = openSync(this.path, 'r');
    const n = readSync(this.fd, kernelBuffer, 0, kernelBuffer.length, 0);
    if (n === 0 && !this.mayBeEmpty) throw new GoneError(`${this.path}: empty (its owner is gone)`);
    return n;
  }

  /**
   * read() for a file that may not exist (an optional controller file): -1 when it did not exist
   * at the first attempt (then never looked for again). A file that existed and went away throws.
   */
  readOptional(): number {
    if (this.absent) return -1;
    if (this.fd < 0) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch (e) {
        if (errnoCodeOf(e) !== 'ENOENT') throw e;
        this.absent = true;
        return -1;
      }
    }
    return this.read();
  }

  /** Whether readOptional() found the file missing. */
  get missing(): boolean {
    return this.absent;
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
  }
}

/** A set of kernel files by path, closed together; string reads for the less frequent readers. */
export class KernelFiles {
  private readonly files = new Map<string, KernelFile>();

  /** The handle of a file (made once per path); see KernelFile. */
  file(path: string, mayBeEmpty = false): KernelFile {
    let f = this.files.get(path);
    if (f === undefined) {
      f = new KernelFile(path, mayBeEmpty);
      this.files.set(path, f);
    }
    return f;
  }

  /** The file's content now. Throws ENOENT (or GoneError) when it or its owner is gone. */
  read(path: string): string {
    const n = this.file(path).read();
    return kernelBuffer.toString('latin1', 0, n);
  }

  /** The content, or undefined if the file does not exist (an optional controller file). */
  readOptional(path: string): string | undefined {
    const n = this.file(path).readOptional();
    return n < 0 ? undefined : kernelBuffer.toString('latin1', 0, n);
  }

  close(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}
