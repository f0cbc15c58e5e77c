import { AwsError } from '../edge/errors.ts';
import type { EdgeRequest } from '../edge/types.ts';
import { VERSION_ID, type ListedVersion, type ObjectRecord, type VersioningStatus } from '../state/s3-metadata.ts';
import { httpDate, noSuchKey, requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { receiveSmallBody } from './ingest.ts';
import { encoder, OWNER, parseMaxCount, prefixesXml } from './listing.ts';
import { document, el, malformedXml, parseXmlBody, wrap } from './xml.ts';

type BucketCall = S3Call & { bucket: string };

/** `versionId` of the query: undefined when absent, null for the "null" version; an id S3 never issues is a 400. */
export function parseVersionId(query: URLSearchParams, name = 'versionId'): string | null | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (value === 'null') return null;
  if (!VERSION_ID.test(value)) {
    throw new AwsError(400, 'InvalidArgument', 'Invalid version id specified', {
      ArgumentName: name,
      ArgumentValue: value,
    });
  }
  return value;
}

/** `x-amz-version-id` once the bucket has a versioning state ("null" for the null version); none before. */
export function versionHeaders(versionId: string | null, versioning: VersioningStatus | null): Record<string, string> {
  if (versionId === null && versioning === null) return {};
  return { 'x-amz-version-id': versionId ?? 'null' };
}

export function noSuchVersion(key: string, versionId: string | null): AwsError {
  return new AwsError(404, 'NoSuchVersion', 'The specified version does not exist.', {
    Key: key,
    VersionId: versionId ?? 'null',
  });
}

/**
 * The object version a GET/HEAD (or a copy source) reads: the current one, or the one `versionId` names.
 * A delete marker answers as S3 does: 404 NoSuchKey when it is the newest entry, 405 when named, with
 * `x-amz-delete-marker` on the response when `request` is given.
 */
export function readableVersion(
  ctx: S3Context,
  bucket: string,
  key: string,
  versionId: string | null | undefined,
  request?: EdgeRequest,
): ObjectRecord {
  const markerHeaders = (id: string | null, lastModified: string) => {
    if (!request) return;
    request.res.setHeader('x-amz-delete-marker', 'true');
    request.res.setHeader('x-amz-version-id', id ?? 'null');
    request.res.setHeader('last-modified', httpDate(lastModified));
  };
  if (versionId === undefined) {
    const current = ctx.meta.getObject(bucket, key);
    if (current) return current;
    const marker = ctx.meta.latestDeleteMarker(bucket, key);
    if (marker?.kind === 'delete-marker') markerHeaders(marker.versionId, marker.lastModified);
    throw noSuchKey(key);
  }
  const version = ctx.meta.getVersion(bucket, key, versionId);
  if (!version) throw noSuchVersion(key, versionId);
  if (version.kind === 'delete-marker') {
    markerHeaders(version.versionId, version.lastModified);
    throw new AwsError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      Method: request?.method ?? 'GET',
      ResourceType: 'DeleteMarker',
    });
  }
  return version.record;
}

export async function putBucketVersioning(ctx: S3Context, { request, bucket }: BucketCall): Promise<void> {
  requireBucket(ctx, bucket);
  const { body } = await receiveSmallBody(request, 64 * 1024);
  const doc = parseXmlBody(body, 'VersioningConfiguration');
  const status = doc.Status;
  if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
  if (doc.MfaDelete === 'Enabled') {
    throw new AwsError(
      501,
      'NotImplemented',
      'A header or query you provided requested a function that is not implemented: MFA delete.',
    );
  }
  ctx.meta.setBucketVersioning(bucket, status);
  send(request, 200);
}

export function getBucketVersioning(ctx: S3Context, { request, bucket }: BucketCall): void {
  const row = requireBucket(ctx, bucket);
  send(request, 200, {}, document('VersioningConfiguration', el('Status', row.versioning ?? undefined)));
}

const BATCH = 1000;

/**
 * ListObjectVersions: every version and delete marker, by key then newest first; `key-marker` and
 * `version-id-marker` say where a page starts, `delimiter` groups keys into common prefixes.
 */
