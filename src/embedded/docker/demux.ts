/**
 * Splits the Engine API's multiplexed attach/logs stream (containers without a TTY): frames of
 * an 8-byte header [stream, 0, 0, 0, size as big-endian uint32] then `size` bytes; stream 1 is
 * stdout, 2 is stderr (0, stdin, is never sent here). Feed it chunks in order; frames may span
 * chunks. Synchronous, no buffering beyond one partial frame.
 */
export class StreamDemux {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onStdout: (data: Buffer) => void,
    private readonly onStderr: (data: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const payload = buf.subarray(8, 8 + size);
      if (buf[0] === 2) this.onStderr(payload);
      else this.onStdout(payload);
      buf = buf.subarray(8 + size);
    }
    // Copy the rest so a partial frame does not pin the whole chunk.
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }
}
