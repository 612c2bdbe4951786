/**
 * `compress`: compresses generated text (seeded pseudo-words) with gzip, deflate (zlib) or brotli
 * at a level, and reports the sizes and the ratio: the CPU profile of a compression function.
 */
import { defineEntry } from '../entry.js';
import type { CatalogFunctionSpec } from '../types.js';

export const COMPRESS_SPEC: CatalogFunctionSpec = {
  name: 'compress',
  description: 'Compress generated text with gzip, deflate or brotli at a level; return sizes and ratio',
  params: [
    {
      name: 'algorithm',
      type: 'string',
      default: 'gzip',
      choices: ['gzip', 'deflate', 'brotli'],
      meaning: 'gzip (RFC 1952), deflate (zlib format, RFC 1950) or brotli (RFC 7932), from node:zlib',
    },
    {
      name: 'level',
      type: 'integer',
      default: 6,
      range: [0, 11],
      rangeBy: { param: 'algorithm', ranges: { gzip: [0, 9], deflate: [0, 9], brotli: [0, 11] } },
      meaning: 'compression level: 0 to 9 for gzip and deflate, 0 to 11 for brotli (its quality)',
    },
    {
      name: 'verify',
      type: 'boolean',
      default: false,
      meaning: 'decompress the output and compare it with the input (timed apart, reported in `verified`)',
    },
    {
      name: 'emit',
      type: 'boolean',
      default: false,
      meaning: 'return the compressed bytes as base64 in `output` (for checks; keep inputs small)',
    },
  ],
  input: {
    kind: 'text',
    format: 'ASCII text: pseudo-words in sentences and paragraphs, exactly size bytes',
    size: { unit: 'bytes', default: 1048576, range: [1, 268435456], meaning: 'length of the text' },
  },
};

const MAIN = `function compressText(text, algorithm, level) {
  if (algorithm === 'gzip') return zlib.gzipSync(text, { level });
  if (algorithm === 'deflate') return zlib.deflateSync(text, { level });
  return zlib.brotliCompressSync(text, {
    params: {
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      [zlib.constants.BROTLI_PARAM_QUALITY]: level,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: text.length,
    },
  });
}

function decompress(bytes, algorithm) {
  if (algorithm === 'gzip') return zlib.gunzipSync(bytes);
  if (algorithm === 'deflate') return zlib.inflateSync(bytes);
  return zlib.brotliDecompressSync(bytes);
}

function main(value) {
  const t0 = performance.now();
  const { seed, size, params: p } = readParams(SPEC, value, false);
  const text = genText(seed, size);
  const input = describeInput(SPEC, seed, size, p, text.length);
  const t1 = performance.now();
  const compressed = compressText(text, p.algorithm, p.level);
  const t2 = performance.now();
  const result = {
    input,
    algorithm: p.algorithm,
    level: p.level,
    inputBytes: text.length,
    outputBytes: compressed.length,
    ratio: compressed.length / text.length,
    checksum: sha256(compressed),
    timings: { generateMs: t1 - t0, computeMs: t2 - t1, totalMs: 0 },
  };
  if (p.verify) result.verified = decompress(compressed, p.algorithm).equals(text);
  if (p.emit) result.output = compressed.toString('base64');
  result.timings.totalMs = performance.now() - t0;
  return result;
}
`;

export const COMPRESS_ENTRY = defineEntry(COMPRESS_SPEC, MAIN);
