import type { CellValue, ColumnSpec } from './columns.js';

/**
 * Rows of a batch being filled, as plain typed arrays that can be handed to another thread whole
 * (transferred, not copied). Row-major, so that appending a row writes a few contiguous runs of
 * memory instead of one place per column:
 * - numbers/valid: every kind but utf8, `numberColumns` cells a row (bools as 0/1; int64 and
 *   timestamps are rounded when encoded); valid is 1 where the cell has a value;
 * - codes/dictionaries: utf8 columns with few distinct values (names, statuses), `codeColumns`
 *   cells a row: the index of the text in that column's dictionary for this batch, -1 for null;
 *   a column with a fixed dictionary (FixedDictionaries) indexes that one, and its batch
 *   dictionary is empty (the writer thread was given the fixed one when the table opened);
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

/**
 * utf8 columns whose every value is in a list known when the table opens (the plan's function
 * ids), by column name: staged as indexes into the list, which reaches the writer thread once
 * instead of with every batch, and is encoded to UTF-8 once.
 */
export type FixedDictionaries = Readonly<Record<string, readonly string[]>>;

/**
 * One column given whole to BatchStager.appendColumns (TableWriter.addColumns): the values of a
 * numeric column (NaN is null), or the indexes of a fixed-dictionary column's texts.
 */
export type ColumnCells = Float64Array | Uint32Array | Int32Array;

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
  /** Per codes column: true when its dictionary is fixed (never cleared, never grown). */
  private readonly fixed: boolean[];
  private readonly spares: StagedBatch[] = [];
  private readonly widths: { numbers: number; codes: number; texts: number };

  constructor(
    readonly columns: readonly ColumnSpec[],
    readonly capacity: number,
    dictionaries: FixedDictionaries = {},
  ) {
    this.slots = stagingSlots(columns);
    const width = (layout: StagingSlot['layout']) => this.slots.find((s) => s.layout === layout)?.width ?? 0;
    this.widths = { numbers: width('numbers'), codes: width('codes'), texts: width('texts') };
    this.maps = Array.from({ length: this.widths.codes }, () => new Map());
    this.fixed = Array.from({ length: this.widths.codes }, () => false);
    for (const [name, values] of Object.entries(dictionaries)) {
      const k = columns.findIndex((c) => c.name === name);
      const slot = this.slots[k];
      const map = slot?.layout === 'codes' ? this.maps[slot.index] : undefined;
      if (!slot || !map)
        throw new Error(`a fixed dictionary is for a utf8 column staged as codes; ${name} is not one`);
      this.fixed[slot.index] = true;
      values.forEach((v, code) => {
        map.set(v, code);
      });
    }
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
      dictionaries: this.maps.map((m, k) =>
        this.fixed[k] ? [] : Array.from(m.keys(), (v) => (typeof v === 'string' ? v : String(v))),
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

  /**
   * Appends rows from..from+count of `cells` (one entry per column, by name), at most
   * capacity - n of them: numbers as given (NaN: null), utf8 columns as indexes into their fixed
   * dictionary (the writer thread checks each index). A plain copy per column, no row objects.
   */
  appendColumns(cells: Readonly<Record<string, ColumnCells>>, from: number, count: number): void {
    if (count > this.capacity - this.n)
      throw new RangeError(`${count} rows do not fit: ${this.capacity - this.n} left in the batch`);
    const n = this.n;
    this.columns.forEach((spec, k) => {
      const slot = this.slots[k];
      const c = cells[spec.name];
      if (!slot || !c) throw new Error(`appendColumns: no cells for column ${spec.name}`);
      const { layout, index, width } = slot;
      if (layout === 'numbers') {
        const { numbers, valid } = this;
        for (let i = 0, o = n * width + index; i < count; i++, o += width) {
          const v = c[from + i] ?? Number.NaN;
          const isValue = Number.isNaN(v) ? 0 : 1;
          valid[o] = isValue;
          numbers[o] = isValue ? v : 0;
        }
      } else if (layout === 'codes' && this.fixed[index]) {
        const codes = this.codes;
        for (let i = 0, o = n * width + index; i < count; i++, o += width) codes[o] = c[from + i] ?? -1;
      } else {
        throw new Error(`appendColumns: utf8 column ${spec.name} has no fixed dictionary to index`);
      }
    });
    this.n = n + count;
  }

  /** Drops the rows of the current batch. */
  clear(): void {
    this.n = 0;
    this.clearMaps();
  }

  /** Forgets the batch dictionaries (fixed ones stay). */
  private clearMaps(): void {
    this.maps.forEach((m, k) => {
      if (!this.fixed[k]) m.clear();
    });
  }

  /** Adds a new text to dictionary k; returns its code. */
  intern(k: number, value: CellValue): number {
    if (this.fixed[k]) throw new Error(`${String(value)} is not in the column's fixed dictionary`);
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
    this.clearMaps();
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
