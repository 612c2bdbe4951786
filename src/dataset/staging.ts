import type { CellValue, ColumnSpec } from './columns.js';

/**
 * Rows of a batch being filled, as plain typed arrays that can be handed to another thread whole
 * (transferred, not copied). Row-major, so that appending a row writes a few contiguous runs of
 * memory instead of one place per column:
 * - numbers/valid: every kind but utf8, `numberColumns` cells a row (bools as 0/1; int64 and
 *   timestamps are rounded when encoded); valid is 1 where the cell has a value;
 * - codes/dictionaries: utf8 columns with few distinct values (names, statuses), `codeColumns`
 *   cells a row: the index of the text in that column's dictionary for this batch, -1 for null;
 * - texts: utf8 columns with many distinct values (random ids), one per column: UTF-8 bytes and
 *   where each value ends.
 */
export interface StagedBatch {
  length: number;
  numbers: Float64Array;
  valid: Uint8Array;
  codes: Int32Array;
  dictionaries: string[][];
  texts: StagedText[];
}

export interface StagedText {
  bytes: Uint8Array;
  ends: Int32Array;
  valid: Uint8Array;
}

/** Where a column's cells are staged: its layout, its index among the columns of that layout, and the row width. */
export interface StagingSlot {
  layout: 'numbers' | 'codes' | 'texts';
  index: number;
  width: number;
}

/** The slot of each column: utf8 columns are dictionary codes unless their values are mostly distinct. */
export function stagingSlots(columns: readonly ColumnSpec[]): StagingSlot[] {
  const layout = (c: ColumnSpec) =>
    c.kind !== 'utf8' ? 'numbers' : c.distinct === 'many' || c.encoding === 'plain' ? 'texts' : 'codes';
  const widths = { numbers: 0, codes: 0, texts: 0 };
  for (const c of columns) widths[layout(c)]++;
  const next = { numbers: 0, codes: 0, texts: 0 };
  return columns.map((c) => {
    const l = layout(c);
    return { layout: l, index: next[l]++, width: widths[l] };
  });
}

