import type { IncomingMessage } from 'node:http';
import type { AuthorizerContext } from './authorizers/types.ts';
import { pooledRandomText } from './ids.ts';

/** Everything the gateway knows about one data-plane request once its stage and route are chosen. */
export interface GatewayRequest {
  req: IncomingMessage;
  requestId: string;
  accountId: string;
  apiId: string;
  stageName: string;
  stageVariables: Record<string, string>;
  routeKey: string;
  pathParameters?: Record<string, string>;
  method: string;
  /** Decoded request path without the stage segment (what routes match). */
  path: string;
  /** Decoded request path as the client sent it, stage segment included (`rawPath` of events). */
  fullPath: string;
  rawQuery: string;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  domainPrefix: string;
  /** The port the client reached, for x-forwarded-port. */
  localPort: number;
  traceId: string;
  startedAt: number;
  /** What the route's authorizer found out about the caller. */
  authorizer?: AuthorizerContext;
  /** The body, when the authorizer had to read it (an `AWS_IAM` signature covers it); else it is still in `req`. */
  body?: Buffer;
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

let traceSecond = -1;
let tracePrefix = '';

/** An X-Ray style trace header value: `Root=1-<8 hex epoch seconds>-<24 hex>`. */
export function newTraceId(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== traceSecond) {
    tracePrefix = `Root=1-${second.toString(16).padStart(8, '0')}-`;
    traceSecond = second;
  }
  return tracePrefix + pooledRandomText(12, 'hex');
}

/** The TCP peer's address, IPv4-mapped IPv6 shown as plain IPv4. */
export function peerAddress(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** Request headers in arrival order with their names as sent. */
export function headerPairs(req: IncomingMessage): Array<[string, string]> {
  const raw = req.rawHeaders;
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
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
