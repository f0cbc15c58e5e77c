import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsError } from '../edge/errors.ts';
import { decodeUriOrThrow } from '../protocols/uri.ts';
import type { EdgeRequest } from '../edge/types.ts';
import type { ObjectRecord, StoredHeaders, VersioningStatus, VersionWrite } from '../state/s3-metadata.ts';
import { CHECKSUM_ALGORITHMS } from './checksums.ts';
import { checkAclHeaders } from './acl.ts';
import {
  httpDate,
  isoSeconds,
  noSuchBucket,
  removeBlobs,
  requireBucket,
  send,
  SSE_HEADERS,
  type S3Call,
  type S3Context,
} from './context.ts';
import { requestIdHeaders } from './errors.ts';
import { header, receiveBody, receiveSmallBody } from './ingest.ts';
import { copiedTags, taggingCountHeader, tagsFromHeader } from './tagging.ts';
import { parseVersionId, readableVersion, versionHeaders } from './versions.ts';
import { document, el, malformedXml, parseXmlBody, wrap } from './xml.ts';

type ObjectCall = S3Call & { bucket: string; key: string };

/** Standard headers S3 keeps with an object and returns on GET/HEAD. */
const STORED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
  'x-amz-website-redirect-location',
];
const RESPONSE_OVERRIDES = [
  'content-type',
  'content-language',
  'expires',
  'cache-control',
  'content-disposition',
  'content-encoding',
];
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/** Content headers and x-amz-meta-* of a PUT / CreateMultipartUpload / CopyObject (REPLACE). */
export function readObjectHeaders(request: EdgeRequest): { headers: StoredHeaders; metadata: Record<string, string> } {
  const headers: StoredHeaders = {};
  for (const name of STORED_HEADERS) {
    let value = header(request.req.headers, name);
    if (name === 'content-encoding' && value !== undefined) {
      value = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked')
        .join(', ');
    }
    if (value !== undefined && value !== '') headers[name] = value;
  }
  const metadata: Record<string, string> = {};
  const raw = request.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!name.startsWith('x-amz-meta-')) continue;
    const key = name.slice('x-amz-meta-'.length);
    metadata[key] = metadata[key] === undefined ? raw[i + 1] : `${metadata[key]},${raw[i + 1]}`;
  }
  if (
    Buffer.byteLength(
      Object.entries(metadata)
        .map(([k, v]) => k + v)
        .join(''),
    ) > 2048
  ) {
    throw new AwsError(400, 'MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', {
      MaxSizeAllowed: 2048,
    });
  }
  return { headers, metadata };
}

/** Streams the request body into a new blob; returns the committed blob id and what was received. */
export async function storeBody(ctx: S3Context, request: EdgeRequest) {
  const pending = ctx.blobs.createTemporary();
  try {
    const received = await receiveBody(request, pending.stream);
    const blobId = await pending.commit();
    return { blobId, received };
  } catch (err) {
    await pending.discard();
    throw err;
  }
}

export function quoteEtag(hex: string): string {
  return `"${hex}"`;
}

/**
 * `x-amz-version-id` of a write: the new version's id once versioning is enabled; none for a Suspended bucket's
 * null version (unconfirmed).
 */
export function writtenVersionHeaders(written: VersionWrite): Record<string, string> {
  return written.versionId ? { 'x-amz-version-id': written.versionId } : {};
}

/** Records a new object version, or removes its blob again when that fails (the bucket was deleted meanwhile). */
export async function commitObject(ctx: S3Context, record: ObjectRecord): Promise<VersionWrite> {
  let written: VersionWrite | null;
  try {
    written = ctx.meta.putObject(record);
  } catch (err) {
    await removeBlobs(ctx, [record.blobId]);
    throw err;
  }
  if (!written) {
    await removeBlobs(ctx, [record.blobId]);
    throw noSuchBucket(record.bucket);
  }
  await removeBlobs(ctx, written.unreferenced);
  return written;
}

