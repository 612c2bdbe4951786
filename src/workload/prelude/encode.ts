/**
 * Output encodings and checksums: PNG (encoded here, deflated with zlib), binary PPM, CRC-32 and
 * sha256. Part of the workload prelude (see ../prelude.ts); catalog actions also use its `crypto`
 * and `zlib` bindings by name.
 */
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';

/** sha256 of the bytes, hex. */
export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

let crcTable: Int32Array | undefined;

function makeCrcTable(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

/** CRC-32 (IEEE, as PNG and zlib use it) of the bytes, continuing from `crc` (default 0). */
export function crc32(bytes: Uint8Array, crc?: number): number {
  crcTable ??= makeCrcTable();
  const table = crcTable;
  let c = ~(crc || 0);
  for (let i = 0; i < bytes.length; i++) c = (table[(c ^ (bytes[i] ?? 0)) & 255] ?? 0) ^ (c >>> 8);
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, tail]);
}

/** A PNG of the RGBA pixels: 8 bits per channel, no filter, deflated at zlib `level`. */
export function encodePng(width: number, height: number, rgba: Buffer, level: number): Buffer {
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(raw, { level })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A binary PPM (P6) of the pixels, alpha dropped. */
export function encodePpm(width: number, height: number, rgba: Uint8Array): Buffer {
  const head = Buffer.from(`P6\n${width} ${height}\n255\n`, 'latin1');
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i] ?? 0;
    rgb[o + 1] = rgba[i + 1] ?? 0;
    rgb[o + 2] = rgba[i + 2] ?? 0;
  }
  return Buffer.concat([head, rgb]);
}
