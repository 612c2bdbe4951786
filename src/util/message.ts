/** The message of a thrown value: an Error's message, else the value as a string. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The code of a Node.js system error (`ENOENT`, `EACCES`, ...; also undici's `UND_ERR_...`), else undefined. */
export function errnoCodeOf(e: unknown): string | undefined {
  if (e === null || typeof e !== 'object' || !('code' in e)) return undefined;
  return typeof e.code === 'string' ? e.code : undefined;
}
