/**
 * The JavaScript every catalog action starts with: seeded generators for the inputs, the
 * parameter reader, the input descriptor, and the pixel, PNG and checksum helpers. It is one
 * source for both sides: the actions embed it as text, and the host evaluates the same text
 * (loadPrelude()) to describe and regenerate inputs, so the bytes a dataset names are the bytes the
 * action worked on. Only Node built-ins; no template literals inside (it lives in one).
 *
 * Generators (all pure functions of their arguments):
 * - makeRng(seed, stream): xoshiro128** seeded through splitmix32; returns next() -> uint32.
 * - genBytes(seed, size): `size` bytes, little-endian words of the stream.
 * - genText(seed, size): exactly `size` ASCII bytes of pseudo-words (a seeded 4,096-word
 *   vocabulary of syllables, Zipf-like ranks), sentences and paragraphs.
 * - genRecords(seed, count): the UTF-8 (ASCII) bytes of a JSON array of `count` sales records
 *   (id, user, category, region, amount with cents, quantity, active, ts in 2024, tags), one per line.
 * - genImage(seed, side, pattern): side x side RGBA8 pixels: constant, gradient, noise, shapes, or
 *   mixed (gradient, shapes, then noise of +-12).
 * - genMatrix(seed, n, stream): n x n float64 in [-1, 1), row-major; identity(n).
 */
import { createRequire } from 'node:module';
import { compileFunction } from 'node:vm';
import type { CatalogFunctionSpec, InputDescriptor, ParamValue } from './types.js';

