import { type FileHandle, open } from 'node:fs/promises';
import { Message, MessageHeader } from 'apache-arrow';
import { messageOf } from '../util/message.js';

/** One message of an Arrow IPC stream: where it is in the file and what it holds. */
export interface IpcFrame {
  kind: 'schema' | 'batch' | 'dictionary';
  /** Byte offset of the message (its continuation marker) and its whole size, body included. */
  offset: number;
  bytes: number;
  /** Rows of a record batch; 0 for other messages. */
  rows: number;
}

/** What a scan found: the complete messages, and where and why the stream stops. */
export interface IpcScan {
  path: string;
  fileBytes: number;
  schema?: IpcFrame;
  /** Complete record batches (and dictionary batches), in file order. */
  frames: IpcFrame[];
  rows: number;
  /** The stream's end-of-stream marker was found (the writer finished it). */
  ended: boolean;
  /** Bytes after the last complete message: a batch cut short by a crash or a full disk. */
  truncated?: { offset: number; bytes: number; reason: string };
}

const CONTINUATION = 0xffffffff;

/**
 * Walks an Arrow IPC stream file message by message, reading only each message's header (the
 * bodies are skipped), so it runs in constant memory on any size of file. A message whose
 * header or body runs past the end of the file is reported as truncated and everything before
 * it is kept: this is how a stream cut by kill -9 or a full disk is read back.
 */
export async function scanIpcStream(path: string): Promise<IpcScan> {
  const fh = await open(path, 'r');
  try {
    const fileBytes = (await fh.stat()).size;
    const scan: IpcScan = { path, fileBytes, frames: [], rows: 0, ended: false };
    let pos = 0;
    const prefix = Buffer.alloc(8);
    while (pos < fileBytes) {
      const cut = (reason: string) => {
        scan.truncated = { offset: pos, bytes: fileBytes - pos, reason };
      };
      if (pos + 4 > fileBytes) {
        cut('a message length cut short');
        break;
      }
      await readExactly(fh, prefix, 8, pos, fileBytes);
      let headerBytes = 4;
      let metaBytes = prefix.readInt32LE(0);
      if (prefix.readUInt32LE(0) === CONTINUATION) {
        if (pos + 8 > fileBytes) {
          cut('a message length cut short');
          break;
        }
        headerBytes = 8;
        metaBytes = prefix.readInt32LE(4);
      }
      if (metaBytes === 0) {
        scan.ended = true;
        pos += headerBytes;
        break;
      }
      if (metaBytes < 0 || pos + headerBytes + metaBytes > fileBytes) {
        cut(metaBytes < 0 ? 'a corrupt message length' : 'a message header cut short');
        break;
      }
      const meta = Buffer.alloc(metaBytes);
      await readExactly(fh, meta, metaBytes, pos + headerBytes, fileBytes);
      let message: Message;
      try {
        message = Message.decode(meta);
      } catch (err) {
        cut(`an unreadable message header (${messageOf(err)})`);
        break;
      }
      const bytes = headerBytes + metaBytes + Number(message.bodyLength);
      if (pos + bytes > fileBytes) {
        cut(`a ${message.isRecordBatch() ? 'record batch' : 'message'} cut short`);
        break;
      }
      if (message.headerType === MessageHeader.Schema) {
        scan.schema = { kind: 'schema', offset: pos, bytes, rows: 0 };
      } else if (message.isRecordBatch()) {
        const rows = Number(message.header().length);
        scan.frames.push({ kind: 'batch', offset: pos, bytes, rows });
        scan.rows += rows;
      } else if (message.isDictionaryBatch()) {
        scan.frames.push({ kind: 'dictionary', offset: pos, bytes, rows: 0 });
      }
      pos += bytes;
    }
    if (scan.ended && pos < fileBytes) {
      scan.truncated = {
        offset: pos,
        bytes: fileBytes - pos,
        reason: 'bytes after the end-of-stream marker',
      };
    }
    return scan;
  } finally {
    await fh.close();
  }
}

async function readExactly(
  fh: FileHandle,
  into: Buffer,
  length: number,
  position: number,
  fileBytes: number,
) {
  const want = Math.min(length, fileBytes - position);
  let got = 0;
  while (got < want) {
    const { bytesRead } = await fh.read(into, got, want - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
}

/** The end-of-stream marker: a continuation and a zero length. */
export const IPC_EOS = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/**
 * Reads the schema and the given frames back as one small, complete IPC stream (schema, the
 * frames, end marker): how a slice of a big stream is handed to a reader.
 */
export async function readFrames(
  path: string,
  schema: IpcFrame,
  frames: readonly IpcFrame[],
): Promise<Buffer> {
  const total = schema.bytes + frames.reduce((n, f) => n + f.bytes, 0) + IPC_EOS.length;
  const out = Buffer.allocUnsafe(total);
  const fh = await open(path, 'r');
  try {
    let at = 0;
    for (const f of [schema, ...frames]) {
      let got = 0;
      while (got < f.bytes) {
        const { bytesRead } = await fh.read(out, at + got, f.bytes - got, f.offset + got);
        if (bytesRead === 0) throw new Error(`${path}: file shorter than its scan at byte ${f.offset + got}`);
        got += bytesRead;
      }
      at += f.bytes;
    }
    out.set(IPC_EOS, at);
    return out;
  } finally {
    await fh.close();
  }
}
