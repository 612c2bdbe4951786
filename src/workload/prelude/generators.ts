/**
 * The input generators: pure functions of their arguments, so an input is named by (kind, seed,
 * size) and regenerated bit for bit on the host. Part of the workload prelude (see ../prelude.ts).
 *
 * - genBytes(seed, size): `size` bytes, little-endian words of the stream.
 * - genText(seed, size): exactly `size` ASCII bytes of pseudo-words (a seeded 4,096-word
 *   vocabulary of syllables, Zipf-like ranks), sentences and paragraphs.
 * - genRecords(seed, count): the UTF-8 (ASCII) bytes of a JSON array of `count` sales records
 *   (id, user, category, region, amount with cents, quantity, active, ts in 2024, tags), one per line.
 * - genImage(seed, side, pattern): side x side RGBA8 pixels: constant, gradient, noise, shapes, or
 *   mixed (gradient, shapes, then noise of +-12).
 * - genMatrix(seed, n, stream): n x n float64 in [-1, 1), row-major; identity(n).
 */
import * as os from 'node:os';
import { choose, makeRng, STREAM_BYTES, STREAM_IMAGE, STREAM_RECORDS, STREAM_TEXT } from './rng.js';

const LITTLE_ENDIAN = os.endianness() === 'LE';

export function genBytes(seed: number, size: number): Buffer {
  const next = makeRng(seed, STREAM_BYTES);
  const out = Buffer.alloc(size);
  const whole = size - (size % 4);
  if (LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const words = new Uint32Array(out.buffer, out.byteOffset, whole / 4);
    for (let i = 0; i < words.length; i++) words[i] = next();
  } else {
    for (let i = 0; i < whole; i += 4) {
      const r = next();
      out[i] = r & 255;
      out[i + 1] = (r >>> 8) & 255;
      out[i + 2] = (r >>> 16) & 255;
      out[i + 3] = r >>> 24;
    }
  }
  if (whole < size) {
    const r = next();
    for (let i = whole, shift = 0; i < size; i++, shift += 8) out[i] = (r >>> shift) & 255;
  }
  return out;
}

const TEXT_ONSETS = [
  '',
  'b',
  'c',
  'd',
  'f',
  'g',
  'h',
  'j',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'w',
  'z',
  'br',
  'ch',
  'cl',
  'dr',
  'fl',
  'gr',
  'pl',
  'pr',
  'sh',
  'st',
  'th',
  'tr',
];
const TEXT_VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ee', 'ie', 'oo', 'ou'];
const TEXT_CODAS = ['', '', '', 'n', 'r', 's', 't', 'l', 'm', 'nd', 'nt', 'st', 'ck', 'ng'];
const TEXT_VOCABULARY = 4096;

export function genText(seed: number, size: number): Buffer {
  const next = makeRng(seed, STREAM_TEXT);
  const pick = (list: readonly string[]): string => choose(list, next());
  const words: string[] = [];
  // starts[w] .. starts[w + 1]: word w's bytes in `vocabulary`.
  const starts = new Int32Array(TEXT_VOCABULARY + 1);
  let wordBytes = 0;
  for (let i = 0; i < TEXT_VOCABULARY; i++) {
    const syllables = 1 + (next() % (i < 64 ? 1 : i < 512 ? 2 : 4));
    let word = '';
    for (let s = 0; s < syllables; s++) word += pick(TEXT_ONSETS) + pick(TEXT_VOWELS) + pick(TEXT_CODAS);
    words.push(word);
    wordBytes += word.length;
    starts[i + 1] = wordBytes;
  }
  const vocabulary = Buffer.from(words.join(''), 'latin1');
  const out = Buffer.alloc(size);
  let at = 0;
  let inSentence = 0;
  let sentenceLength = 0;
  let sentences = 0;
  let paragraphLength = 3 + (next() % 6);
  while (at < size) {
    if (inSentence === 0) sentenceLength = 4 + (next() % 16);
    const u = next() / 4294967296;
    const w = Math.floor(u * u * u * TEXT_VOCABULARY);
    const end = starts[w + 1] ?? 0;
    let k = starts[w] ?? 0;
    if (inSentence === 0) out[at++] = (vocabulary[k++] ?? 0) - 32;
    while (k < end && at < size) out[at++] = vocabulary[k++] ?? 0;
    inSentence++;
    if (inSentence === sentenceLength) {
      inSentence = 0;
      sentences++;
      if (at < size) out[at++] = 46;
      if (sentences === paragraphLength) {
        sentences = 0;
        paragraphLength = 3 + (next() % 6);
        if (at < size) out[at++] = 10;
        if (at < size) out[at++] = 10;
      } else if (at < size) {
        out[at++] = 32;
      }
    } else {
      const comma = next() % 12 === 0;
      if (comma && at < size) out[at++] = 44;
      if (at < size) out[at++] = 32;
    }
  }
  return out;
}

