import {
  Bool,
  type Data,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  Schema,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import type { ParquetEncoding } from './parquet.js';

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
}

export type CellValue = number | string | boolean | null | undefined;

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

/**
 * A function that pushes one row's cells into the builders, one named property load per
 * column, generated once per table so that each load and each push is monomorphic: several
 * times faster than a loop over the columns with `row[name]`.
 */
export function rowAppender(builders: readonly ColumnBuilder[]): (row: Record<string, CellValue>) => void {
  const body = builders
    .map(
      (b, i) =>
        `b[${i}].${b.spec.kind === 'utf8' ? 'pushString' : 'pushNumber'}(row[${JSON.stringify(b.spec.name)}]);`,
    )
    .join('\n');
  return new Function('b', `return function appendRow(row) {\n${body}\n};`)(builders);
}

/** One Arrow Schema per table, built once from its column specs. */
export function arrowSchema(columns: readonly ColumnSpec[], metadata?: Map<string, string>): Schema {
  return new Schema(
    columns.map((c) => new Field(c.name, arrowType(c.kind), c.nullable)),
    metadata,
  );
}

/**
 * Accumulates one column's values in typed arrays as they are pushed (strings are encoded to
 * UTF-8 then), so that flush() only wraps them as Arrow Data: the work is spread over push()
 * instead of stalling the dispatcher's thread at each flush. Numbers for int64/timestamps are
 * rounded to integers; null or undefined is a null.
 */
export class ColumnBuilder {
  private n = 0;
  private nulls = 0;
  private valid = new Uint8Array(1024);
  /** Numbers (every kind but utf8; bools as 0/1). */
  private numbers = new Float64Array(1024);
  /** utf8: the bytes, and where each value ends. */
  private bytes = Buffer.allocUnsafeSlow(16 * 1024);
  private ends = new Int32Array(1024);

  constructor(readonly spec: ColumnSpec) {}

  push(value: CellValue): void {
    if (this.spec.kind === 'utf8') this.pushString(value);
    else this.pushNumber(value);
  }

  /** push() for every kind but utf8 (bools as 0/1). */
  pushNumber(value: CellValue): void {
    const i = this.n++;
    if (i === this.valid.length) this.grow();
    if (value === null || value === undefined) {
      this.valid[i] = 0;
      this.numbers[i] = 0;
      this.nulls++;
    } else {
      this.valid[i] = 1;
      this.numbers[i] = typeof value === 'number' ? value : Number(value);
    }
  }

  /** push() for utf8: ASCII is copied by a loop (cheaper than a call to the encoder for short text). */
  pushString(value: CellValue): void {
    const i = this.n++;
    if (i === this.valid.length) this.grow();
    const start = i === 0 ? 0 : this.ends[i - 1]!;
    if (value === null || value === undefined) {
      this.valid[i] = 0;
      this.nulls++;
      this.ends[i] = start;
      return;
    }
    this.valid[i] = 1;
    const text = typeof value === 'string' ? value : String(value);
    const length = text.length;
    if (start + 3 * length > this.bytes.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.bytes.length, start + 3 * length));
      this.bytes.copy(bigger, 0, 0, start);
      this.bytes = bigger;
    }
    const bytes = this.bytes;
    let at = start;
    let k = 0;
    for (; k < length; k++) {
      const c = text.charCodeAt(k);
      if (c > 127) break;
      bytes[at++] = c;
    }
    if (k < length) at += bytes.write(k === 0 ? text : text.slice(k), at, 'utf8');
    this.ends[i] = at;
  }

  private grow(): void {
    const size = 2 * this.valid.length;
    const grown = <T extends Uint8Array | Float64Array | Int32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.valid = grown(this.valid, new Uint8Array(size));
    this.numbers = grown(this.numbers, new Float64Array(size));
    this.ends = grown(this.ends, new Int32Array(size));
  }

  /** Drops what was pushed. */
  clear(): void {
    this.n = 0;
    this.nulls = 0;
  }

  get length(): number {
    return this.n;
  }

  /** Builds the column's Data from what was pushed and empties the builder. */
  flush(type: DataType): Data {
    const length = this.n;
    const nullCount = this.nulls;
    if (nullCount > 0 && !this.spec.nullable) {
      throw new Error(`column ${this.spec.name} is not nullable but got ${nullCount} nulls`);
    }
    let nullBitmap: Uint8Array | undefined;
    if (nullCount > 0) {
      nullBitmap = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (this.valid[i]) nullBitmap[i >> 3]! |= 1 << (i & 7);
    }
    const numbers = this.numbers;
    this.n = 0;
    this.nulls = 0;
    switch (this.spec.kind) {
      case 'int64':
      case 'timestamp_us': {
        // Written as two 32-bit words (little-endian), not through a BigInt per value.
        const data = new BigInt64Array(length);
        const words = new Int32Array(data.buffer);
        for (let i = 0; i < length; i++) {
          const v = Math.round(numbers[i]!);
          const hi = Math.floor(v / 4294967296);
          words[2 * i] = v - hi * 4294967296;
          words[2 * i + 1] = hi;
        }
        return makeData({ type: type as Int64, length, nullCount, nullBitmap, data });
      }
      case 'int32':
        return makeData({
          type: type as Int32,
          length,
          nullCount,
          nullBitmap,
          data: Int32Array.from(numbers.subarray(0, length)),
        });
      case 'float64':
        return makeData({
          type: type as Float64,
          length,
          nullCount,
          nullBitmap,
          data: numbers.slice(0, length),
        });
      case 'bool': {
        const data = new Uint8Array((length + 7) >> 3);
        for (let i = 0; i < length; i++) if (numbers[i]) data[i >> 3]! |= 1 << (i & 7);
        return makeData({ type: type as Bool, length, nullCount, nullBitmap, data });
      }
      case 'utf8': {
        const valueOffsets = new Int32Array(length + 1);
        valueOffsets.set(this.ends.subarray(0, length), 1);
        const data = Uint8Array.prototype.slice.call(this.bytes, 0, valueOffsets[length]!);
        return makeData({ type: type as Utf8, length, nullCount, nullBitmap, valueOffsets, data });
      }
    }
  }
}
