import { AwsError } from '../edge/errors.ts';
import { PageTokens } from '../protocols/pagination.ts';
import type { ObjectRecord } from '../state/s3-metadata.ts';
import { requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { document, el, wrap } from './xml.ts';

export const OWNER = wrap('Owner', el('ID', 'ddn') + el('DisplayName', 'ddn'));
const BATCH = 1000;
/** ListObjectsV2's continuation tokens: the last key or common prefix of the page. */
const CONTINUATION_TOKENS = new PageTokens('s3-list-v2');

interface Page {
  contents: ObjectRecord[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned: where the next page starts. */
  last?: string;
}

/**
 * One page of keys after `after`, grouping keys that contain `delimiter` past the prefix into common prefixes.
 * Resuming after a common prefix skips every key under it.
 */
function listPage(
  ctx: S3Context,
  bucket: string,
  prefix: string,
  delimiter: string,
  after: string,
  maxKeys: number,
): Page {
  const page: Page = { contents: [], commonPrefixes: [], truncated: false };
  let cursor = after;
  const skipUnder = delimiter && after.endsWith(delimiter) && after.startsWith(prefix) ? after : undefined;
  for (;;) {
    const batch = ctx.meta.listObjects(bucket, prefix, cursor, BATCH);
    for (const object of batch) {
      cursor = object.key;
      if (skipUnder && object.key.startsWith(skipUnder)) continue;
      let entry: string | undefined;
      if (delimiter) {
        const at = object.key.indexOf(delimiter, prefix.length);
        if (at !== -1) entry = object.key.slice(0, at + delimiter.length);
      }
      if (entry !== undefined && entry === page.commonPrefixes[page.commonPrefixes.length - 1]) continue;
      if (page.contents.length + page.commonPrefixes.length >= maxKeys) {
        page.truncated = true;
        return page;
      }
      if (entry !== undefined) {
        page.commonPrefixes.push(entry);
        page.last = entry;
      } else {
        page.contents.push(object);
        page.last = object.key;
      }
    }
    if (batch.length < BATCH) return page;
  }
}

/** `max-keys`, `max-uploads`: a non-negative integer, capped at 1000 (the default). */
export function parseMaxCount(value: string | null, name = 'max-keys'): number {
  if (value === null) return 1000;
  if (!/^\d+$/.test(value))
    throw new AwsError(400, 'InvalidArgument', `Provided ${name} not an integer or within integer range`, {
      ArgumentName: name,
      ArgumentValue: value,
    });
  return Math.min(Number(value), 1000);
}

export function encoder(encodingType: string | null): (s: string) => string {
  if (encodingType === null) return (s) => s;
  if (encodingType !== 'url')
    throw new AwsError(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request', {
      ArgumentName: 'encoding-type',
      ArgumentValue: encodingType,
    });
  return (s) => encodeURIComponent(s).replace(/%2F/g, '/');
}

function contentsXml(objects: ObjectRecord[], encode: (s: string) => string, withOwner: boolean): string {
  return objects
    .map((o) => {
      const checksum = o.checksumAlgorithm
        ? el('ChecksumAlgorithm', o.checksumAlgorithm.toUpperCase()) + el('ChecksumType', o.checksumType)
        : '';
      return wrap(
        'Contents',
        el('Key', encode(o.key)) +
          el('LastModified', o.lastModified) +
          el('ETag', o.etag) +
          checksum +
          el('Size', o.size) +
          (withOwner ? OWNER : '') +
          el('StorageClass', 'STANDARD'),
      );
    })
    .join('');
}

export function prefixesXml(prefixes: string[], encode: (s: string) => string): string {
  return prefixes.map((p) => wrap('CommonPrefixes', el('Prefix', encode(p)))).join('');
}

export function listObjectsV2(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  requireBucket(ctx, bucket);
  const q = request.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = parseMaxCount(q.get('max-keys'));
  const encode = encoder(q.get('encoding-type'));
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  let after = startAfter;
  if (token !== null) {
    const position = CONTINUATION_TOKENS.decode(token);
    if (position === undefined) {
      throw new AwsError(400, 'InvalidArgument', 'The continuation token provided is incorrect', {
        ArgumentName: 'continuation-token',
      });
    }
    after = position;
  }
  const page = listPage(ctx, bucket, prefix, delimiter, after, maxKeys);
  const next = page.truncated && page.last !== undefined ? CONTINUATION_TOKENS.encode(page.last) : undefined;
  const body =
    el('Name', bucket) +
    el('Prefix', encode(prefix)) +
    (startAfter ? el('StartAfter', encode(startAfter)) : '') +
    (token !== null ? el('ContinuationToken', token) : '') +
    (next ? el('NextContinuationToken', next) : '') +
    el('KeyCount', page.contents.length + page.commonPrefixes.length) +
    el('MaxKeys', maxKeys) +
    (delimiter ? el('Delimiter', encode(delimiter)) : '') +
    (q.get('encoding-type') ? el('EncodingType', 'url') : '') +
    el('IsTruncated', page.truncated) +
    contentsXml(page.contents, encode, q.get('fetch-owner') === 'true') +
    prefixesXml(page.commonPrefixes, encode);
  send(request, 200, {}, document('ListBucketResult', body));
}

export function listObjectsV1(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  requireBucket(ctx, bucket);
  const q = request.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const marker = q.get('marker') ?? '';
  const maxKeys = parseMaxCount(q.get('max-keys'));
  const encode = encoder(q.get('encoding-type'));
  const page = listPage(ctx, bucket, prefix, delimiter, marker, maxKeys);
  const body =
    el('Name', bucket) +
    el('Prefix', encode(prefix)) +
    el('Marker', encode(marker)) +
    (page.truncated && delimiter && page.last !== undefined ? el('NextMarker', encode(page.last)) : '') +
    el('MaxKeys', maxKeys) +
    (delimiter ? el('Delimiter', encode(delimiter)) : '') +
    (q.get('encoding-type') ? el('EncodingType', 'url') : '') +
    el('IsTruncated', page.truncated) +
    contentsXml(page.contents, encode, true) +
    prefixesXml(page.commonPrefixes, encode);
  send(request, 200, {}, document('ListBucketResult', body));
}