const RECORD_CATEGORIES = ['books', 'games', 'garden', 'grocery', 'health', 'music', 'sports', 'tools'];
const RECORD_REGIONS = ['africa', 'americas', 'asia', 'europe', 'oceania'];
const RECORD_TAGS = ['bulk', 'express', 'fragile', 'gift', 'promo', 'return'];
const RECORD_SPAN_S = 366 * 86400;
const RECORD_MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** new Date(Date.UTC(2024, 0) + seconds * 1000).toISOString(), for a second of 2024. */
function recordTimestamp(seconds: number): string {
  let day = Math.floor(seconds / 86400);
  const inDay = seconds - day * 86400;
  let month = 0;
  for (const days of RECORD_MONTH_DAYS) {
    if (day < days) break;
    day -= days;
    month++;
  }
  const hh = Math.floor(inDay / 3600);
  const mm = Math.floor((inDay % 3600) / 60);
  return `2024-${twoDigits(month + 1)}-${twoDigits(day + 1)}T${twoDigits(hh)}:${twoDigits(mm)}:${twoDigits(inDay % 60)}.000Z`;
}

export function genRecords(seed: number, count: number): Buffer {
  const next = makeRng(seed, STREAM_RECORDS);
  let out = Buffer.alloc(Math.max(256, count * 200));
  let at = 0;
  const write = (text: string): void => {
    if (at + text.length > out.length) {
      const larger = Buffer.alloc(Math.max(out.length * 2, at + text.length));
      out.copy(larger, 0, 0, at);
      out = larger;
    }
    at += out.write(text, at, 'latin1');
  };
  write('[');
  for (let i = 0; i < count; i++) {
    const user = next() % 1000;
    const category = choose(RECORD_CATEGORIES, next());
    const region = choose(RECORD_REGIONS, next());
    const amount = (next() % 100000) / 100;
    const quantity = 1 + (next() % 20);
    const active = (next() & 3) !== 0;
    const ts = recordTimestamp(next() % RECORD_SPAN_S);
    let tags = '';
    for (let t = next() % 4; t > 0; t--) tags += `${tags === '' ? '"' : ',"'}${choose(RECORD_TAGS, next())}"`;
    write(
      `${i === 0 ? '' : ',\n'}{"id":${i},"user":"u${String(user).padStart(4, '0')}","category":"${category}",` +
        `"region":"${region}","amount":${amount},"quantity":${quantity},"active":${active},"ts":"${ts}","tags":[${tags}]}`,
    );
  }
  write(']\n');
  return out.subarray(0, at);
}

