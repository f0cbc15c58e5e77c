import { createHmac } from 'node:crypto';
import type { EdgeCredentials } from '../state/credentials.ts';
import { AwsError } from '../protocols/aws-error.ts';
import { constantTimeEqual, headerValues, type SignedRequest } from './sigv4.ts';
import type { VerifiedSigV2 } from './types.ts';

/** Sub-resources that are part of SigV2's CanonicalizedResource. */
const SUB_RESOURCES = new Set([
  'acl',
  'cors',
  'delete',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'partNumber',
  'policy',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
  'object-lock',
  'retention',
  'legal-hold',
  'encryption',
  'replication',
  'accelerate',
]);

export function readSigV2(headers: Record<string, string | string[] | undefined>, query: URLSearchParams): boolean {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('AWS ')) return true;
  return query.has('AWSAccessKeyId') || query.has('Signature');
}

/**
 * Verifies S3 SigV2 (header `Authorization: AWS AKID:sig` or query `AWSAccessKeyId`/`Expires`/`Signature`).
 * `bucketFromHost` is set for virtual-hosted requests so the resource becomes `/bucket/key`.
 */
export function verifySigV2(
  req: SignedRequest,
  credentials: EdgeCredentials,
  bucketFromHost?: string,
  now = new Date(),
): VerifiedSigV2 {
  const header = headerValues(req.rawHeaders, 'authorization')[0];
  let accessKeyId: string;
  let signature: string;
  let dateLine: string;
  let via: 'header' | 'query';
  if (header?.startsWith('AWS ')) {
    via = 'header';
    const sep = header.lastIndexOf(':');
    accessKeyId = header.slice(4, sep).trim();
    signature = header.slice(sep + 1).trim();
    dateLine =
      headerValues(req.rawHeaders, 'x-amz-date').length > 0 ? '' : (headerValues(req.rawHeaders, 'date')[0] ?? '');
  } else {
    via = 'query';
    const id = req.query.get('AWSAccessKeyId');
    const sig = req.query.get('Signature');
    const expires = req.query.get('Expires');
    if (!id || !sig || !expires) {
      throw new AwsError(
        403,
        'AccessDenied',
        'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
      );
    }
    accessKeyId = id;
    signature = sig;
    dateLine = expires;
    const expiresAt = Number(expires) * 1000;
    if (!Number.isFinite(expiresAt) || now.getTime() > expiresAt) {
      throw new AwsError(403, 'AccessDenied', 'Request has expired', {
        Expires: Number.isFinite(expiresAt) ? new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') : expires,
        ServerTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    }
  }
  if (accessKeyId !== credentials.accessKeyId) {
    throw new AwsError(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: accessKeyId,
    });
  }
  const stringToSign =
    [
      req.method,
      headerValues(req.rawHeaders, 'content-md5')[0] ?? '',
      headerValues(req.rawHeaders, 'content-type')[0] ?? '',
      dateLine,
    ].join('\n') +
    '\n' +
    canonicalAmzHeaders(req.rawHeaders) +
    canonicalResource(req, bucketFromHost);
  const expected = createHmac('sha1', credentials.secretAccessKey).update(stringToSign, 'utf8').digest('base64');
  if (!constantTimeEqual(expected, signature)) {
    throw new AwsError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: accessKeyId,
        StringToSign: stringToSign,
        SignatureProvided: signature,
        StringToSignBytes: [...Buffer.from(stringToSign, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' '),
      },
    );
  }
  return { scheme: 'sigv2', via, accessKeyId };
}

function canonicalAmzHeaders(rawHeaders: string[]): string {
  const grouped = new Map<string, string[]>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!name.startsWith('x-amz-')) continue;
    grouped.set(name, [...(grouped.get(name) ?? []), rawHeaders[i + 1].trim().replace(/\s+/g, ' ')]);
  }
  return [...grouped.keys()]
    .sort()
    .map((name) => `${name}:${grouped.get(name)!.join(',')}\n`)
    .join('');
}

function canonicalResource(req: SignedRequest, bucketFromHost?: string): string {
  const path = (bucketFromHost ? `/${bucketFromHost}` : '') + req.rawPath;
  const subs = [...req.query]
    .filter(([k]) => SUB_RESOURCES.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === '' && !/^response-/.test(k) ? k : `${k}=${v}`));
  return subs.length ? `${path}?${subs.join('&')}` : path;
}
