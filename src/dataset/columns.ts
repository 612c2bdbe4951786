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

/** The column kinds tables use. Timestamps are UTC microseconds; ids and counters int64. */
export type ColumnKind = 'int64' | 'int32' | 'float64' | 'bool' | 'utf8' | 'timestamp_us';

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
  /** Unit and meaning, for docs and the manifest. */
  doc: string;
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

/** One Arrow Schema per table, built once from its column specs. */
export function arrowSchema(columns: readonly ColumnSpec[], metadata?: Map<string, string>): Schema {
  return new Schema(
    columns.map((c) => new Field(c.name, arrowType(c.kind), c.nullable)),
    metadata,
  );
}

/**
 * Accumulates one column's values and turns them into Arrow Data built from typed arrays
 * (no per-value boxing in Arrow's builders). Numbers for int64/timestamps are rounded to
 * integers; null or undefined is a null.
 */
export class ColumnBuilder {
  private values: CellValue[] = [];
  constructor(readonly spec: ColumnSpec) {}

  push(value: CellValue): void {
    this.values.push(value);
  }

  get length(): number {
    return this.values.length;
  }

  /** Builds the column's Data and empties the builder. */
  flush(type: DataType): Data {
    const values = this.values;
    this.values = [];
    const length = values.length;
    let nullCount = 0;
    const validity = new Uint8Array((length + 7) >> 3);
    for (let i = 0; i < length; i++) {
      if (values[i] === null || values[i] === undefined) nullCount++;
      else validity[i >> 3]! |= 1 << (i & 7);
    }
    if (nullCount > 0 && !this.spec.nullable) {
      throw new Error(`column ${this.spec.name} is not nullable but got ${nullCount} nulls`);
    }
    const nullBitmap = nullCount > 0 ? validity : undefined;
    switch (this.spec.kind) {
      case 'int64':
      case 'timestamp_us': {
        const data = new BigInt64Array(length);
        for (let i = 0; i < length; i++) {
          const v = values[i];
          if (typeof v === 'number') data[i] = BigInt(Math.round(v));
        }
        return makeData({ type: type as Int64, length, nullCount, nullBitmap, data });
      }
      case 'int32':
      case 'float64': {
        const data = this.spec.kind === 'int32' ? new Int32Array(length) : new Float64Array(length);
        for (let i = 0; i < length; i++) {
          const v = values[i];
          if (typeof v === 'number') data[i] = v;
        }
        return makeData({ type: type as Float64, length, nullCount, nullBitmap, data });
      }
      case 'bool': {
        const data = new Uint8Array((length + 7) >> 3);
        for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3]! |= 1 << (i & 7);
        return makeData({ type: type as Bool, length, nullCount, nullBitmap, data });
      }
      case 'utf8': {
        const encoder = new TextEncoder();
        const encoded = values.map((v) =>
          v === null || v === undefined ? undefined : encoder.encode(String(v)),
        );
        const valueOffsets = new Int32Array(length + 1);
        let total = 0;
        for (let i = 0; i < length; i++) {
          total += encoded[i]?.length ?? 0;
          valueOffsets[i + 1] = total;
        }
        const data = new Uint8Array(total);
        for (let i = 0; i < length; i++) {
          const e = encoded[i];
          if (e) data.set(e, valueOffsets[i]!);
        }
        return makeData({ type: type as Utf8, length, nullCount, nullBitmap, valueOffsets, data });
      }
    }
  }
}