export const PRELUDE_JS = String.raw`'use strict';
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const os = require('node:os');

const LITTLE_ENDIAN = os.endianness() === 'LE';
const STREAM_BYTES = 1;
const STREAM_TEXT = 2;
const STREAM_RECORDS = 3;
const STREAM_IMAGE = 4;
const STREAM_MATRIX_A = 5;
const STREAM_MATRIX_B = 6;

function makeRng(seed, stream) {
  let x = ((seed >>> 0) ^ Math.imul((stream >>> 0) + 1, 0x9e3779b9)) >>> 0;
  const mix = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = mix();
  let s1 = mix();
  let s2 = mix();
  let s3 = mix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  return () => {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return r;
  };
}

function genBytes(seed, size) {
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

const TEXT_ONSETS = ['', 'b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w',
  'z', 'br', 'ch', 'cl', 'dr', 'fl', 'gr', 'pl', 'pr', 'sh', 'st', 'th', 'tr'];
const TEXT_VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ee', 'ie', 'oo', 'ou'];
const TEXT_CODAS = ['', '', '', 'n', 'r', 's', 't', 'l', 'm', 'nd', 'nt', 'st', 'ck', 'ng'];
const TEXT_VOCABULARY = 4096;

function genText(seed, size) {
  const next = makeRng(seed, STREAM_TEXT);
  const pick = (list) => list[next() % list.length];
  const words = [];
  for (let i = 0; i < TEXT_VOCABULARY; i++) {
    const syllables = 1 + (next() % (i < 64 ? 1 : i < 512 ? 2 : 4));
    let word = '';
    for (let s = 0; s < syllables; s++) word += pick(TEXT_ONSETS) + pick(TEXT_VOWELS) + pick(TEXT_CODAS);
    words.push(word);
  }
  const vocabulary = Buffer.from(words.join(''), 'latin1');
  const starts = new Int32Array(TEXT_VOCABULARY + 1);
  for (let i = 0; i < TEXT_VOCABULARY; i++) starts[i + 1] = starts[i] + words[i].length;
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
    const end = starts[w + 1];
    let k = starts[w];
    if (inSentence === 0) out[at++] = vocabulary[k++] - 32;
    while (k < end && at < size) out[at++] = vocabulary[k++];
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

function twoDigits(n) {
  return n < 10 ? '0' + n : '' + n;
}

/** new Date(RECORD_EPOCH_MS + seconds * 1000).toISOString(), for a second of 2024. */
function recordTimestamp(seconds) {
  let day = Math.floor(seconds / 86400);
  const inDay = seconds - day * 86400;
  let month = 0;
  while (day >= RECORD_MONTH_DAYS[month]) day -= RECORD_MONTH_DAYS[month++];
  const hh = Math.floor(inDay / 3600);
  const mm = Math.floor((inDay % 3600) / 60);
  return '2024-' + twoDigits(month + 1) + '-' + twoDigits(day + 1) + 'T' + twoDigits(hh) + ':' + twoDigits(mm) +
    ':' + twoDigits(inDay % 60) + '.000Z';
}

function genRecords(seed, count) {
  const next = makeRng(seed, STREAM_RECORDS);
  let out = Buffer.alloc(Math.max(256, count * 200));
  let at = 0;
  const write = (text) => {
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
    const category = RECORD_CATEGORIES[next() % RECORD_CATEGORIES.length];
    const region = RECORD_REGIONS[next() % RECORD_REGIONS.length];
    const amount = (next() % 100000) / 100;
    const quantity = 1 + (next() % 20);
    const active = (next() & 3) !== 0;
    const ts = recordTimestamp(next() % RECORD_SPAN_S);
    let tags = '';
    for (let t = next() % 4; t > 0; t--) {
      tags += (tags === '' ? '"' : ',"') + RECORD_TAGS[next() % RECORD_TAGS.length] + '"';
    }
    write((i === 0 ? '' : ',\n') + '{"id":' + i + ',"user":"u' + String(user).padStart(4, '0') + '","category":"' +
      category + '","region":"' + region + '","amount":' + amount + ',"quantity":' + quantity + ',"active":' +
      active + ',"ts":"' + ts + '","tags":[' + tags + ']}');
  }
  write(']\n');
  return out.subarray(0, at);
}

function clampByte(v) {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function genImage(seed, side, pattern) {
  const width = side;
  const height = side;
  const data = Buffer.alloc(width * height * 4);
  const next = makeRng(seed, STREAM_IMAGE);
  const color = () => [next() & 255, next() & 255, next() & 255];
  const fill = (c) => {
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
    const lo = Math.min.apply(null, corners);
    const span = Math.max.apply(null, corners) - lo || 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const t = (x * dx + y * dy - lo) / span;
        const o = (y * width + x) * 4;
        for (let c = 0; c < 3; c++) data[o + c] = Math.round(from[c] + (to[c] - from[c]) * t);
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
      data[i] = clampByte(data[i] + (r % 25) - 12);
      data[i + 1] = clampByte(data[i + 1] + ((r >>> 8) % 25) - 12);
      data[i + 2] = clampByte(data[i + 2] + ((r >>> 16) % 25) - 12);
    }
  }
  return { width, height, data };
}

function genMatrix(seed, n, stream) {
  const next = makeRng(seed, stream);
  const m = new Float64Array(n * n);
  for (let i = 0; i < m.length; i++) m[i] = (next() / 4294967296) * 2 - 1;
  return m;
}

function identity(n) {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function f64Bytes(m) {
  const view = Buffer.from(m.buffer, m.byteOffset, m.byteLength);
  if (LITTLE_ENDIAN) return view;
  return Buffer.from(view).swap64();
}

function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function paramError(name, message) {
  return new Error('parameter ' + name + ': ' + message);
}

function readValue(p, x, others) {
  if (p.type === 'boolean') {
    if (x === true || x === 1 || x === 'true' || x === '1') return true;
    if (x === false || x === 0 || x === 'false' || x === '0') return false;
    throw paramError(p.name, JSON.stringify(x) + ' is not a boolean');
  }
  if (p.type === 'string') {
    const s = typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
    if (s === undefined || (p.choices && p.choices.indexOf(s) < 0)) {
      throw paramError(p.name, JSON.stringify(x) + ' is not one of ' + (p.choices || []).join(', '));
    }
    return s;
  }
  const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
  if (!Number.isFinite(n)) throw paramError(p.name, JSON.stringify(x) + ' is not a number');
  if (p.type === 'integer' && !Number.isInteger(n)) throw paramError(p.name, JSON.stringify(x) + ' is not an integer');
  let range = p.range;
  if (p.rangeBy && others && Object.prototype.hasOwnProperty.call(p.rangeBy.ranges, others[p.rangeBy.param])) {
    range = p.rangeBy.ranges[others[p.rangeBy.param]];
  }
  if (range && (n < range[0] || n > range[1])) {
    const when = range === p.range ? '' : ' for ' + p.rangeBy.param + ' ' + others[p.rangeBy.param];
    throw paramError(p.name, n + ' is outside [' + range[0] + ', ' + range[1] + ']' + when);
  }
  return n;
}

const SEED_PARAM = { name: 'seed', type: 'integer', range: [0, 4294967295] };

function isMissing(x) {
  return x === undefined || x === null || x === '';
}

function readParams(spec, value, strict) {
  const v = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
  const params = {};
  const ranged = [];
  for (const p of spec.params) {
    if (p.rangeBy) ranged.push(p);
    else params[p.name] = isMissing(v[p.name]) ? p.default : readValue(p, v[p.name], params);
  }
  for (const p of ranged) params[p.name] = readValue(p, isMissing(v[p.name]) ? p.default : v[p.name], params);
  const ordered = {};
  for (const p of spec.params) ordered[p.name] = params[p.name];
  const noInput = spec.input.kind === 'none';
  const seed = noInput ? 0 : isMissing(v.seed) ? 1 : readValue(SEED_PARAM, v.seed);
  const sizeParam = { name: 'size', type: 'integer', range: spec.input.size.range };
  const size = noInput ? 0 : readValue(sizeParam, isMissing(v.size) ? spec.input.size.default : v.size);
  if (strict) {
    for (const k of Object.keys(v)) {
      if (k === 'seed' || k === 'size' || spec.params.some((p) => p.name === k)) continue;
      const known = ['seed', 'size'].concat(spec.params.map((p) => p.name)).join(', ');
      throw new Error(spec.name + ' takes no parameter ' + k + ' (it takes ' + known + ')');
    }
  }
  return { seed, size, params: ordered };
}

function inputId(spec, seed, size, params) {
  if (spec.input.kind === 'none') return 'none';
  const variant = spec.params.filter((p) => p.shapesInput).map((p) => String(params[p.name]));
  return spec.input.kind + (variant.length > 0 ? '.' + variant.join('.') : '') + '-' + seed + '-' + size;
}

function describeInput(spec, seed, size, params, sizeBytes) {
  return { kind: spec.input.kind, id: inputId(spec, seed, size, params), seed, size, sizeBytes };
}

function resizeRgba(src, sw, sh, dw, dh) {
  const dst = Buffer.alloc(dw * dh * 4);
  const axis = (from, to) => {
    const i0 = new Int32Array(to);
    const i1 = new Int32Array(to);
    const w = new Int32Array(to);
    for (let d = 0; d < to; d++) {
      let s = ((d + 0.5) * from) / to - 0.5;
      if (s < 0) s = 0;
      if (s > from - 1) s = from - 1;
      const lo = Math.floor(s);
      i0[d] = lo;
      i1[d] = Math.min(lo + 1, from - 1);
      w[d] = Math.round((s - lo) * 256);
    }
    return { i0, i1, w };
  };
  const xs = axis(sw, dw);
  const ys = axis(sh, dh);
  for (let y = 0; y < dh; y++) {
    const wy = ys.w[y];
    const r0 = ys.i0[y] * sw * 4;
    const r1 = ys.i1[y] * sw * 4;
    for (let x = 0; x < dw; x++) {
      const wx = xs.w[x];
      const c0 = xs.i0[x] * 4;
      const c1 = xs.i1[x] * 4;
      const w00 = (256 - wx) * (256 - wy);
      const w10 = wx * (256 - wy);
      const w01 = (256 - wx) * wy;
      const w11 = wx * wy;
      const o = (y * dw + x) * 4;
      for (let c = 0; c < 4; c++) {
        const v = src[r0 + c0 + c] * w00 + src[r0 + c1 + c] * w10 + src[r1 + c0 + c] * w01 + src[r1 + c1 + c] * w11;
        dst[o + c] = (v + 32768) >>> 16;
      }
    }
  }
  return dst;
}

function kernelWeights(kernel, radius) {
  const n = 2 * radius + 1;
  const f = new Float64Array(n);
  const sigma = radius / 2;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = i - radius;
    f[i] = kernel === 'box' ? 1 : Math.exp(-(d * d) / (2 * sigma * sigma));
    total += f[i];
  }
  const w = new Int32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    w[i] = Math.floor((f[i] / total) * 65536);
    sum += w[i];
  }
  w[radius] += 65536 - sum;
  return w;
}

function blurPass(src, dst, width, height, w, radius, horizontal) {
  const limit = horizontal ? width : height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      const at = horizontal ? x : y;
      for (let k = -radius; k <= radius; k++) {
        let s = at + k;
        if (s < 0) s = 0;
        else if (s >= limit) s = limit - 1;
        const o = horizontal ? (y * width + s) * 4 : (s * width + x) * 4;
        const wk = w[k + radius];
        r += src[o] * wk;
        g += src[o + 1] * wk;
        b += src[o + 2] * wk;
        a += src[o + 3] * wk;
      }
      const o = (y * width + x) * 4;
      dst[o] = (r + 32768) >>> 16;
      dst[o + 1] = (g + 32768) >>> 16;
      dst[o + 2] = (b + 32768) >>> 16;
      dst[o + 3] = (a + 32768) >>> 16;
    }
  }
}

function blurRgba(src, width, height, kernel, radius) {
  if (radius === 0) return Buffer.from(src);
  const w = kernelWeights(kernel, radius);
  const tmp = Buffer.alloc(src.length);
  const dst = Buffer.alloc(src.length);
  blurPass(src, tmp, width, height, w, radius, true);
  blurPass(tmp, dst, width, height, w, radius, false);
  return dst;
}

let CRC_TABLE;
function crc32(bytes, crc) {
  if (!CRC_TABLE) {
    CRC_TABLE = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c;
    }
  }
  let c = ~(crc || 0);
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return ~c >>> 0;
}

function pngChunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, tail]);
}

function encodePng(width, height, rgba, level) {
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

function encodePpm(width, height, rgba) {
  const head = Buffer.from('P6\n' + width + ' ' + height + '\n255\n', 'latin1');
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i];
    rgb[o + 1] = rgba[i + 1];
    rgb[o + 2] = rgba[i + 2];
  }
  return Buffer.concat([head, rgb]);
}
`;