export async function putObject(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  requireBucket(ctx, bucket);
  checkAclHeaders(request);
  const { headers, metadata } = readObjectHeaders(request);
  const tags = tagsFromHeader(header(request.req.headers, 'x-amz-tagging'));
  const { blobId, received } = await storeBody(ctx, request);
  const record: ObjectRecord = {
    bucket,
    key,
    blobId,
    size: received.size,
    etag: quoteEtag(received.md5.toString('hex')),
    lastModified: isoSeconds(),
    headers,
    metadata,
    checksumAlgorithm: received.checksum?.algorithm,
    checksumValue: received.checksum?.value,
    checksumType: received.checksum ? 'FULL_OBJECT' : undefined,
    tags,
  };
  const written = await commitObject(ctx, record);
  const out: Record<string, string> = { etag: record.etag, ...SSE_HEADERS, ...writtenVersionHeaders(written) };
  if (received.checksum) {
    out[`x-amz-checksum-${received.checksum.algorithm}`] = received.checksum.value;
    out['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  send(request, 200, out);
}

export async function getObject(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  const { versioning } = requireBucket(ctx, bucket);
  const record = readableVersion(ctx, bucket, key, parseVersionId(request.query), request);
  const headers = objectResponseHeaders(request, record, versioning);
  const notModified = checkConditions(request, record);
  if (notModified) {
    for (const name of Object.keys(headers)) if (NOT_MODIFIED_DROPS.test(name)) delete headers[name];
    return send(request, 304, headers);
  }
  const range = parseRange(header(request.req.headers, 'range'), record.size);
  // Opened synchronously right after reading the row (blobs.read): a concurrent overwrite unlinks the old file later.
  let status = 200;
  let stream;
  if (range) {
    status = 206;
    headers['content-range'] = `bytes ${range.start}-${range.end}/${record.size}`;
    headers['content-length'] = String(range.end - range.start + 1);
    for (const name of Object.keys(headers)) if (name.startsWith('x-amz-checksum-')) delete headers[name];
    stream = ctx.blobs.read(record.blobId, range);
  } else {
    stream = ctx.blobs.read(record.blobId);
  }
  if (request.method === 'HEAD' || record.size === 0) {
    stream.destroy();
    return send(request, status, headers);
  }
  request.res.writeHead(status, { ...requestIdHeaders(request), ...headers });
  await pipeline(stream, request.res).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') ctx.logger.debug({ err }, 'GetObject stream ended early');
  });
}

/** What a 304 leaves out: the content headers, and checksums (a client would validate them against no body). */
const NOT_MODIFIED_DROPS = /^(content-(type|length|encoding|disposition|language)|x-amz-checksum-.*)$/;

function objectResponseHeaders(
  request: EdgeRequest,
  record: ObjectRecord,
  versioning: VersioningStatus | null,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': DEFAULT_CONTENT_TYPE,
    ...record.headers,
    'content-length': String(record.size),
    etag: record.etag,
    'last-modified': httpDate(record.lastModified),
    'accept-ranges': 'bytes',
    ...SSE_HEADERS,
    ...versionHeaders(record.versionId ?? null, versioning),
    ...taggingCountHeader(record.tags),
  };
  for (const [name, value] of Object.entries(record.metadata)) headers[`x-amz-meta-${name}`] = value;
  if (record.partsCount) headers['x-amz-mp-parts-count'] = String(record.partsCount);
  const checksumMode = header(request.req.headers, 'x-amz-checksum-mode') ?? request.query.get('x-amz-checksum-mode');
  if (checksumMode?.toUpperCase() === 'ENABLED' && record.checksumAlgorithm && record.checksumValue) {
    headers[`x-amz-checksum-${record.checksumAlgorithm}`] = record.checksumValue;
    headers['x-amz-checksum-type'] = record.checksumType ?? 'FULL_OBJECT';
  }
  for (const name of RESPONSE_OVERRIDES) {
    const value = request.query.get(`response-${name}`);
    if (value !== null) headers[name] = value;
  }
  return headers;
}

/** Evaluates If-Match / If-None-Match / If-(Un)Modified-Since as S3 does; true means 304. */
function checkConditions(request: EdgeRequest, record: ObjectRecord): boolean {
  const h = request.req.headers;
  const ifMatch = header(h, 'if-match');
  const ifNoneMatch = header(h, 'if-none-match');
  const ifModifiedSince = parseHttpDate(header(h, 'if-modified-since'));
  const ifUnmodifiedSince = parseHttpDate(header(h, 'if-unmodified-since'));
  const modified = new Date(record.lastModified).getTime();
  const failed = () =>
    new AwsError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
      Condition: ifMatch !== undefined ? 'If-Match' : 'If-Unmodified-Since',
    });
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, record.etag)) throw failed();
  } else if (ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince) {
    throw failed();
  }
  if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, record.etag);
  return ifModifiedSince !== undefined && modified <= ifModifiedSince;
}

