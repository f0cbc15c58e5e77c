import { createHash, randomBytes } from 'node:crypto';
import { AwsError } from '../edge/errors.ts';
import type { ObjectRecord, PartRecord, UploadRecord } from '../state/s3-metadata.ts';
import {
  checksumElement,
  compositeChecksum,
  createChecksummer,
  parseAlgorithm,
  type ChecksumAlgorithm,
} from './checksums.ts';
import {
  isoSeconds,
  noSuchBucket,
  removeBlobs,
  requireBucket,
  send,
  SSE_HEADERS,
  type S3Call,
  type S3Context,
} from './context.ts';
import { header, receiveSmallBody } from './ingest.ts';
import { checkAclHeaders } from './acl.ts';
import {
  copyBlob,
  copySourceRecord,
  copySourceVersionHeader,
  parseRange,
  quoteEtag,
  readObjectHeaders,
  storeBody,
  writtenVersionHeaders,
} from './objects.ts';
import { tagsFromHeader } from './tagging.ts';
import { encoder, parseMaxCount, prefixesXml } from './listing.ts';
import { document, el, parseXmlBody, wrap } from './xml.ts';

type ObjectCall = S3Call & { bucket: string; key: string };

/** Request headers of CreateMultipartUpload kept with the upload but not with the object. */
const UPLOAD_ONLY_HEADERS = ['x-amz-checksum-type', 'x-amz-tagging'];
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10000;

function noSuchUpload(uploadId: string): AwsError {
  return new AwsError(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId },
  );
}

