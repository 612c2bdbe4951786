/**
 * How much of an answer's body goes into an invocation's error message, the same for every
 * adapter: its first EXCERPT_CHARS characters, trimmed.
 */
export const EXCERPT_CHARS = 200;
/** Bytes to keep of a body for an excerpt: UTF-8 takes at most 4 bytes a character. */
export const EXCERPT_BYTES = EXCERPT_CHARS * 4;

export function is2xx(status: number): boolean {
  return status >= 200 && status < 300;
}

/** keepBytes for exchange(): nothing of a 2xx body, an excerpt's worth of any other. */
export function keepErrorExcerpt(status: number): number {
  return is2xx(status) ? 0 : EXCERPT_BYTES;
}

/** The start of `text` for an error message: trimmed, at most EXCERPT_CHARS characters. */
export function excerpt(text: string): string {
  return text.trim().slice(0, EXCERPT_CHARS).trimEnd();
}
