/**
 * `image`: resizes and/or blurs an RGBA image held in memory, then encodes it (PNG or PPM, encoded
 * by the action itself with zlib) — the pixel work of an image-processing function, without an
 * image library. Resizing is bilinear and blurring a separable convolution (box or gaussian,
 * edges clamped), both in 16-bit fixed point, so a constant image stays exactly constant.
 */
import { defineEntry } from '../entry.js';
import type { CatalogFunctionSpec } from '../types.js';

export const IMAGE_SPEC: CatalogFunctionSpec = {
  name: 'image',
  description:
    'Resize (bilinear) and/or blur (box or gaussian) a generated RGBA image, then encode it as PNG or PPM',
  params: [
    {
      name: 'pattern',
      type: 'string',
      default: 'mixed',
      choices: ['mixed', 'gradient', 'shapes', 'noise', 'constant'],
      meaning:
        'what the generated image shows: a gradient, filled circles and rectangles, uniform noise, one color, or mixed (gradient + shapes + noise of +-12)',
      shapesInput: true,
    },
    {
      name: 'op',
      type: 'string',
      default: 'resize-blur',
      choices: ['resize-blur', 'resize', 'blur'],
      meaning: 'resize then blur, resize only, or blur only',
    },
    {
      name: 'width',
      type: 'integer',
      default: 0,
      range: [0, 8192],
      meaning: 'output width in pixels; 0: from height (keeping the aspect) or from scale',
    },
    {
      name: 'height',
      type: 'integer',
      default: 0,
      range: [0, 8192],
      meaning: 'output height in pixels; 0: from width (keeping the aspect) or from scale',
    },
    {
      name: 'scale',
      type: 'number',
      default: 0.5,
      range: [0.01, 8],
      meaning: 'resize factor of both sides, when width and height are 0 (each side at least 1 pixel)',
    },
    {
      name: 'kernel',
      type: 'string',
      default: 'gaussian',
      choices: ['gaussian', 'box'],
      meaning: 'blur kernel: gaussian with sigma = radius / 2, or box (uniform)',
    },
    {
      name: 'radius',
      type: 'integer',
      default: 3,
      range: [0, 32],
      meaning: 'blur kernel radius in pixels (the kernel spans 2 * radius + 1); 0: no blur',
    },
    {
      name: 'format',
      type: 'string',
      default: 'png',
      choices: ['png', 'ppm', 'rgba'],
      meaning: 'output encoding: PNG (RGBA, zlib level 6, no filter), binary PPM (RGB), or raw RGBA',
    },
    {
      name: 'emit',
      type: 'boolean',
      default: false,
      meaning: 'return the encoded output as base64 in `output` (for checks; keep images small)',
    },
  ],
  input: {
    kind: 'image',
    format: 'RGBA, 8 bits per channel, row-major, size x size pixels (4 * size^2 bytes), alpha 255',
    size: {
      unit: 'pixels per side',
      default: 512,
      range: [1, 4096],
      meaning: 'width and height of the square input',
    },
  },
};

const MAIN = `function outputSize(p, sw, sh) {
  if (p.op === 'blur') return [sw, sh];
  if (p.width > 0 && p.height > 0) return [p.width, p.height];
  if (p.width > 0) return [p.width, Math.max(1, Math.round((p.width * sh) / sw))];
  if (p.height > 0) return [Math.max(1, Math.round((p.height * sw) / sh)), p.height];
  return [Math.max(1, Math.round(sw * p.scale)), Math.max(1, Math.round(sh * p.scale))];
}

function main(value) {
  const t0 = performance.now();
  const { seed, size, params: p } = readParams(SPEC, value, false);
  const image = genImage(seed, size, p.pattern);
  const input = describeInput(SPEC, seed, size, p, image.data.length);
  const t1 = performance.now();
  const [width, height] = outputSize(p, image.width, image.height);
  let pixels = image.data;
  if (p.op !== 'blur') pixels = resizeRgba(pixels, image.width, image.height, width, height);
  if (p.op !== 'resize') pixels = blurRgba(pixels, width, height, p.kernel, p.radius);
  const t2 = performance.now();
  let encoded = pixels;
  if (p.format === 'png') encoded = encodePng(width, height, pixels, 6);
  else if (p.format === 'ppm') encoded = encodePpm(width, height, pixels);
  const checksum = sha256(encoded);
  const t3 = performance.now();
  const result = {
    input,
    op: p.op,
    width,
    height,
    format: p.format,
    outputBytes: encoded.length,
    checksum,
    rgbaChecksum: p.format === 'rgba' ? checksum : sha256(pixels),
    timings: { generateMs: t1 - t0, computeMs: t2 - t1, encodeMs: t3 - t2, totalMs: 0 },
  };
  if (p.emit) result.output = encoded.toString('base64');
  result.timings.totalMs = performance.now() - t0;
  return result;
}
`;

export const IMAGE_ENTRY = defineEntry(IMAGE_SPEC, MAIN);
