import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsError } from '../edge/errors.ts';
import { decodeUriOrThrow } from '../protocols/uri.ts';
import type { EdgeRequest } from '../edge/types.ts';
import type { ObjectRecord, StoredHeaders } from '../state/s3-metadata.ts';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from './checksums.ts';
import { httpDate, isoSeconds, noSuchKey, removeBlobs, requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { requestIdHeaders } from './errors.ts';
import { header, receiveBody, receiveSmallBody } from './ingest.ts';
import { document, el, parseXmlBody, wrap } from './xml.ts';

type ObjectCall = S3Call & { bucket: string; key: string };

/** Standard headers S3 keeps with an object and returns on GET/HEAD. */
const STORED_HEADERS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires', 'x-amz-website-redirect-location'];
const RESPONSE_OVERRIDES = ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding'];
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/** Content headers and x-amz-meta-* of a PUT / CreateMultipartUpload / CopyObject (REPLACE). */
export function readObjectHeaders(request: EdgeRequest): { headers: StoredHeaders; metadata: Record<string, string> } {
  const headers: StoredHeaders = {};
  for (const name of STORED_HEADERS) {
    let value = header(request.req.headers, name);
    if (name === 'content-encoding' && value !== undefined) {
      value = value.split(',').map((s) => s.trim()).filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked').join(', ');
    }
    if (value !== undefined && value !== '') headers[name] = value;
  }
  const metadata: Record<string, string> = {};
  const raw = request.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!name.startsWith('x-amz-meta-')) continue;
    const key = name.slice('x-amz-meta-'.length);
    metadata[key] = metadata[key] === undefined ? raw[i + 1]! : `${metadata[key]},${raw[i + 1]}`;
  }
  if (Buffer.byteLength(Object.entries(metadata).map(([k, v]) => k + v).join('')) > 2048) {
    throw new AwsError(400, 'MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', { MaxSizeAllowed: 2048 });
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

export async function putObject(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  requireBucket(ctx, bucket);
  const { headers, metadata } = readObjectHeaders(request);
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
  };
  let replaced: string | undefined;
  try {
    if (!ctx.meta.getBucket(bucket)) throw new AwsError(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
    replaced = ctx.meta.putObject(record);
  } catch (err) {
    await removeBlobs(ctx, [blobId]);
    throw err;
  }
  await removeBlobs(ctx, [replaced]);
  const out: Record<string, string> = { etag: record.etag };
  if (received.checksum) {
    out[`x-amz-checksum-${received.checksum.algorithm}`] = received.checksum.value;
    out['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  send(request, 200, out);
}

export function getObjectRecord(ctx: S3Context, bucket: string, key: string): ObjectRecord {
  requireBucket(ctx, bucket);
  const record = ctx.meta.getObject(bucket, key);
  if (!record) throw noSuchKey(key);
  return record;
}

export async function getObject(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  const record = getObjectRecord(ctx, bucket, key);
  const headers = objectResponseHeaders(request, record);
  const notModified = checkConditions(request, record);
  if (notModified) {
    for (const name of ['content-type', 'content-length', 'content-encoding', 'content-disposition', 'content-language']) delete headers[name];
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

function objectResponseHeaders(request: EdgeRequest, record: ObjectRecord): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': DEFAULT_CONTENT_TYPE,
    ...record.headers,
    'content-length': String(record.size),
    etag: record.etag,
    'last-modified': httpDate(record.lastModified),
    'accept-ranges': 'bytes',
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
  const failed = () => new AwsError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: ifMatch !== undefined ? 'If-Match' : 'If-Unmodified-Since' });
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
  return new AwsError(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: requested, ActualObjectSize: size });
}

export async function deleteObject(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  requireBucket(ctx, bucket);
  await removeBlobs(ctx, [ctx.meta.deleteObject(bucket, key)]);
  send(request, 204);
}

export async function deleteObjects(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): Promise<void> {
  requireBucket(ctx, bucket);
  const h = request.req.headers;
  const hasDigest = h['content-md5'] !== undefined || h['x-amz-trailer'] !== undefined || CHECKSUM_ALGORITHMS.some((a) => h[`x-amz-checksum-${a}`] !== undefined);
  if (!hasDigest) throw new AwsError(400, 'InvalidRequest', 'Missing required header for this request: Content-MD5');
  const { body } = await receiveSmallBody(request, 2 * 1024 * 1024);
  const doc = parseXmlBody(body, 'Delete');
  const objects = (doc.Object ?? []) as Array<Record<string, unknown>>;
  if (objects.length === 0 || objects.length > 1000) throw new AwsError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  const quiet = String(doc.Quiet ?? 'false').trim() === 'true';
  const keys = objects.map((o) => {
    if (typeof o.Key !== 'string') throw new AwsError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
    return o.Key;
  });
  let out = '';
  for (const key of keys) {
    await removeBlobs(ctx, [ctx.meta.deleteObject(bucket, key)]);
    if (!quiet) out += wrap('Deleted', el('Key', key));
  }
  send(request, 200, {}, document('DeleteResult', out));
}

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=...]`, URL-encoded. */
function parseCopySource(value: string): { bucket: string; key: string } {
  const withoutVersion = value.replace(/\?versionId=.*$/, '');
  const decoded = decodeUriOrThrow(withoutVersion, () =>
    new AwsError(400, 'InvalidArgument', 'Invalid copy source encoding', {
      ArgumentName: 'x-amz-copy-source',
      ArgumentValue: value,
    }),
  );
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new AwsError(400, 'InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: value });
  }
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

/** Copies a blob into a new one, computing its MD5 on the way. */
export async function copyBlob(ctx: S3Context, blobId: string, range?: { start: number; end: number }): Promise<{ blobId: string; md5: Buffer }> {
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

export async function copyObject(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  requireBucket(ctx, bucket);
  const src = parseCopySource(header(request.req.headers, 'x-amz-copy-source')!);
  const source = getObjectRecord(ctx, src.bucket, src.key);
  const directive = (header(request.req.headers, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new AwsError(400, 'InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  if (src.bucket === bucket && src.key === key && directive === 'COPY') {
    throw new AwsError(400, 'InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  const { headers, metadata } = directive === 'REPLACE' ? readObjectHeaders(request) : { headers: source.headers, metadata: source.metadata };
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
    checksumAlgorithm: keepsChecksum ? (source.checksumAlgorithm as ChecksumAlgorithm) : undefined,
    checksumValue: keepsChecksum ? source.checksumValue : undefined,
    checksumType: keepsChecksum ? 'FULL_OBJECT' : undefined,
  };
  const replaced = ctx.meta.putObject(record);
  await removeBlobs(ctx, [replaced]);
  const checksum = record.checksumAlgorithm ? el(`Checksum${record.checksumAlgorithm.toUpperCase()}`, record.checksumValue) : '';
  send(request, 200, {}, document('CopyObjectResult', el('LastModified', record.lastModified) + el('ETag', record.etag) + checksum));
}
