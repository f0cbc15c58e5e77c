import { randomInt } from 'node:crypto';
import { pooledRandomBytes } from '../protocols/http-payload.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random `[a-z0-9]` identifier: 10 characters for APIs, 7 for routes and integrations, 6 for deployments (as on AWS). */
export function resourceId(length: 10 | 7 | 6): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/** A data-plane request id shaped like AWS's: 16 characters of URL-safe base64 ending in `=`. */
export function gatewayRequestId(): string {
  return pooledRandomBytes(11).toString('base64url') + '=';
}

/** ISO-8601 without milliseconds, as the management API returns dates. */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
