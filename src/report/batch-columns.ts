import { type Data, DataType, type RecordBatch } from 'apache-arrow';
import { FaasloadError } from '../errors.js';

/**
 * A record batch's columns as plain arrays for the report's aggregators, without a value object
 * per cell: numbers (int64 and timestamps as their µs, exact below 2^53; booleans as 1/0) into
 * a Float64Array with NaN for nulls; text as small integer ids (-1 for null) whose names are
 * kept per column across the batches of one reader (decoding each cell to a string costs ~1 µs,
 * 10 s a column for 10 M rows; an id a few tens of ns). Arrays are reused between batches of
 * one reader: read a batch's columns before asking for the next batch.
 */
export class BatchColumns {
  private readonly nums = new Map<string, Float64Array>();
  private readonly idArrays = new Map<string, Int32Array>();
  private readonly interners = new Map<string, Interner>();

  /**
   * The text column `name` of `batch` as ids into names(name) (-1 for null), or null when the
   * batch has no such column. The same text gets the same id in every batch of this reader.
   */
  ids(batch: RecordBatch, name: string): Int32Array | null {
    const v = batch.getChild(name);
    if (!v) return null;
    let out = this.idArrays.get(name);
    if (!out || out.length < v.length) {
      out = new Int32Array(Math.max(v.length, 65536));
      this.idArrays.set(name, out);
    }
    let interner = this.interners.get(name);
    if (!interner) {
      interner = new Interner();
      this.interners.set(name, interner);
    }
    let at = 0;
    for (const d of v.data) {
      interner.fill(d, out, at);
      at += d.length;
    }
    return out;
  }

  /** The texts of column `name` seen so far, by id. */
  names(name: string): readonly string[] {
    return this.interners.get(name)?.names ?? [];
  }

  /** ids() of a column the reader cannot do without: a table without it is an E_DATASET error naming its file. */
  needIds(batch: RecordBatch, name: string, table: { readonly path: string }): Int32Array {
    return this.ids(batch, name) ?? noColumn(table, name);
  }

  /** num() of a column the reader cannot do without: a table without it is an E_DATASET error naming its file. */
  needNum(batch: RecordBatch, name: string, table: { readonly path: string }): Float64Array {
    return this.num(batch, name) ?? noColumn(table, name);
  }

  /** The numeric column `name` of `batch`, or null when the batch has no such column. */
  num(batch: RecordBatch, name: string): Float64Array | null {
    const v = batch.getChild(name);
    if (!v) return null;
    let out = this.nums.get(name);
    if (!out || out.length < v.length) {
      out = new Float64Array(Math.max(v.length, 65536));
      this.nums.set(name, out);
    }
    let at = 0;
    for (const d of v.data) {
      fillNumbers(d, out, at);
      at += d.length;
    }
    return out;
  }
}

/** Readers check the columns they need when they open a table (figures-load.ts); this says so again if not. */
function noColumn(table: { readonly path: string }, name: string): never {
  throw new FaasloadError('E_DATASET', `${table.path}: no column '${name}'`);
}

/** Maps UTF-8 byte strings to ids: FNV-1a hash into an open-addressing table, bytes compared on a match. */
class Interner {
  readonly names: string[] = [];
  private readonly bytes: Uint8Array[] = [];
  private hashes = new Int32Array(64);
  /** id + 1 per slot, 0 when free; kept at most half full. */
  private slots = new Int32Array(1024);
  private readonly decoder = new TextDecoder();

  fill(d: Data, out: Int32Array, at: number): void {
    if (!DataType.isUtf8(d.type))
      throw new FaasloadError('E_DATASET', `a text column holds ${String(d.type)}, not Utf8`);
    const offsets = d.valueOffsets as Int32Array;
    const values = d.values as Uint8Array;
    const nulls = d.nullCount > 0;
    for (let i = 0; i < d.length; i++) {
      if (nulls && !valid(d, i)) {
        out[at + i] = -1;
        continue;
      }
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      let h = 0x811c9dc5 | 0;
      for (let k = start; k < end; k++) h = Math.imul(h ^ values[k]!, 0x01000193);
      out[at + i] = this.find(h, values, start, end);
    }
  }

  private find(h: number, values: Uint8Array, start: number, end: number): number {
    const mask = this.slots.length - 1;
    let k = h & mask;
    for (;;) {
      const slot = this.slots[k]!;
      if (slot === 0) break;
      const id = slot - 1;
      if (this.hashes[id] === h && same(this.bytes[id]!, values, start, end)) return id;
      k = (k + 1) & mask;
    }
    const id = this.names.length;
    const copy = values.slice(start, end);
    this.bytes.push(copy);
    this.names.push(this.decoder.decode(copy));
    if (id === this.hashes.length) {
      const grown = new Int32Array(2 * id);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[id] = h;
    this.slots[k] = id + 1;
    if (2 * (id + 1) > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(2 * this.slots.length);
    const mask = slots.length - 1;
    for (let id = 0; id < this.names.length; id++) {
      let k = this.hashes[id]! & mask;
      while (slots[k] !== 0) k = (k + 1) & mask;
      slots[k] = id + 1;
    }
    this.slots = slots;
  }
}

function same(a: Uint8Array, values: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== values[start + k]) return false;
  return true;
}

function valid(d: Data, i: number): boolean {
  const bitmap = d.nullBitmap;
  if (d.nullCount === 0 || !bitmap || bitmap.length === 0) return true;
  const k = d.offset + i;
  return ((bitmap[k >> 3]! >> (k & 7)) & 1) === 1;
}

function fillNumbers(d: Data, out: Float64Array, at: number): void {
  const n = d.length;
  const type = d.type;
  if (DataType.isBool(type)) {
    const bits = d.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const k = d.offset + i;
      out[at + i] = (bits[k >> 3]! >> (k & 7)) & 1;
    }
  } else if (d.values instanceof BigInt64Array || d.values instanceof BigUint64Array) {
    // 64-bit integers (and timestamps) as two 32-bit halves: no BigInt per cell.
    const words = new Int32Array(d.values.buffer, d.values.byteOffset, d.values.length * 2);
    for (let i = 0; i < n; i++) {
      const lo = words[2 * i]!;
      const hi = words[2 * i + 1]!;
      out[at + i] = hi * 4294967296 + (lo >>> 0);
    }
  } else {
    const values = d.values as ArrayLike<number>;
    for (let i = 0; i < n; i++) out[at + i] = values[i]!;
  }
  if (d.nullCount > 0) for (let i = 0; i < n; i++) if (!valid(d, i)) out[at + i] = Number.NaN;
}
