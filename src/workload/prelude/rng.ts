/**
 * The seeded stream every generated input is drawn from. Part of the workload prelude (see
 * ../prelude.ts): this module's compiled text also runs inside every catalog action.
 */

/** Stream numbers: each kind of input draws from its own stream of the same seed. */
export const STREAM_BYTES = 1;
export const STREAM_TEXT = 2;
export const STREAM_RECORDS = 3;
export const STREAM_IMAGE = 4;
export const STREAM_MATRIX_A = 5;
export const STREAM_MATRIX_B = 6;

/**
 * xoshiro128** seeded through splitmix32 from (seed, stream); returns next() -> uint32. A pure
 * function of its arguments: the host and the action draw the same numbers.
 */
export function makeRng(seed: number, stream: number): () => number {
  let x = ((seed >>> 0) ^ Math.imul((stream >>> 0) + 1, 0x9e3779b9)) >>> 0;
  const mix = (): number => {
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

/** One of `list`'s items, chosen by the draw `r` (list is not empty). */
export function choose(list: readonly string[], r: number): string {
  return list[r % list.length] ?? '';
}
