/**
 * Numbers out of the bytes of kernel files (cgroup and /proc text, ASCII), read in place: no
 * string, no split, no Map per sample. Values are unsigned decimal integers, exact up to 2^53
 * (larger ones, like cgroup v1's "unlimited" 2^63, come out approximate); a field without digits
 * gives NaN, which callers turn into null.
 */

const SPACE = 0x20;
const TAB = 0x09;
const NL = 0x0a;
const COLON = 0x3a;
const ZERO = 0x30;

/** Where the last uintAt() stopped: the byte after the number's last digit. */
export const scan = { end: 0 };

/**
 * The unsigned integer at `at` (spaces and tabs before it skipped), up to `end`; NaN when there
 * is no digit there. scan.end is set to the byte after it.
 */
export function uintAt(buf: Uint8Array, at: number, end: number): number {
  let i = at;
  while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const d = buf[i]! - ZERO;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    digits++;
  }
  scan.end = i;
  return digits === 0 ? Number.NaN : value;
}

/** The index of the next `\n` at or after `at`, or `end`. */
export function lineEnd(buf: Uint8Array, at: number, end: number): number {
  const nl = buf.indexOf(NL, at);
  return nl < 0 || nl > end ? end : nl;
}

/** Keys to pick from `key value` lines, encoded once. */
export class LineKeys {
  readonly keys: readonly Uint8Array[];
  /** 1 for the bytes some key starts with: other lines are skipped without a comparison. */
  readonly firstBytes = new Uint8Array(256);
  constructor(readonly names: readonly string[]) {
    this.keys = names.map((n) => Buffer.from(n, 'latin1'));
    for (const k of this.keys) this.firstBytes[k[0]!] = 1;
  }
}

/**
 * For lines `key value` or `key: value` (cgroup *.stat, /proc/<pid>/io), fills out[i] with the
 * value of keys.names[i], NaN for a key not there. One pass over the bytes that stops once every
 * key is found (memory.stat's wanted lines are in its first half); the first occurrence of a key
 * wins.
 */
export function lineValues(buf: Uint8Array, n: number, keys: LineKeys, out: Float64Array): void {
  const wanted = keys.keys;
  const first = keys.firstBytes;
  out.fill(Number.NaN, 0, wanted.length);
  let left = wanted.length;
  let at = 0;
  while (at < n && left > 0) {
    if (first[buf[at]!] === 1) {
      let k = at;
      while (k < n && buf[k] !== SPACE && buf[k] !== COLON && buf[k] !== NL) k++;
      const length = k - at;
      for (let w = 0; w < wanted.length; w++) {
        const key = wanted[w]!;
        if (key.length !== length || !Number.isNaN(out[w]!)) continue; // wrong length, or found already
        let same = true;
        for (let j = 1; j < length; j++) {
          if (buf[at + j] !== key[j]) {
            same = false;
            break;
          }
        }
        if (same && buf[at] === key[0]) {
          out[w] = uintAt(buf, buf[k] === COLON ? k + 1 : k, n);
          if (!Number.isNaN(out[w]!)) left--;
          at = scan.end;
          break;
        }
      }
    }
    while (at < n && buf[at] !== NL) at++;
    at++;
  }
}

/** A JavaScript string's bytes (latin1), for the string forms of the parsers (tests, one-off reads). */
export function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
