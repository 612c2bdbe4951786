/**
 * A minimal streaming ustar writer, enough for a rootfs tarball that `docker import` reads:
 * directories and regular files, owned by root, with a fixed mtime (so equal inputs give equal
 * bytes). No links, no long names beyond ustar's 100 + 155 characters, files below 8 GiB.
 *
 * File contents are streamed from disk, never held whole in memory; a file whose size changes
 * while it is read is an error (the header already announced the size).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export type TarEntry =
  | { kind: 'dir'; path: string; mode: number }
  /** `source` is read from disk; `data` is written as given. `size` must match the source's. */
  | { kind: 'file'; path: string; mode: number; size: number; source: string }
  | { kind: 'file'; path: string; mode: number; data: Buffer };

const BLOCK = 512;
/** 2000-01-01T00:00:00Z: a fixed, non-zero mtime. */
const MTIME_S = 946_684_800;

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar: '${value}' does not fit in ${length} bytes`);
  bytes.copy(buf, offset);
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  const text = value.toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) throw new Error(`tar: ${value} does not fit in a ${length}-byte field`);
  buf.write(`${text}\0`, offset, 'ascii');
}

/** Splits a path into ustar's prefix (<= 155) and name (<= 100) at a slash. */
function splitName(path: string): [prefix: string, name: string] {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '')
      return [prefix, name];
  }
  throw new Error(`tar: the path '${path}' is too long for ustar`);
}

function header(path: string, mode: number, size: number, type: '0' | '5'): Buffer {
  const buf = Buffer.alloc(BLOCK);
  const [prefix, name] = splitName(path);
  writeString(buf, 0, 100, name);
  writeOctal(buf, 100, 8, mode & 0o7777);
  writeOctal(buf, 108, 8, 0); // uid
  writeOctal(buf, 116, 8, 0); // gid
  writeOctal(buf, 124, 12, size);
  writeOctal(buf, 136, 12, MTIME_S);
  buf.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  buf.write(type, 156, 'ascii');
  buf.write('ustar\0', 257, 'ascii');
  buf.write('00', 263, 'ascii');
  writeString(buf, 265, 32, 'root');
  writeString(buf, 297, 32, 'root');
  writeString(buf, 345, 155, prefix);
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return buf;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

async function* tarChunks(entries: readonly TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, '');
    if (entry.kind === 'dir') {
      yield header(path.endsWith('/') ? path : `${path}/`, entry.mode, 0, '5');
      continue;
    }
    if ('data' in entry) {
      yield header(path, entry.mode, entry.data.length, '0');
      yield entry.data;
      yield padding(entry.data.length);
      continue;
    }
    yield header(path, entry.mode, entry.size, '0');
    let written = 0;
    for await (const chunk of createReadStream(entry.source)) {
      const bytes = chunk as Buffer;
      written += bytes.length;
      if (written > entry.size) break;
      yield bytes;
    }
    if (written !== entry.size) {
      throw new Error(`tar: ${entry.source} changed size while it was read (${entry.size} announced)`);
    }
    yield padding(entry.size);
  }
  yield Buffer.alloc(2 * BLOCK); // end of archive
}

/** The archive of `entries`, in order, as a byte stream. Parent directories must come first. */
export function tarStream(entries: readonly TarEntry[]): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}

/** The archive's size in bytes, without reading any file. */
export function tarSize(entries: readonly TarEntry[]): number {
  let size = 2 * BLOCK;
  for (const entry of entries) {
    size += BLOCK;
    const bytes = entry.kind === 'dir' ? 0 : 'data' in entry ? entry.data.length : entry.size;
    size += bytes + padding(bytes).length;
  }
  return size;
}
