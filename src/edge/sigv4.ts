import { createHmac, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4, getSigningKey } from '@smithy/signature-v4';
import type { ChecksumConstructor, HeaderBag, HttpRequest, QueryParameterBag } from '@smithy/types';
import type { EdgeCredentials } from '../state/credentials.ts';
import { AwsError } from '../protocols/aws-error.ts';
import { decodeUriOrKeep } from '../protocols/uri.ts';

const Sha256 = Hash.bind(null, 'sha256') as unknown as ChecksumConstructor;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_EXPIRES = 604800;

export interface SignedRequest {
  method: string;
  /** The path exactly as it came on the wire (still percent-encoded). */
  rawPath: string;
  query: URLSearchParams;
  /** Node's `rawHeaders`: name, value, name, value... */
  rawHeaders: string[];
}

export interface SigV4Params {
  via: 'header' | 'query';
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** Seconds, for presigned URLs. */
  expires?: number;
}

export interface VerifiedSigV4 extends SigV4Params {
  scheme: 'sigv4';
  signingKey: Uint8Array;
  scope: string;
}

/** Reads the credential scope of a SigV4 request (header or presigned) without checking anything; null if it carries none. */
export function readSigV4Scope(
  headers: Record<string, string | string[] | undefined>,
  query: URLSearchParams,
): { service: string; via: 'header' | 'query' } | null {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith(ALGORITHM)) {
    const m = /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(auth);
    return { service: m?.[1] ?? 's3', via: 'header' };
  }
  const credential = query.get('X-Amz-Credential');
  if (credential !== null || query.has('X-Amz-Signature') || query.get('X-Amz-Algorithm') !== null) {
    const parts = (credential ?? '').split('/');
    return { service: parts.length === 5 ? parts[3] : 's3', via: 'query' };
  }
  return null;
}