/** The prelude's functions, as the host sees them. */
export interface Prelude {
  makeRng(seed: number, stream: number): () => number;
  genBytes(seed: number, size: number): Buffer;
  genText(seed: number, size: number): Buffer;
  genRecords(seed: number, count: number): Buffer;
  genImage(seed: number, side: number, pattern: string): { width: number; height: number; data: Buffer };
  genMatrix(seed: number, n: number, stream: number): Float64Array;
  identity(n: number): Float64Array;
  f64Bytes(m: Float64Array): Buffer;
  readParams(
    spec: CatalogFunctionSpec,
    value: unknown,
    strict: boolean,
  ): { seed: number; size: number; params: Record<string, ParamValue> };
  describeInput(
    spec: CatalogFunctionSpec,
    seed: number,
    size: number,
    params: Record<string, ParamValue>,
    sizeBytes: number,
  ): InputDescriptor;
  crc32(bytes: Uint8Array, crc?: number): number;
  STREAM_MATRIX_A: number;
  STREAM_MATRIX_B: number;
}

const EXPORTED = [
  'makeRng',
  'genBytes',
  'genText',
  'genRecords',
  'genImage',
  'genMatrix',
  'identity',
  'f64Bytes',
  'readParams',
  'describeInput',
  'crc32',
  'STREAM_MATRIX_A',
  'STREAM_MATRIX_B',
];

let loaded: Prelude | undefined;

/** Evaluates PRELUDE_JS once in this process and returns its functions. */
export function loadPrelude(): Prelude {
  loaded ??= compileFunction(`${PRELUDE_JS}\nreturn { ${EXPORTED.join(', ')} };`, ['require'], {
    filename: 'faasload-workload-prelude.js',
  })(createRequire(import.meta.url)) as Prelude;
  return loaded;
}
