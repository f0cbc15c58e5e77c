import { randomBytes, randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random `[a-z0-9]` identifier: 10 characters for APIs, 7 for routes and integrations, 6 for deployments (as on AWS). */
export function resourceId(length: 10 | 7 | 6): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

let pool = Buffer.alloc(0);
let poolOffset = 0;

/** Where `n` random bytes start in `pool`, refilled first when they do not fit: one system call per 4 KB. */
function take(n: number): number {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  poolOffset += n;
  return poolOffset - n;
}

/** `n` random bytes from a pre-filled pool (one system call per 4 KB, not one per request) as text. */
export function pooledRandomText(n: number, encoding: 'hex' | 'base64url'): string {
  const start = take(n);
  return pool.toString(encoding, start, start + n);
}

/** A data-plane request id shaped like AWS's: 16 characters of URL-safe base64 ending in `=`. */
export function gatewayRequestId(): string {
  return pooledRandomText(11, 'base64url') + '=';
}

/** ISO-8601 without milliseconds, as the management API returns dates. */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