export function listObjectVersions(ctx: S3Context, { request, bucket }: BucketCall): void {
  requireBucket(ctx, bucket);
  const q = request.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const maxKeys = parseMaxCount(q.get('max-keys'));
  const encode = encoder(q.get('encoding-type'));
  // An empty version-id-marker (some clients send one) is no marker.
  const versionIdMarker = keyMarker && q.get('version-id-marker') ? parseVersionId(q, 'version-id-marker') : undefined;
  if (q.get('version-id-marker') && !keyMarker) {
    throw new AwsError(400, 'InvalidArgument', 'A version-id marker cannot be specified without a key marker.', {
      ArgumentName: 'version-id-marker',
      ArgumentValue: q.get('version-id-marker')!,
    });
  }
  let afterRank = -1;
  if (versionIdMarker !== undefined) {
    const rank = ctx.meta.versionRank(bucket, keyMarker, versionIdMarker);
    if (rank === undefined) {
      // unconfirmed: the message S3 gives for a marker naming no version of the key.
      throw new AwsError(400, 'InvalidArgument', 'Invalid version id specified', {
        ArgumentName: 'version-id-marker',
        ArgumentValue: versionIdMarker ?? 'null',
      });
    }
    afterRank = rank;
  }
  const skipUnder = delimiter && keyMarker.endsWith(delimiter) && keyMarker.startsWith(prefix) ? keyMarker : undefined;
  const entries: ListedVersion[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: { key: string; versionId?: string | null } | undefined;
  let cursor = { key: keyMarker, rank: afterRank };
  scan: for (;;) {
    const batch = ctx.meta.listVersions(bucket, prefix, cursor.key, cursor.rank, BATCH);
    for (const entry of batch) {
      const key = entry.kind === 'object' ? entry.record.key : entry.key;
      cursor = { key, rank: entry.rank };
      if (skipUnder && key.startsWith(skipUnder)) continue;
      const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const commonPrefix = at === -1 ? undefined : key.slice(0, at + delimiter.length);
      if (commonPrefix !== undefined && commonPrefix === prefixes[prefixes.length - 1]) continue;
      if (entries.length + prefixes.length >= maxKeys) {
        truncated = true;
        break scan;
      }
      if (commonPrefix !== undefined) {
        prefixes.push(commonPrefix);
        last = { key: commonPrefix };
      } else {
        entries.push(entry);
        last = { key, versionId: entry.kind === 'object' ? (entry.record.versionId ?? null) : entry.versionId };
      }
    }
    if (batch.length < BATCH) break;
  }
  const next =
    truncated && last
      ? el('NextKeyMarker', encode(last.key)) +
        (last.versionId !== undefined ? el('NextVersionIdMarker', last.versionId ?? 'null') : '')
      : '';
  const body =
    el('Name', bucket) +
    el('Prefix', encode(prefix)) +
    el('KeyMarker', encode(keyMarker)) +
    el('VersionIdMarker', q.get('version-id-marker') ?? '') +
    next +
    el('MaxKeys', maxKeys) +
    (delimiter ? el('Delimiter', encode(delimiter)) : '') +
    (q.get('encoding-type') ? el('EncodingType', 'url') : '') +
    el('IsTruncated', truncated) +
    entries.map((e) => versionXml(e, encode)).join('') +
    prefixesXml(prefixes, encode);
  send(request, 200, {}, document('ListVersionsResult', body));
}

function versionXml(entry: ListedVersion, encode: (s: string) => string): string {
  if (entry.kind === 'delete-marker') {
    return wrap(
      'DeleteMarker',
      el('Key', encode(entry.key)) +
        el('VersionId', entry.versionId ?? 'null') +
        el('IsLatest', entry.isLatest) +
        el('LastModified', entry.lastModified) +
        OWNER,
    );
  }
  const o = entry.record;
  const checksum = o.checksumAlgorithm
    ? el('ChecksumAlgorithm', o.checksumAlgorithm.toUpperCase()) + el('ChecksumType', o.checksumType)
    : '';
  return wrap(
    'Version',
    el('Key', encode(o.key)) +
      el('VersionId', o.versionId ?? 'null') +
      el('IsLatest', entry.isLatest) +
      el('LastModified', o.lastModified) +
      el('ETag', o.etag) +
      el('Size', o.size) +
      checksum +
      el('StorageClass', 'STANDARD') +
      OWNER,
  );
}
