import {
  Bool,
  type Data,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  type RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import type { ParquetCodec, ParquetEncoding } from './parquet.js';
import type { StagedBatch, StagingSlot } from './staging.js';

/** The column kinds tables use. Timestamps are UTC microseconds; ids and counters int64. */
export type ColumnKind = 'int64' | 'int32' | 'float64' | 'bool' | 'utf8' | 'timestamp_us';

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
  /** Unit and meaning, for docs and the manifest. */
  doc: string;
  /** Parquet layout when the kind's default does not fit (see parquet.ts). */
  encoding?: ParquetEncoding;
  /** Parquet compression of the column; default zstd (see parquet.ts). */
  codec?: ParquetCodec;
  /**
   * utf8: 'many' when most values differ (instance ids, random ids): staged as bytes rather
   * than through a per-batch dictionary (see staging.ts). Does not change the Parquet layout.
   */
  distinct?: 'few' | 'many';
}

export type CellValue = number | string | boolean | null | undefined;

/** The value a row gives for a column kind: timestamps, int64 and int32 as numbers. */
export type CellOf<K extends ColumnKind> = K extends 'utf8' ? string : K extends 'bool' ? boolean : number;

/** A row of any table: what a writer of a schema known only as ColumnSpec[] takes. */
export type AnyRow = Record<string, CellValue>;

/**
 * The row type of a schema written `[...] as const satisfies readonly ColumnSpec[]`: one key per
 * column, its kind's TS type, null or undefined allowed where the column is nullable. Every key is
 * required (a nullable one may be null), so a misspelled or forgotten column is a compile error.
 * A schema typed only as ColumnSpec[] (its length unknown) gives AnyRow.
 */
export type RowOf<C extends readonly ColumnSpec[]> = number extends C['length']
  ? AnyRow
  : {
      -readonly [S in C[number] as S['name']]: S['nullable'] extends true
        ? CellOf<S['kind']> | null | undefined
        : CellOf<S['kind']>;
    };

function arrowType(kind: ColumnKind): DataType {
  switch (kind) {
    case 'int64':
      return new Int64();
    case 'int32':
      return new Int32();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'utf8':
      return new Utf8();
    case 'timestamp_us':
      return new TimestampMicrosecond('UTC');
  }
}

/** One Arrow Schema per table, built once from its column specs. */
export function arrowSchema(columns: readonly ColumnSpec[], metadata?: Map<string, string>): Schema {
  return new Schema(
    columns.map((c) => new Field(c.name, arrowType(c.kind), c.nullable)),
    metadata,
  );
}

/**
 * Memory for the Arrow buffers of one batch, reused batch after batch: the writer thread encodes
 * hundreds of batches, and fresh buffers for each would keep its garbage collector busy. Views
 * taken before reset() must no longer be used after it.
 */
export class Arena {
  private buffer = new ArrayBuffer(1 << 20);
  private used = 0;

  reset(): void {
    this.used = 0;
  }

  /** A view of `length` elements; zero-filled when `zero`. */
  take<T extends Uint8Array | Int32Array | Float64Array | BigInt64Array>(
    kind: { new (buffer: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number },
    length: number,
    zero = false,
  ): T {
    const at = (this.used + 7) & ~7;
    const bytes = length * kind.BYTES_PER_ELEMENT;
    if (at + bytes > this.buffer.byteLength) {
      // Views already taken keep the old buffer alive until the next reset.
      this.buffer = new ArrayBuffer(Math.max(2 * this.buffer.byteLength, bytes));
      this.used = 0;
      return this.take(kind, length, zero);
    }
    this.used = at + bytes;
    if (zero) new Uint8Array(this.buffer, at, bytes).fill(0);
    return new kind(this.buffer, at, length);
  }
}

/**
 * One staged column (see staging.ts) as Arrow Data of its spec's type, in buffers of `arena`:
 * int64 and timestamps rounded to integers, dictionary codes gathered into UTF-8 (from `fixed`,
 * the column's fixed dictionary already encoded, when it has one; else from the batch's own).
 * Throws when a column that is not nullable got nulls, or a code is past its dictionary.
 */
export function encodeColumn(
  spec: ColumnSpec,
  type: DataType,
  slot: StagingSlot,
  batch: StagedBatch,
  arena: Arena = new Arena(),
  fixed?: readonly Uint8Array[],
): Data {
  const { length } = batch;
  const { layout, index, width } = slot;
  const nullBitmap = validity(spec, slot, batch, arena);
  const nullCount = nullBitmap ? countNulls(nullBitmap, length) : 0;
  const bitmap = nullCount > 0 ? nullBitmap : undefined;
  if (layout === 'codes') return gather(type as Utf8, batch, slot, nullCount, bitmap, arena, fixed);
  if (layout === 'texts') {
    const t = batch.texts[index]!;
    const valueOffsets = arena.take(Int32Array, length + 1);
    valueOffsets[0] = 0;
    valueOffsets.set(t.ends.subarray(0, length), 1);
    const data = t.bytes.subarray(0, valueOffsets[length]!);
    return makeData({ type: type as Utf8, length, nullCount, nullBitmap: bitmap, valueOffsets, data });
  }
  // All null: zeros, without reading the values.
  const numbers = nullCount === length ? undefined : batch.numbers;
  switch (spec.kind) {
    case 'int64':
    case 'timestamp_us': {
      // Written as two 32-bit words (little-endian), not through a BigInt per value.
      const data = arena.take(BigInt64Array, length, !numbers);
      const words = new Int32Array(data.buffer, data.byteOffset, 2 * length);
      if (numbers) {
        for (let i = 0, at = index; i < length; i++, at += width) {
          const v = Math.round(numbers[at]!);
          const lo = v >>> 0;
          words[2 * i] = lo;
          words[2 * i + 1] = (v - lo) / 4294967296;
        }
      }
      return makeData({ type: type as Int64, length, nullCount, nullBitmap: bitmap, data });
    }
    case 'int32': {
      const data = arena.take(Int32Array, length, !numbers);
      if (numbers) for (let i = 0, at = index; i < length; i++, at += width) data[i] = numbers[at]!;
      return makeData({ type: type as Int32, length, nullCount, nullBitmap: bitmap, data });
    }
    case 'bool': {
      const data = arena.take(Uint8Array, (length + 7) >> 3, true);
      if (numbers)
        for (let i = 0, at = index; i < length; i++, at += width)
          if (numbers[at]) data[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: type as Bool, length, nullCount, nullBitmap: bitmap, data });
    }
    default: {
      const data = arena.take(Float64Array, length, !numbers);
      if (numbers) for (let i = 0, at = index; i < length; i++, at += width) data[i] = numbers[at]!;
      return makeData({ type: type as Float64, length, nullCount, nullBitmap: bitmap, data });
    }
  }
}