/** The buffers of a batch, for postMessage's transfer list. */
export function stagedBuffers(batch: StagedBatch): ArrayBuffer[] {
  const arrays = [
    batch.numbers,
    batch.valid,
    batch.codes,
    ...batch.texts.flatMap((t) => [t.bytes, t.ends, t.valid]),
  ];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/**
 * Fills a batch of up to `capacity` rows on the caller's thread at the cost of a few typed-array
 * stores per cell: append(row) is generated once per table, so that every property load and
 * store is monomorphic, and a text with few distinct values costs one Map lookup (no copy).
 * take() hands the filled arrays over and starts new ones; encoding them as Arrow
 * (encodeColumn) is left to the writer's thread.
 */
export class BatchStager {
  /** Rows in the current batch. */
  n = 0;
  readonly append: (row: Record<string, CellValue>) => void;
  readonly slots: StagingSlot[];
  private numbers!: Float64Array;
  private valid!: Uint8Array;
  private codes!: Int32Array;
  private texts!: StagedText[];
  private readonly maps: Map<CellValue, number>[];
  private readonly spares: StagedBatch[] = [];
  private readonly widths: { numbers: number; codes: number; texts: number };

  constructor(
    readonly columns: readonly ColumnSpec[],
    readonly capacity: number,
  ) {
    this.slots = stagingSlots(columns);
    const width = (layout: StagingSlot['layout']) => this.slots.find((s) => s.layout === layout)?.width ?? 0;
    this.widths = { numbers: width('numbers'), codes: width('codes'), texts: width('texts') };
    this.maps = Array.from({ length: this.widths.codes }, () => new Map());
    this.reset();
    const lines = columns.map((spec, k) => {
      const key = JSON.stringify(spec.name);
      const { layout, index } = this.slots[k]!;
      if (layout === 'numbers') {
        const o = `o + ${index}`;
        return `v = row[${key}]; if (v == null) { valid[${o}] = 0; numbers[${o}] = 0; } else { valid[${o}] = 1; numbers[${o}] = v; }`;
      }
      if (layout === 'codes') {
        const q = `q + ${index}`;
        return `v = row[${key}]; if (v == null) codes[${q}] = -1; else { d = maps[${index}].get(v); codes[${q}] = d === undefined ? s.intern(${index}, v) : d; }`;
      }
      return `s.pushText(${index}, i, row[${key}]);`;
    });
    const { numbers, codes } = this.widths;
    this.append = new Function(
      's',
      `return function appendRow(row) {
const i = s.n++;
const numbers = s.numbers, valid = s.valid, codes = s.codes, maps = s.maps;
const o = i * ${numbers}, q = i * ${codes};
let v, d;
${lines.join('\n')}
};`,
    )(this);
  }

  /** The filled batch; the stager starts an empty one. */
  take(): StagedBatch {
    const batch: StagedBatch = {
      length: this.n,
      numbers: this.numbers,
      valid: this.valid,
      codes: this.codes,
      dictionaries: this.maps.map((m) =>
        Array.from(m.keys(), (v) => (typeof v === 'string' ? v : String(v))),
      ),
      texts: this.texts,
    };
    this.reset();
    return batch;
  }

  /**
   * Takes back the arrays of a batch the writer is done with, to fill them again instead of
   * allocating new ones (the cells of a row are all written before it counts, so no clearing).
   */
  recycle(batch: StagedBatch): void {
    if (this.spares.length < 2 && batch.numbers.length === this.capacity * this.widths.numbers)
      this.spares.push(batch);
  }

  /** Drops the rows of the current batch. */
  clear(): void {
    this.n = 0;
    for (const m of this.maps) m.clear();
  }

  /** Adds a new text to dictionary k; returns its code. */
  intern(k: number, value: CellValue): number {
    const map = this.maps[k]!;
    const code = map.size;
    map.set(value, code);
    return code;
  }

  /** A text of a column with many distinct values: ASCII copied by a loop (cheaper than the encoder for short text). */
  pushText(k: number, i: number, value: CellValue): void {
    const t = this.texts[k]!;
    const start = i === 0 ? 0 : t.ends[i - 1]!;
    if (value === null || value === undefined) {
      t.valid[i] = 0;
      t.ends[i] = start;
      return;
    }
    t.valid[i] = 1;
    const text = typeof value === 'string' ? value : String(value);
    const length = text.length;
    let bytes = t.bytes;
    if (start + 3 * length > bytes.length) {
      const bigger = new Uint8Array(Math.max(2 * bytes.length, start + 3 * length));
      bigger.set(bytes.subarray(0, start));
      t.bytes = bytes = bigger;
    }
    let at = start;
    let j = 0;
    for (; j < length; j++) {
      const c = text.charCodeAt(j);
      if (c > 127) break;
      bytes[at++] = c;
    }
    if (j < length) at += Buffer.from(bytes.buffer, bytes.byteOffset).write(text.slice(j), at, 'utf8');
    t.ends[i] = at;
  }

  private reset(): void {
    const n = this.capacity;
    this.n = 0;
    for (const m of this.maps) m.clear();
    const spare = this.spares.pop();
    if (spare) {
      ({ numbers: this.numbers, valid: this.valid, codes: this.codes, texts: this.texts } = spare);
      return;
    }
    this.numbers = new Float64Array(n * this.widths.numbers);
    this.valid = new Uint8Array(n * this.widths.numbers);
    this.codes = new Int32Array(n * this.widths.codes);
    this.texts = Array.from({ length: this.widths.texts }, () => ({
      bytes: new Uint8Array(16 * n),
      ends: new Int32Array(n),
      valid: new Uint8Array(n),
    }));
  }
}