/** RGBA8 pixels, row-major, alpha 255. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Buffer;
}

type Rgb = readonly [number, number, number];

function clampByte(v: number): number {
  return Math.max(0, Math.min(v, 255));
}

/** `pattern`: constant, gradient, noise, shapes or mixed; any other leaves the pixels at 0. */
export function genImage(seed: number, side: number, pattern: string): RgbaImage {
  const width = side;
  const height = side;
  const data = Buffer.alloc(width * height * 4);
  const next = makeRng(seed, STREAM_IMAGE);
  const color = (): Rgb => [next() & 255, next() & 255, next() & 255];
  const fill = (c: Rgb): void => {
    for (let i = 0; i < data.length; i += 4) {
      data[i] = c[0];
      data[i + 1] = c[1];
      data[i + 2] = c[2];
      data[i + 3] = 255;
    }
  };
  if (pattern === 'noise') {
    for (let i = 0; i < data.length; i += 4) {
      const r = next();
      data[i] = r & 255;
      data[i + 1] = (r >>> 8) & 255;
      data[i + 2] = (r >>> 16) & 255;
      data[i + 3] = 255;
    }
    return { width, height, data };
  }
  if (pattern === 'constant' || pattern === 'shapes') fill(color());
  if (pattern === 'gradient' || pattern === 'mixed') {
    const from = color();
    const to = color();
    let dx = 0;
    let dy = 0;
    while (dx === 0 && dy === 0) {
      dx = (next() % 17) - 8;
      dy = (next() % 17) - 8;
    }
    const corners = [0, dx * (width - 1), dy * (height - 1), dx * (width - 1) + dy * (height - 1)];
    const lo = Math.min(...corners);
    const span = Math.max(...corners) - lo || 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const t = (x * dx + y * dy - lo) / span;
        const o = (y * width + x) * 4;
        data[o] = Math.round(from[0] + (to[0] - from[0]) * t);
        data[o + 1] = Math.round(from[1] + (to[1] - from[1]) * t);
        data[o + 2] = Math.round(from[2] + (to[2] - from[2]) * t);
        data[o + 3] = 255;
      }
    }
  }
  if (pattern === 'shapes' || pattern === 'mixed') {
    const shapes = 3 + (next() % 6);
    const most = Math.max(1, Math.floor(side / 4));
    for (let s = 0; s < shapes; s++) {
      const round = (next() & 1) === 1;
      const cx = next() % width;
      const cy = next() % height;
      const rx = 1 + (next() % most);
      const ry = round ? rx : 1 + (next() % most);
      const c = color();
      const y0 = Math.max(0, cy - ry);
      const y1 = Math.min(height - 1, cy + ry);
      const x0 = Math.max(0, cx - rx);
      const x1 = Math.min(width - 1, cx + rx);
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          if (round && (x - cx) * (x - cx) + (y - cy) * (y - cy) > rx * rx) continue;
          const o = (y * width + x) * 4;
          data[o] = c[0];
          data[o + 1] = c[1];
          data[o + 2] = c[2];
        }
      }
    }
  }
  if (pattern === 'mixed') {
    for (let i = 0; i < data.length; i += 4) {
      const r = next();
      data[i] = clampByte((data[i] ?? 0) + (r % 25) - 12);
      data[i + 1] = clampByte((data[i + 1] ?? 0) + ((r >>> 8) % 25) - 12);
      data[i + 2] = clampByte((data[i + 2] ?? 0) + ((r >>> 16) % 25) - 12);
    }
  }
  return { width, height, data };
}

/** n x n float64 in [-1, 1), row-major, from `stream` (STREAM_MATRIX_A or _B) of the seed. */
export function genMatrix(seed: number, n: number, stream: number): Float64Array {
  const next = makeRng(seed, stream);
  const m = new Float64Array(n * n);
  for (let i = 0; i < m.length; i++) m[i] = (next() / 4294967296) * 2 - 1;
  return m;
}

export function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/** The matrix's bytes as little-endian float64 (a view on little-endian hosts, else a copy). */
export function f64Bytes(m: Float64Array): Buffer {
  const view = Buffer.from(m.buffer, m.byteOffset, m.byteLength);
  if (LITTLE_ENDIAN) return view;
  return Buffer.from(view).swap64();
}