/** The column's validity bitmap (bit set: a value), read with the row's stride; throws on nulls where none may be. */
function validity(spec: ColumnSpec, slot: StagingSlot, batch: StagedBatch, arena: Arena): Uint8Array {
  const { length } = batch;
  const { layout, index, width } = slot;
  const bits = arena.take(Uint8Array, (length + 7) >> 3, true);
  if (layout === 'codes') {
    const codes = batch.codes;
    for (let i = 0, at = index; i < length; i++, at += width)
      if (codes[at]! >= 0) bits[i >> 3]! |= 1 << (i & 7);
  } else {
    const [valid, at0, stride] =
      layout === 'numbers' ? [batch.valid, index, width] : [batch.texts[index]!.valid, 0, 1];
    for (let i = 0, at = at0; i < length; i++, at += stride) bits[i >> 3]! |= valid[at]! << (i & 7);
  }
  const nulls = countNulls(bits, length);
  if (nulls > 0 && !spec.nullable)
    throw new Error(`column ${spec.name} is not nullable but got ${nulls} nulls`);
  return bits;
}

/** Rows whose bit is clear among the first `length` bits. */
function countNulls(bits: Uint8Array, length: number): number {
  let set = 0;
  for (let i = 0; i < length >> 3; i++) {
    let b = bits[i]!;
    b = b - ((b >> 1) & 0x55);
    b = (b & 0x33) + ((b >> 2) & 0x33);
    set += (b + (b >> 4)) & 0x0f;
  }
  for (let i = length & ~7; i < length; i++) set += (bits[i >> 3]! >> (i & 7)) & 1;
  return length - set;
}

/** A dictionary-coded column as plain UTF-8 values (each entry encoded once, then copied). */
function gather(
  type: Utf8,
  batch: StagedBatch,
  slot: StagingSlot,
  nullCount: number,
  nullBitmap: Uint8Array | undefined,
  arena: Arena,
  fixed?: readonly Uint8Array[],
): Data<Utf8> {
  const { length, codes } = batch;
  const { index, width } = slot;
  const entries = fixed ?? batch.dictionaries[index]!.map((text) => Buffer.from(text, 'utf8'));
  const valueOffsets = arena.take(Int32Array, length + 1);
  valueOffsets[0] = 0;
  let total = 0;
  for (let i = 0, at = index; i < length; i++, at += width) {
    const c = codes[at]!;
    if (c >= entries.length)
      throw new RangeError(`code ${c} is past the dictionary of ${entries.length} texts`);
    if (c >= 0) total += entries[c]!.length;
    valueOffsets[i + 1] = total;
  }
  const data = arena.take(Uint8Array, total);
  for (let i = 0, at = index; i < length; i++, at += width) {
    const c = codes[at]!;
    if (c >= 0) data.set(entries[c]!, valueOffsets[i]!);
  }
  return makeData({ type, length, nullCount, nullBitmap, valueOffsets, data });
}

/** One IPC stream (schema, batches, end-of-stream marker) in memory. */
export function ipcStream(schema: Schema, batches: readonly RecordBatch[]): Uint8Array {
  const w = new RecordBatchStreamWriter();
  w.reset(undefined, schema);
  for (const b of batches) w.write(b);
  w.finish();
  return w.toUint8Array(true);
}
