/**
 * The image function's pixel work, in 16-bit fixed point so that a constant image stays exactly
 * constant: bilinear resizing and a separable blur (box or gaussian, edges clamped), RGBA8 in and
 * out. Part of the workload prelude (see ../prelude.ts).
 */

/** For each destination index along one axis: the two source indexes and the weight (/256) of the second. */
interface AxisMap {
  i0: Int32Array;
  i1: Int32Array;
  w: Int32Array;
}

function axisMap(from: number, to: number): AxisMap {
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
}

/** src (sw x sh RGBA) resized to dw x dh, bilinear, pixel centres aligned. */
export function resizeRgba(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Buffer {
  const dst = Buffer.alloc(dw * dh * 4);
  const xs = axisMap(sw, dw);
  const ys = axisMap(sh, dh);
  for (let y = 0; y < dh; y++) {
    const wy = ys.w[y] ?? 0;
    const r0 = (ys.i0[y] ?? 0) * sw * 4;
    const r1 = (ys.i1[y] ?? 0) * sw * 4;
    for (let x = 0; x < dw; x++) {
      const wx = xs.w[x] ?? 0;
      const c0 = (xs.i0[x] ?? 0) * 4;
      const c1 = (xs.i1[x] ?? 0) * 4;
      const w00 = (256 - wx) * (256 - wy);
      const w10 = wx * (256 - wy);
      const w01 = (256 - wx) * wy;
      const w11 = wx * wy;
      const o = (y * dw + x) * 4;
      for (let c = 0; c < 4; c++) {
        const v =
          (src[r0 + c0 + c] ?? 0) * w00 +
          (src[r0 + c1 + c] ?? 0) * w10 +
          (src[r1 + c0 + c] ?? 0) * w01 +
          (src[r1 + c1 + c] ?? 0) * w11;
        dst[o + c] = (v + 32768) >>> 16;
      }
    }
  }
  return dst;
}

/** The 2 * radius + 1 weights of the kernel, in 1/65536, summing to exactly 65536. */
function kernelWeights(kernel: string, radius: number): Int32Array {
  const n = 2 * radius + 1;
  const f = new Float64Array(n);
  const sigma = radius / 2;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = i - radius;
    const fi = kernel === 'box' ? 1 : Math.exp(-(d * d) / (2 * sigma * sigma));
    f[i] = fi;
    total += fi;
  }
  const w = new Int32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const wi = Math.floor(((f[i] ?? 0) / total) * 65536);
    w[i] = wi;
    sum += wi;
  }
  w[radius] = (w[radius] ?? 0) + 65536 - sum;
  return w;
}

function blurPass(
  src: Uint8Array,
  dst: Uint8Array,
  width: number,
  height: number,
  w: Int32Array,
  radius: number,
  horizontal: boolean,
): void {
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
        const wk = w[k + radius] ?? 0;
        r += (src[o] ?? 0) * wk;
        g += (src[o + 1] ?? 0) * wk;
        b += (src[o + 2] ?? 0) * wk;
        a += (src[o + 3] ?? 0) * wk;
      }
      const o = (y * width + x) * 4;
      dst[o] = (r + 32768) >>> 16;
      dst[o + 1] = (g + 32768) >>> 16;
      dst[o + 2] = (b + 32768) >>> 16;
      dst[o + 3] = (a + 32768) >>> 16;
    }
  }
}

/** src (width x height RGBA) blurred: `kernel` box, or gaussian with sigma = radius / 2; radius 0: a copy. */
export function blurRgba(
  src: Uint8Array,
  width: number,
  height: number,
  kernel: string,
  radius: number,
): Buffer {
  if (radius === 0) return Buffer.from(src);
  const w = kernelWeights(kernel, radius);
  const tmp = Buffer.alloc(src.length);
  const dst = Buffer.alloc(src.length);
  blurPass(src, tmp, width, height, w, radius, true);
  blurPass(tmp, dst, width, height, w, radius, false);
  return dst;
}