function etagMatches(condition: string, etag: string): boolean {
  return condition.split(',').some((c) => {
    const t = c.trim().replace(/^W\//, '');
    return t === '*' || t === etag || `"${t}"` === etag;
  });
}

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** A single `bytes=` range; malformed or multi-range headers are ignored (whole object), as S3 does. */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw invalidRange(value, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw invalidRange(value, size);
  return { start, end };
}

function invalidRange(requested: string, size: number): AwsError {
  return new AwsError(416, 'InvalidRange', 'The requested range is not satisfiable', {
    RangeRequested: requested,
    ActualObjectSize: size,
  });
}

interface DeleteOutcome {
  /** The version removed for good, when one was named. */
  versionId?: string | null;
  deleteMarker: boolean;
  /** The delete marker a versioned delete added, or the one a named delete removed. */
  deleteMarkerVersionId?: string | null;
}

/** Deletes a key (adding a delete marker once versioning is configured) or, with `versionId`, one version. */
async function deleteOne(
  ctx: S3Context,
  bucket: string,
  key: string,
  versionId: string | null | undefined,
): Promise<DeleteOutcome> {
  if (versionId !== undefined) {
    const removed = ctx.meta.deleteVersion(bucket, key, versionId);
    await removeBlobs(ctx, removed?.unreferenced ?? []);
    const deleteMarker = removed?.deleteMarker ?? false;
    return { versionId, deleteMarker, deleteMarkerVersionId: deleteMarker ? versionId : undefined };
  }
  const result = ctx.meta.deleteObject(bucket, key, isoSeconds());
  await removeBlobs(ctx, result.unreferenced);
  return {
    deleteMarker: result.deleteMarker,
    deleteMarkerVersionId: result.deleteMarker ? result.versionId : undefined,
  };
}

export async function deleteObject(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  requireBucket(ctx, bucket);
  const outcome = await deleteOne(ctx, bucket, key, parseVersionId(request.query));
  const headers: Record<string, string> = {};
  if (outcome.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  const shownVersion = outcome.versionId !== undefined ? outcome.versionId : outcome.deleteMarkerVersionId;
  if (shownVersion !== undefined) headers['x-amz-version-id'] = shownVersion ?? 'null';
  send(request, 204, headers);
}

export async function deleteObjects(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): Promise<void> {
  requireBucket(ctx, bucket);
  const h = request.req.headers;
  const hasDigest =
    h['content-md5'] !== undefined ||
    h['x-amz-trailer'] !== undefined ||
    CHECKSUM_ALGORITHMS.some((a) => h[`x-amz-checksum-${a}`] !== undefined);
  if (!hasDigest) throw new AwsError(400, 'InvalidRequest', 'Missing required header for this request: Content-MD5');
  const { body } = await receiveSmallBody(request, 2 * 1024 * 1024);
  const doc = parseXmlBody(body, 'Delete');
  const objects = (doc.Object ?? []) as Array<Record<string, unknown>>;
  if (objects.length === 0 || objects.length > 1000) throw malformedXml();
  const quiet = typeof doc.Quiet === 'string' && doc.Quiet.trim() === 'true';
  const entries = objects.map((o) => {
    if (typeof o.Key !== 'string' || (o.VersionId !== undefined && typeof o.VersionId !== 'string'))
      throw malformedXml();
    return { key: o.Key, versionId: o.VersionId };
  });
  let out = '';
  for (const entry of entries) {
    let versionId: string | null | undefined;
    try {
      versionId =
        entry.versionId === undefined ? undefined : parseVersionId(new URLSearchParams({ versionId: entry.versionId }));
    } catch {
      const message = 'The specified version does not exist.';
      out += wrap(
        'Error',
        el('Key', entry.key) + el('VersionId', entry.versionId) + el('Code', 'NoSuchVersion') + el('Message', message),
      );
      continue;
    }
    const outcome = await deleteOne(ctx, bucket, entry.key, versionId);
    if (quiet) continue;
    const marker = outcome.deleteMarker
      ? el('DeleteMarker', true) +
        el(
          'DeleteMarkerVersionId',
          outcome.deleteMarkerVersionId === undefined ? undefined : (outcome.deleteMarkerVersionId ?? 'null'),
        )
      : '';
    out += wrap('Deleted', el('Key', entry.key) + el('VersionId', entry.versionId) + marker);
  }
  send(request, 200, {}, document('DeleteResult', out));
}

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=...]`, URL-encoded. */
export function parseCopySource(value: string): { bucket: string; key: string; versionId?: string | null } {
  const versionAt = value.indexOf('?versionId=');
  const withoutVersion = versionAt === -1 ? value : value.slice(0, versionAt);
  const versionId = versionAt === -1 ? undefined : parseVersionId(new URLSearchParams(value.slice(versionAt + 1)));
  const decoded = decodeUriOrThrow(
    withoutVersion,
    () =>
      new AwsError(400, 'InvalidArgument', 'Invalid copy source encoding', {
        ArgumentName: 'x-amz-copy-source',
        ArgumentValue: value,
      }),
  );
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new AwsError(
      400,
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      { ArgumentName: 'x-amz-copy-source', ArgumentValue: value },
    );
  }
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1), versionId };
}

/** The object a copy reads: S3 refuses a source that names a delete marker by version id. */
export function copySourceRecord(
  ctx: S3Context,
  value: string,
): { record: ObjectRecord; versioning: VersioningStatus | null } {
  const src = parseCopySource(value);
  const { versioning } = requireBucket(ctx, src.bucket);
  if (
    src.versionId !== undefined &&
    ctx.meta.getVersion(src.bucket, src.key, src.versionId)?.kind === 'delete-marker'
  ) {
    throw new AwsError(
      400,
      'InvalidRequest',
      'The source of a copy request may not specifically refer to a delete marker by version id.',
    );
  }
  return { record: readableVersion(ctx, src.bucket, src.key, src.versionId), versioning };
}

/** Copies a blob into a new one, computing its MD5 on the way. */
export async function copyBlob(
  ctx: S3Context,
  blobId: string,
  range?: { start: number; end: number },
): Promise<{ blobId: string; md5: Buffer }> {
  const pending = ctx.blobs.createTemporary();
  const md5 = createHash('md5');
  try {
    const source = ctx.blobs.read(blobId, range);
    const hashing = new Transform({ transform: (chunk: Buffer, _e, cb) => (md5.update(chunk), cb(null, chunk)) });
    await pipeline(source, hashing, pending.stream);
    return { blobId: await pending.commit(), md5: md5.digest() };
  } catch (err) {
    await pending.discard();
    throw err;
  }
}

export async function copyObject(ctx: S3Context, call: ObjectCall): Promise<void> {
  const { request, bucket, key } = call;
  requireBucket(ctx, bucket);
  checkAclHeaders(request);
  const copySource = header(request.req.headers, 'x-amz-copy-source')!;
  const src = parseCopySource(copySource);
  const { record: source, versioning: sourceVersioning } = copySourceRecord(ctx, copySource);
  const tags = copiedTags(call, source.tags);
  const directive = (header(request.req.headers, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new AwsError(400, 'InvalidArgument', 'Unknown metadata directive.', {
      ArgumentName: 'x-amz-metadata-directive',
      ArgumentValue: directive,
    });
  }
  if (src.bucket === bucket && src.key === key && directive === 'COPY' && src.versionId === undefined) {
    throw new AwsError(
      400,
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const { headers, metadata } =
    directive === 'REPLACE' ? readObjectHeaders(request) : { headers: source.headers, metadata: source.metadata };
  const copied = await copyBlob(ctx, source.blobId);
  const keepsChecksum = source.checksumType === 'FULL_OBJECT';
  const record: ObjectRecord = {
    bucket,
    key,
    blobId: copied.blobId,
    size: source.size,
    etag: quoteEtag(copied.md5.toString('hex')),
    lastModified: isoSeconds(),
    headers,
    metadata,
    checksumAlgorithm: keepsChecksum ? source.checksumAlgorithm : undefined,
    checksumValue: keepsChecksum ? source.checksumValue : undefined,
    checksumType: keepsChecksum ? 'FULL_OBJECT' : undefined,
    tags,
  };
  const written = await commitObject(ctx, record);
  const checksum = record.checksumAlgorithm
    ? el(`Checksum${record.checksumAlgorithm.toUpperCase()}`, record.checksumValue)
    : '';
  const out = {
    ...SSE_HEADERS,
    ...writtenVersionHeaders(written),
    ...copySourceVersionHeader(source, sourceVersioning),
  };
  send(
    request,
    200,
    out,
    document('CopyObjectResult', el('LastModified', record.lastModified) + el('ETag', record.etag) + checksum),
  );
}

/** `x-amz-copy-source-version-id` of CopyObject / UploadPartCopy once the source bucket has a versioning state. */
export function copySourceVersionHeader(
  source: ObjectRecord,
  versioning: VersioningStatus | null,
): Record<string, string> {
  const header = versionHeaders(source.versionId ?? null, versioning)['x-amz-version-id'];
  return header === undefined ? {} : { 'x-amz-copy-source-version-id': header };
}
