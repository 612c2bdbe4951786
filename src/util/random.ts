/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32, so every random choice
 * in a plan is reproducible from (seed, stream). Not for cryptography.
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `stream` separates independent sequences under one seed (e.g. one per function). */
  constructor(seed: number, stream = 0) {
    let x = (Math.trunc(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A stable 32-bit hash of a string (FNV-1a), to derive per-function streams from ids. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Counter-based random numbers in [0, 1): pure functions of (seed, stream, a, b), so any draw can
 * be made in any order without the draws before it. Planning uses them so that an arrival depends
 * only on its own function, bin and position, never on what else was planned. The key is built in
 * steps (streamKey, then keyAt) so hot loops hoist the shared part; unitAt does all at once.
 * Mixing: murmur3's 32-bit finalizer per word; 32 bits of output.
 */
export function streamKey(seed: number, stream: number): number {
  return fmix(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ stream);
}

export function keyAt(key: number, a: number): number {
  return fmix(key ^ Math.imul(a, 0xcc9e2d51));
}

export function unitOf(key: number, b: number): number {
  return (bitsOf(key, b) >>> 0) / 4294967296;
}

/** The 32 random bits behind unitOf(key, b), as a signed 32-bit integer. */
export function bitsOf(key: number, b: number): number {
  return fmix(key ^ Math.imul(b + 0x1b873593, 0x38b34ae5));
}

/** Another 32 random bits derived from `bits`, for a second draw at the same position. */
export function remix(bits: number): number {
  return fmix(bits ^ 0x3e3e3e3e);
}

export function unitAt(seed: number, stream: number, a: number, b: number): number {
  return unitOf(keyAt(streamKey(seed, stream), a), b);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
