import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';

/**
 * Lambda's HTTP proxy payloads, shared by API Gateway HTTP APIs and Lambda function URLs: the parts of a format 2.0
 * event both build alike, and how a function's reply (format 2.0 or 1.0) becomes an HTTP response.
 */

/** An HTTP response made from a function's reply. */
export interface ProxyResponse {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Why a function's reply cannot become an HTTP response (logged as `integrationErrorMessage`). */
export class BadLambdaResponse extends Error {}

let pool = Buffer.alloc(0);
let poolOffset = 0;

/** Random bytes from a pre-filled pool: one system call per 4 KB instead of one per request. */
export function pooledRandomBytes(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  poolOffset += n;
  return pool.subarray(poolOffset - n, poolOffset);
}

/** An X-Ray style trace header value: `Root=1-<8 hex epoch seconds>-<24 hex>`. */
export function newTraceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000)
    .toString(16)
    .padStart(8, '0')}-${pooledRandomBytes(12).toString('hex')}`;
}

/** The TCP peer's address, IPv4-mapped IPv6 shown as plain IPv4. */
export function peerAddress(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

let clfSecond = -1;
let clfText = '';

/** Apache CLF time in UTC as API Gateway writes it: `17/Jun/2024:15:52:39 +0000` (formatted once a second). */
export function clfTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== clfSecond) {
    clfText = formatClfTime(epochMs);
    clfSecond = second;
  }
  return clfText;
}

function formatClfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** `Content-Type`s delivered to Lambda as text; everything else (and no type) is base64. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  // Structured-syntax suffixes (+json, +xml) are unconfirmed on AWS; treated as their base type.
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/xml' ||
    type === 'application/javascript' ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  );
}

/** Query parameters decoded, in order, duplicates kept. */
export function queryPairs(rawQuery: string): Array<[string, string]> {
  return rawQuery === '' ? [] : [...new URLSearchParams(rawQuery)];
}

/**
 * Format 2.0 headers: names lower-cased, repeated headers comma-joined, `Cookie` split into `cookies`; the names in
 * `skip` are left out (the ones the endpoint sets itself).
 */
export function foldHeadersV2(
  rawHeaders: readonly string[],
  skip: ReadonlySet<string>,
): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1];
    if (name === 'cookie') {
      for (const c of value.split(';')) {
        const cookie = c.trim();
        if (cookie) cookies.push(cookie);
      }
    } else if (!skip.has(name)) addHeaderV2(headers, name, value);
  }
  return { headers, cookies };
}

/** Adds a header to format 2.0 headers, comma-joined with an earlier value. */
export function addHeaderV2(headers: Record<string, string>, name: string, value: string): void {
  headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
}

/** Format 2.0 `queryStringParameters`: decoded, repeated names comma-joined. */
export function foldQueryV2(rawQuery: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [k, v] of queryPairs(rawQuery)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  return query;
}

/** An event's `body` and `isBase64Encoded`: text content types as text, anything else base64; no body, no member. */
export function bodyFields(contentType: string | undefined, body: Buffer): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  const text = isTextContentType(contentType);
  return { body: text ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !text };
}

function parsePayload(payload: string): unknown {
  if (payload.length === 0) throw new BadLambdaResponse('The function returned an empty payload.');
  try {
    return JSON.parse(payload);
  } catch {
    throw new BadLambdaResponse('The function returned a payload that is not JSON.');
  }
}

function statusOf(value: unknown): number {
  const status = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new BadLambdaResponse(`The function returned an invalid statusCode ${JSON.stringify(value)}.`);
  }
  return status;
}

function bodyOf(value: unknown, isBase64Encoded: unknown): Buffer {
  if (value === undefined || value === null) return Buffer.alloc(0);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
}

function headersOf(value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value))
    throw new BadLambdaResponse('The function returned headers that are not an object.');
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

function withDefaultContentType(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.some(([k]) => k.toLowerCase() === 'content-type')
    ? headers
    : [...headers, ['content-type', 'application/json']];
}

/** Format 2.0 reply: structured when it is an object with `statusCode`, otherwise 200 application/json with the value as body. */
export function responseV2(payload: string): ProxyResponse {
  const value = parsePayload(payload);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('statusCode' in value)) {
    // A JSON string is sent as its value; anything else as its JSON text.
    const body = typeof value === 'string' ? value : payload.trim();
    return { statusCode: 200, headers: [['content-type', 'application/json']], body: Buffer.from(body) };
  }
  const r = value as Record<string, unknown>;
  const headers = headersOf(r.headers);
  if (r.cookies !== undefined) {
    if (!Array.isArray(r.cookies)) throw new BadLambdaResponse('The function returned cookies that are not an array.');
    headers.unshift(...r.cookies.map((c): [string, string] => ['set-cookie', String(c)]));
  }
  return {
    statusCode: statusOf(r.statusCode),
    headers: withDefaultContentType(headers),
    body: bodyOf(r.body, r.isBase64Encoded),
  };
}

/** Format 1.0 reply: `statusCode` is required; `headers` and `multiValueHeaders` are merged. */
export function responseV1(payload: string): ProxyResponse {
  const value = parsePayload(payload);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('statusCode' in value)) {
    throw new BadLambdaResponse('A payload format 1.0 response must be an object with statusCode.');
  }
  const r = value as Record<string, unknown>;
  const headers = headersOf(r.headers);
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object')
      throw new BadLambdaResponse('The function returned multiValueHeaders that are not an object.');
    for (const [k, values] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      for (const v of Array.isArray(values) ? values : [values]) {
        if (!headers.some(([hk, hv]) => hk.toLowerCase() === k.toLowerCase() && hv === String(v)))
          headers.push([k, String(v)]);
      }
    }
  }
  return {
    statusCode: statusOf(r.statusCode),
    headers: withDefaultContentType(headers),
    body: bodyOf(r.body, r.isBase64Encoded),
  };
}
