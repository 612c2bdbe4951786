/**
 * OpenWhisk's API key: `UUID:KEY`, sent as HTTP Basic auth (user = UUID, password = KEY). The key
 * is a secret: never log it or put it in an error message.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { FaasloadError } from '../../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY = /^[A-Za-z0-9]{1,256}$/;

/** A new `UUID:KEY` pair (64 alphanumeric characters of key, as OpenWhisk's wskadmin makes). */
export function generateAuth(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(64);
  let key = '';
  for (const b of bytes) key += alphabet[b % alphabet.length];
  return `${randomUUID()}:${key}`;
}

/** Throws E_USAGE unless `auth` is `UUID:KEY` (the key alphanumeric); the message never shows the key. */
export function checkAuthFormat(auth: string): void {
  const colon = auth.indexOf(':');
  const uuid = colon < 0 ? auth : auth.slice(0, colon);
  const key = colon < 0 ? '' : auth.slice(colon + 1);
  if (!UUID.test(uuid) || !KEY.test(key)) {
    throw new FaasloadError('E_USAGE', '--auth: expected UUID:KEY (a UUID, a colon, an alphanumeric key)');
  }
}

/** Checks an Authorization header against the pair, in constant time for equal lengths. */
export function makeAuthCheck(auth: string): (header: string | undefined) => boolean {
  const expected = Buffer.from(auth, 'utf8');
  return (header) => {
    if (header === undefined) return false;
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) return false;
    const given = Buffer.from(match[1]!, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}