function requireUpload(ctx: S3Context, bucket: string, key: string, uploadId: string): UploadRecord {
  requireBucket(ctx, bucket);
  const upload = ctx.meta.getUpload(uploadId);
  if (!upload || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload(uploadId);
  return upload;
}

function checksumType(upload: UploadRecord): 'COMPOSITE' | 'FULL_OBJECT' {
  return upload.headers['x-amz-checksum-type'] === 'FULL_OBJECT' || upload.checksumAlgorithm === 'crc64nvme'
    ? 'FULL_OBJECT'
    : 'COMPOSITE';
}

export function createMultipartUpload(ctx: S3Context, { request, bucket, key }: ObjectCall): void {
  requireBucket(ctx, bucket);
  checkAclHeaders(request);
  const { headers, metadata } = readObjectHeaders(request);
  // Kept with the upload's headers until completion, like x-amz-checksum-type.
  const tagging = header(request.req.headers, 'x-amz-tagging');
  if (tagsFromHeader(tagging)?.length) headers['x-amz-tagging'] = tagging!;
  const algorithm = parseAlgorithm(header(request.req.headers, 'x-amz-checksum-algorithm'));
  const type = header(request.req.headers, 'x-amz-checksum-type')?.toUpperCase();
  if (type !== undefined && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') {
    throw new AwsError(400, 'InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
  }
  if (type) headers['x-amz-checksum-type'] = type;
  const uploadId = randomBytes(24).toString('base64url');
  ctx.meta.createUpload({
    uploadId,
    bucket,
    key,
    initiated: new Date().toISOString(),
    headers,
    metadata,
    checksumAlgorithm: algorithm,
  });
  const out: Record<string, string> = { ...SSE_HEADERS };
  if (algorithm) out['x-amz-checksum-algorithm'] = algorithm.toUpperCase();
  send(
    request,
    200,
    out,
    document('InitiateMultipartUploadResult', el('Bucket', bucket) + el('Key', key) + el('UploadId', uploadId)),
  );
}

function parsePartNumber(value: string | null): number {
  if (value === null || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_PART_NUMBER) {
    throw new AwsError(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
      ArgumentName: 'partNumber',
      ArgumentValue: value ?? '',
    });
  }
  return Number(value);
}

export async function uploadPart(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  const uploadId = request.query.get('uploadId')!;
  const partNumber = parsePartNumber(request.query.get('partNumber'));
  const upload = requireUpload(ctx, bucket, key, uploadId);
  const copySource = header(request.req.headers, 'x-amz-copy-source');
  let part: PartRecord;
  let responseHeaders: Record<string, string> = {};
  if (copySource !== undefined) {
    const { record: source, versioning } = copySourceRecord(ctx, copySource);
    responseHeaders = copySourceVersionHeader(source, versioning);
    const rangeHeader = header(request.req.headers, 'x-amz-copy-source-range');
    const range = rangeHeader ? parseRange(rangeHeader, source.size) : undefined;
    const copied = await copyBlob(ctx, source.blobId, range);
    const size = range ? range.end - range.start + 1 : source.size;
    part = {
      uploadId,
      partNumber,
      blobId: copied.blobId,
      size,
      etag: quoteEtag(copied.md5.toString('hex')),
      lastModified: isoSeconds(),
    };
  } else {
    const { blobId, received } = await storeBody(ctx, request);
    if (upload.checksumAlgorithm && received.checksum && received.checksum.algorithm !== upload.checksumAlgorithm) {
      await removeBlobs(ctx, [blobId]);
      throw new AwsError(
        400,
        'InvalidRequest',
        `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm}, actual checksum Type: ${received.checksum.algorithm}`,
      );
    }
    part = {
      uploadId,
      partNumber,
      blobId,
      size: received.size,
      etag: quoteEtag(received.md5.toString('hex')),
      checksumValue: received.checksum?.value,
      lastModified: isoSeconds(),
    };
    if (received.checksum)
      responseHeaders = { [`x-amz-checksum-${received.checksum.algorithm}`]: received.checksum.value };
  }
  const replaced = ctx.meta.putPart(part);
  if (replaced === null) {
    await removeBlobs(ctx, [part.blobId]);
    throw noSuchUpload(uploadId);
  }
  await removeBlobs(ctx, [replaced]);
  if (copySource !== undefined) {
    send(
      request,
      200,
      responseHeaders,
      document('CopyPartResult', el('LastModified', part.lastModified) + el('ETag', part.etag)),
    );
  } else {
    send(request, 200, { etag: part.etag, ...responseHeaders });
  }
}

const normalizeEtag = (etag: string) => `"${etag.trim().replace(/^"|"$/g, '')}"`;

export async function completeMultipartUpload(
  ctx: S3Context,
  { request, bucket, key }: ObjectCall,
  publicUrl: string,
): Promise<void> {
  const uploadId = request.query.get('uploadId')!;
  const upload = requireUpload(ctx, bucket, key, uploadId);
  const { body } = await receiveSmallBody(request, 4 * 1024 * 1024);
  const doc = parseXmlBody(body, 'CompleteMultipartUpload');
  const requested = ((doc.Part ?? []) as Array<Record<string, unknown>>).map((p) => ({
    partNumber: Number(p.PartNumber),
    etag: typeof p.ETag === 'string' ? normalizeEtag(p.ETag) : '',
    checksum: upload.checksumAlgorithm
      ? (p[checksumElement(upload.checksumAlgorithm as ChecksumAlgorithm)] as string | undefined)
      : undefined,
  }));
  if (requested.length === 0 || requested.some((p) => !Number.isInteger(p.partNumber))) {
    throw new AwsError(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
  const stored = new Map(ctx.meta.listParts(uploadId).map((p) => [p.partNumber, p]));
  const parts: PartRecord[] = [];
  if (requested.some((p, i) => i > 0 && p.partNumber <= requested[i - 1].partNumber)) {
    throw new AwsError(
      400,
      'InvalidPartOrder',
      'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      { UploadId: uploadId },
    );
  }
  for (const [i, p] of requested.entries()) {
    const part = stored.get(p.partNumber);
    if (
      !part ||
      part.etag !== p.etag ||
      (p.checksum !== undefined && part.checksumValue !== undefined && p.checksum !== part.checksumValue)
    ) {
      throw new AwsError(
        400,
        'InvalidPart',
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
        {
          UploadId: uploadId,
          PartNumber: p.partNumber,
          ETag: p.etag,
        },
      );
    }
    if (i < requested.length - 1 && part.size < MIN_PART_SIZE) {
      throw new AwsError(
        400,
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
        {
          ProposedSize: part.size,
          MinSizeAllowed: MIN_PART_SIZE,
          PartNumber: part.partNumber,
          ETag: part.etag,
        },
      );
    }
    parts.push(part);
  }

  const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
  const type = checksumType(upload);
  const fullChecksum = algorithm && type === 'FULL_OBJECT' ? createChecksummer(algorithm) : undefined;
  const pending = ctx.blobs.createTemporary();
  let blobId: string;
  try {
    for (const part of parts) {
      const source = ctx.blobs.read(part.blobId);
      for await (const chunk of source) {
        fullChecksum?.update(chunk as Buffer);
        if (!pending.stream.write(chunk)) await new Promise((resolve) => pending.stream.once('drain', resolve));
      }
    }
    blobId = await pending.commit();
  } catch (err) {
    await pending.discard();
    throw err;
  }

  let checksumValue: string | undefined;
  if (fullChecksum) checksumValue = await fullChecksum.digest();
  else if (algorithm && parts.every((p) => p.checksumValue))
    checksumValue = await compositeChecksum(
      algorithm,
      parts.map((p) => p.checksumValue!),
    );
  const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.etag.slice(1, -1), 'hex')));
  const record: ObjectRecord = {
    bucket,
    key,
    blobId,
    size: parts.reduce((n, p) => n + p.size, 0),
    etag: `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`,
    lastModified: isoSeconds(),
    headers: Object.fromEntries(Object.entries(upload.headers).filter(([name]) => !UPLOAD_ONLY_HEADERS.includes(name))),
    metadata: upload.metadata,
    checksumAlgorithm: checksumValue ? algorithm : undefined,
    checksumValue,
    checksumType: checksumValue ? type : undefined,
    partsCount: parts.length,
    tags: tagsFromHeader(upload.headers['x-amz-tagging']),
  };
  const written = ctx.meta.completeUpload(uploadId, record);
  if (written === null) {
    await removeBlobs(ctx, [blobId]);
    throw ctx.meta.getBucket(bucket) ? noSuchUpload(uploadId) : noSuchBucket(bucket);
  }
  await removeBlobs(ctx, [...written.unreferenced, ...[...stored.values()].map((p) => p.blobId)]);
  const location = `${publicUrl}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const checksum = checksumValue ? el(checksumElement(algorithm!), checksumValue) + el('ChecksumType', type) : '';
  send(
    request,
    200,
    { ...SSE_HEADERS, ...writtenVersionHeaders(written) },
    document(
      'CompleteMultipartUploadResult',
      el('Location', location) + el('Bucket', bucket) + el('Key', key) + el('ETag', record.etag) + checksum,
    ),
  );
}

export async function abortMultipartUpload(ctx: S3Context, { request, bucket, key }: ObjectCall): Promise<void> {
  const uploadId = request.query.get('uploadId')!;
  requireUpload(ctx, bucket, key, uploadId);
  await removeBlobs(ctx, ctx.meta.deleteUpload(uploadId));
  send(request, 204);
}

export function listParts(ctx: S3Context, { request, bucket, key }: ObjectCall): void {
  const uploadId = request.query.get('uploadId')!;
  const upload = requireUpload(ctx, bucket, key, uploadId);
  const marker = Number(request.query.get('part-number-marker') ?? 0) || 0;
  const maxParts = Math.min(Number(request.query.get('max-parts') ?? 1000) || 1000, 1000);
  const all = ctx.meta.listParts(uploadId).filter((p) => p.partNumber > marker);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
  const partsXml = page
    .map((p) =>
      wrap(
        'Part',
        el('PartNumber', p.partNumber) +
          el('LastModified', p.lastModified) +
          el('ETag', p.etag) +
          el('Size', p.size) +
          (algorithm && p.checksumValue ? el(checksumElement(algorithm), p.checksumValue) : ''),
      ),
    )
    .join('');
  const body =
    el('Bucket', bucket) +
    el('Key', key) +
    el('UploadId', uploadId) +
    el('PartNumberMarker', marker) +
    (truncated ? el('NextPartNumberMarker', page[page.length - 1].partNumber) : '') +
    el('MaxParts', maxParts) +
    el('IsTruncated', truncated) +
    (algorithm ? el('ChecksumAlgorithm', algorithm.toUpperCase()) : '') +
    el('StorageClass', 'STANDARD') +
    partsXml;
  send(request, 200, {}, document('ListPartsResult', body));
}

/**
 * Uploads in key order, then initiation order; `key-marker` (with `upload-id-marker`, the uploads of that key after
 * the one named) says where a page starts; `delimiter` groups keys into common prefixes as in ListObjects.
 */
export function listMultipartUploads(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  requireBucket(ctx, bucket);
  const q = request.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = keyMarker ? (q.get('upload-id-marker') ?? '') : '';
  const maxUploads = parseMaxCount(q.get('max-uploads'), 'max-uploads');
  const encode = encoder(q.get('encoding-type'));
  const all = ctx.meta.listUploads(bucket);
  const markerAt = uploadIdMarker ? all.findIndex((u) => u.key === keyMarker && u.uploadId === uploadIdMarker) : -1;
  const afterMarker = (u: UploadRecord, i: number) =>
    u.key > keyMarker ||
    (u.key === keyMarker && uploadIdMarker !== '' && (markerAt === -1 ? u.uploadId > uploadIdMarker : i > markerAt));
  // Resuming after a common prefix (NextKeyMarker of a grouped page) skips every key under it.
  const skipUnder = delimiter && keyMarker.endsWith(delimiter) && keyMarker.startsWith(prefix) ? keyMarker : undefined;
  const uploads: UploadRecord[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let next: { key: string; uploadId?: string } | undefined;
  for (const [i, upload] of all.entries()) {
    if (
      !upload.key.startsWith(prefix) ||
      (keyMarker && !afterMarker(upload, i)) ||
      (skipUnder && upload.key.startsWith(skipUnder))
    )
      continue;
    const at = delimiter ? upload.key.indexOf(delimiter, prefix.length) : -1;
    const commonPrefix = at === -1 ? undefined : upload.key.slice(0, at + delimiter.length);
    if (commonPrefix !== undefined && commonPrefix === prefixes[prefixes.length - 1]) continue;
    if (uploads.length + prefixes.length >= maxUploads) {
      truncated = true;
      break;
    }
    if (commonPrefix !== undefined) {
      prefixes.push(commonPrefix);
      next = { key: commonPrefix };
    } else {
      uploads.push(upload);
      next = { key: upload.key, uploadId: upload.uploadId };
    }
  }
  const uploadsXml = uploads
    .map((u) =>
      wrap(
        'Upload',
        el('Key', encode(u.key)) +
          el('UploadId', u.uploadId) +
          el('Initiated', u.initiated) +
          el('StorageClass', 'STANDARD'),
      ),
    )
    .join('');
  const body =
    el('Bucket', bucket) +
    el('KeyMarker', encode(keyMarker)) +
    el('UploadIdMarker', uploadIdMarker) +
    (truncated && next ? el('NextKeyMarker', encode(next.key)) + el('NextUploadIdMarker', next.uploadId ?? '') : '') +
    el('Prefix', encode(prefix)) +
    (delimiter ? el('Delimiter', encode(delimiter)) : '') +
    el('MaxUploads', maxUploads) +
    (q.get('encoding-type') ? el('EncodingType', 'url') : '') +
    el('IsTruncated', truncated) +
    uploadsXml +
    prefixesXml(prefixes, encode);
  send(request, 200, {}, document('ListMultipartUploadsResult', body));
}