/** Parses SigV4 parameters, with S3's errors for malformed ones. */
export function parseSigV4(req: SignedRequest, via: 'header' | 'query'): SigV4Params {
  if (via === 'header') {
    const auth = headerValues(req.rawHeaders, 'authorization')[0] ?? '';
    const rest = auth.slice(ALGORITHM.length).trim();
    const fields = new Map<string, string>();
    for (const part of rest.split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    if (!credential || !signedHeaders || !signature) {
      throw new AwsError(
        400,
        'AuthorizationHeaderMalformed',
        'The authorization header is malformed; the Credential, SignedHeaders and Signature components are required.',
      );
    }
    const scope = parseCredential(credential, 'AuthorizationHeaderMalformed');
    const amzDate =
      headerValues(req.rawHeaders, 'x-amz-date')[0] ?? dateHeaderToAmz(headerValues(req.rawHeaders, 'date')[0]);
    if (!amzDate)
      throw new AwsError(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    return { via, ...scope, signedHeaders: signedHeaders.split(';'), signature, amzDate };
  }
  const q = req.query;
  const names = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Signature',
    'X-Amz-Date',
    'X-Amz-SignedHeaders',
    'X-Amz-Expires',
  ];
  if (names.some((n) => !q.get(n))) {
    throw new AwsError(
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (q.get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new AwsError(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const expiresText = q.get('X-Amz-Expires')!;
  const expires = Number(expiresText);
  if (!/^-?\d+$/.test(expiresText)) {
    throw new AwsError(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
  }
  if (expires < 0) throw new AwsError(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be non-negative');
  if (expires > MAX_PRESIGN_EXPIRES) {
    throw new AwsError(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    );
  }
  const scope = parseCredential(q.get('X-Amz-Credential')!, 'AuthorizationQueryParametersError');
  return {
    via,
    ...scope,
    signedHeaders: q.get('X-Amz-SignedHeaders')!.split(';'),
    signature: q.get('X-Amz-Signature')!,
    amzDate: q.get('X-Amz-Date')!,
    expires,
  };
}

export interface VerifyOptions {
  credentials: EdgeCredentials;
  /** The payload hash that goes into the canonical request (S3: the x-amz-content-sha256 value or UNSIGNED-PAYLOAD). */
  payloadHash: string;
  /** S3 canonicalises the path by decoding and encoding each segment once; other services encode the wire path again. */
  s3Path: boolean;
  /** The region credential scopes must name (the edge's); unchecked when absent. */
  region?: string;
  now?: Date;
}

/** Services whose SDKs sign with us-east-1 whatever the client's region (global endpoints). */
const GLOBAL_SERVICES = new Set(['iam', 'sts']);

/** Recomputes the signature with @smithy/signature-v4 and compares it in constant time; throws AwsError (S3 codes) on any failure. */
export async function verifySigV4(
  req: SignedRequest,
  params: SigV4Params,
  opts: VerifyOptions,
): Promise<VerifiedSigV4> {
  const now = opts.now ?? new Date();
  const requestTime = parseAmzDate(params.amzDate);
  if (!requestTime) {
    if (params.via === 'query')
      throw new AwsError(
        400,
        'AuthorizationQueryParametersError',
        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
      );
    throw new AwsError(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  checkRegion(params, opts.region);
  if (params.accessKeyId !== opts.credentials.accessKeyId) {
    throw new AwsError(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: params.accessKeyId,
    });
  }
  if (params.via === 'header') {
    if (Math.abs(now.getTime() - requestTime.getTime()) > MAX_SKEW_MS) {
      throw new AwsError(
        403,
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
        {
          RequestTime: params.amzDate,
          ServerTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
        },
      );
    }
  } else {
    const expiresAt = new Date(requestTime.getTime() + params.expires! * 1000);
    // Unconfirmed: the allowance for a signer's clock ahead of ours is taken to be the header skew limit.
    if (requestTime.getTime() - now.getTime() > MAX_SKEW_MS) {
      throw new AwsError(403, 'AccessDenied', 'Request is not yet valid', {
        // S3 writes this one as epoch milliseconds.
        'X-Amz-Date': requestTime.getTime(),
        Expires: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ServerTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    }
    if (now.getTime() > expiresAt.getTime()) {
      throw new AwsError(403, 'AccessDenied', 'Request has expired', {
        'X-Amz-Expires': params.expires!,
        Expires: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ServerTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    }
  }
  // S3 refuses x-amz-* headers outside the signature, for presigned URLs and signed headers alike.
  if (params.via === 'query' || opts.s3Path) checkAmzHeadersSigned(req, params);
  if (!params.signedHeaders.includes('host')) {
    throw new AwsError(400, 'AuthorizationHeaderMalformed', "The request signature must sign the 'host' header");
  }

  const scope = `${params.shortDate}/${params.region}/${params.service}/aws4_request`;
  const { canonicalRequest, stringToSign } = await canonicalise(req, params, opts, scope);
  const signingKey = await getSigningKey(
    Sha256,
    { accessKeyId: params.accessKeyId, secretAccessKey: opts.credentials.secretAccessKey },
    params.shortDate,
    params.region,
    params.service,
  );
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  if (!constantTimeEqual(expected, params.signature)) {
    throw new AwsError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: params.accessKeyId,
        StringToSign: stringToSign,
        SignatureProvided: params.signature,
        StringToSignBytes: hexBytes(stringToSign),
        CanonicalRequest: canonicalRequest,
        CanonicalRequestBytes: hexBytes(canonicalRequest),
      },
    );
  }
  return { ...params, scheme: 'sigv4', signingKey, scope };
}

function checkAmzHeadersSigned(req: SignedRequest, params: SigV4Params): void {
  const signed = new Set(params.signedHeaders);
  const unsigned = distinctHeaderNames(req.rawHeaders).filter((n) => n.startsWith('x-amz-') && !signed.has(n));
  if (unsigned.length > 0) {
    throw new AwsError(403, 'AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    });
  }
}

/** A scope naming another region than the edge's: S3's 400 naming the expected one (JSON services translate it). */
function checkRegion(params: SigV4Params, expected: string | undefined): void {
  if (!expected || params.region === expected) return;
  if (GLOBAL_SERVICES.has(params.service) && params.region === 'us-east-1') return;
  const wrong = `the region '${params.region}' is wrong; expecting '${expected}'`;
  if (params.via === 'query') {
    throw new AwsError(
      400,
      'AuthorizationQueryParametersError',
      `Error parsing the X-Amz-Credential parameter; ${wrong}`,
      { Region: expected },
    );
  }
  throw new AwsError(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; ${wrong}`, {
    Region: expected,
  });
}

class CanonicalSigner extends SignatureV4 {
  constructor(service: string, region: string, uriEscapePath: boolean) {
    super({ service, region, credentials: { accessKeyId: '', secretAccessKey: '' }, sha256: Sha256, uriEscapePath });
  }
  canonicalRequest(request: HttpRequest, headers: HeaderBag, payloadHash: string): string {
    return this.createCanonicalRequest(request, headers, payloadHash);
  }
  stringToSign(longDate: string, scope: string, canonicalRequest: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM);
  }
}

async function canonicalise(req: SignedRequest, params: SigV4Params, opts: VerifyOptions, scope: string) {
  const headers: HeaderBag = {};
  for (const name of params.signedHeaders) {
    const values = headerValues(req.rawHeaders, name);
    headers[name] = values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
  }
  // No prototype: a parameter named `constructor` or `__proto__` is data like any other.
  const query = Object.create(null) as QueryParameterBag;
  for (const [k, v] of req.query) {
    if (params.via === 'query' && k === 'X-Amz-Signature') continue;
    const prev = query[k];
    query[k] = prev === undefined || prev === null ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const path = opts.s3Path ? s3CanonicalPath(req.rawPath) : req.rawPath;
  const signer = new CanonicalSigner(params.service, params.region, !opts.s3Path);
  const request = {
    method: req.method,
    path,
    query,
    headers: {},
    protocol: 'http:',
    hostname: '',
  } as unknown as HttpRequest;
  const canonicalRequest = signer.canonicalRequest(request, headers, opts.payloadHash);
  const stringToSign = await signer.stringToSign(params.amzDate, scope, canonicalRequest);
  return { canonicalRequest, stringToSign };
}

/** S3's canonical URI: each segment decoded, then URI-encoded once (RFC 3986 unreserved characters kept). */
export function s3CanonicalPath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => encodeRfc3986(decodeUriOrKeep(segment)))
    .join('/');
}

export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseCredential(credential: string, errorCode: string) {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1])) {
    throw new AwsError(
      400,
      errorCode,
      `Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`,
    );
  }
  return { accessKeyId: parts[0], shortDate: parts[1], region: parts[2], service: parts[3] };
}

export function headerValues(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) out.push(rawHeaders[i + 1]);
  }
  return out;
}

function distinctHeaderNames(rawHeaders: string[]): string[] {
  const names = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) names.add(rawHeaders[i].toLowerCase());
  return [...names];
}

export function parseAmzDate(s: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) ? null : d;
}

function dateHeaderToAmz(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const d = new Date(date);
  if (Number.isNaN(d.getTime())) return undefined;
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

function hexBytes(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
