import { AwsError } from '../edge/errors.ts';
import type { Tags } from '../state/s3-metadata.ts';
import { requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { header, receiveSmallBody } from './ingest.ts';
import { parseVersionId, versionHeaders } from './versions.ts';
import { document, el, malformedXml, parseXmlBody, wrap } from './xml.ts';

type BucketCall = S3Call & { bucket: string };
type ObjectCall = BucketCall & { key: string };

const MAX_OBJECT_TAGS = 10;
const MAX_BUCKET_TAGS = 50;

function invalidTag(message: string): AwsError {
  return new AwsError(400, 'InvalidTag', message);
}

/** Checks a tag set as S3 does: unique keys of 1–128 characters, values of at most 256, a bounded count. */
export function validateTags(tags: Tags, scope: 'object' | 'bucket'): Tags {
  const max = scope === 'object' ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS;
  if (tags.length > max) {
    throw new AwsError(
      400,
      scope === 'object' ? 'BadRequest' : 'InvalidTag',
      `${scope === 'object' ? 'Object' : 'Bucket'} tags cannot be greater than ${max}`,
    );
  }
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    if (key.length === 0) throw invalidTag('The TagKey you have provided is invalid');
    if ([...key].length > 128) throw invalidTag('The TagKey you have provided is too long, max 128');
    if ([...value].length > 256) throw invalidTag('The TagValue you have provided is too long, max 256');
    if (key.startsWith('aws:')) throw invalidTag('System tags cannot be added/updated by requester');
    if (seen.has(key)) throw invalidTag('Cannot provide multiple Tags with the same key');
    seen.add(key);
  }
  return tags;
}

/** The `x-amz-tagging` header of PutObject / CreateMultipartUpload / CopyObject: `k1=v1&k2=v2`, URL-encoded. */
export function tagsFromHeader(value: string | undefined): Tags | undefined {
  if (value === undefined) return undefined;
  return validateTags([...new URLSearchParams(value).entries()], 'object');
}

/** The tags of a `<Tagging><TagSet><Tag>` document. */
export async function readTagging(call: BucketCall, scope: 'object' | 'bucket'): Promise<Tags> {
  const { body } = await receiveSmallBody(call.request, 64 * 1024);
  const tagSet = parseXmlBody(body, 'Tagging').TagSet;
  if (tagSet === undefined) throw malformedXml();
  const raw = typeof tagSet === 'object' && tagSet !== null ? ((tagSet as Record<string, unknown>).Tag ?? []) : [];
  const tags = (raw as Array<Record<string, unknown>>).map((t): [string, string] => {
    if (typeof t.Key !== 'string' || (t.Value !== undefined && typeof t.Value !== 'string')) throw malformedXml();
    return [t.Key, t.Value ?? ''];
  });
  return validateTags(tags, scope);
}

export function taggingDocument(tags: Tags): string {
  const inner = tags.map(([key, value]) => wrap('Tag', el('Key', key) + el('Value', value))).join('');
  return document('Tagging', wrap('TagSet', inner));
}

function requireTagTarget(
  ctx: S3Context,
  call: ObjectCall,
  tags: Tags | undefined,
  versionId: string | null | undefined,
) {
  const result = ctx.meta.setObjectTags(call.bucket, call.key, versionId, tags);
  if (result === 'no-version') {
    if (versionId === undefined)
      throw new AwsError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: call.key });
    throw new AwsError(404, 'NoSuchVersion', 'The specified version does not exist.', {
      Key: call.key,
      VersionId: versionId ?? 'null',
    });
  }
  if (result === 'delete-marker') {
    throw new AwsError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      Method: call.request.method,
      ResourceType: 'DeleteMarker',
    });
  }
}

export async function putObjectTagging(ctx: S3Context, call: ObjectCall): Promise<void> {
  const bucket = requireBucket(ctx, call.bucket);
  const versionId = parseVersionId(call.request.query);
  const tags = await readTagging(call, 'object');
  requireTagTarget(ctx, call, tags, versionId);
  send(
    call.request,
    200,
    versionHeaders(versionId ?? ctx.meta.getObject(call.bucket, call.key)?.versionId ?? null, bucket.versioning),
  );
}

export function getObjectTagging(ctx: S3Context, call: ObjectCall): void {
  const bucket = requireBucket(ctx, call.bucket);
  const versionId = parseVersionId(call.request.query);
  const found = versionId === undefined ? ctx.meta.getObject(call.bucket, call.key) : undefined;
  const version = versionId === undefined ? undefined : ctx.meta.getVersion(call.bucket, call.key, versionId);
  if (version?.kind === 'delete-marker') requireTagTarget(ctx, call, undefined, versionId);
  const record = found ?? (version?.kind === 'object' ? version.record : undefined);
  if (!record) {
    if (versionId === undefined)
      throw new AwsError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: call.key });
    throw new AwsError(404, 'NoSuchVersion', 'The specified version does not exist.', {
      Key: call.key,
      VersionId: versionId ?? 'null',
    });
  }
  send(
    call.request,
    200,
    versionHeaders(record.versionId ?? null, bucket.versioning),
    taggingDocument(record.tags ?? []),
  );
}

export function deleteObjectTagging(ctx: S3Context, call: ObjectCall): void {
  const bucket = requireBucket(ctx, call.bucket);
  const versionId = parseVersionId(call.request.query);
  requireTagTarget(ctx, call, undefined, versionId);
  send(
    call.request,
    204,
    versionHeaders(versionId ?? ctx.meta.getObject(call.bucket, call.key)?.versionId ?? null, bucket.versioning),
  );
}

export async function putBucketTagging(ctx: S3Context, call: BucketCall): Promise<void> {
  requireBucket(ctx, call.bucket);
  const tags = await readTagging(call, 'bucket');
  ctx.meta.setBucketSetting(call.bucket, 'tagging', JSON.stringify(tags));
  send(call.request, 204);
}

export function getBucketTagging(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  const stored = ctx.meta.getBucketSetting(call.bucket, 'tagging');
  if (stored === undefined)
    throw new AwsError(404, 'NoSuchTagSet', 'The TagSet does not exist', { BucketName: call.bucket });
  send(call.request, 200, {}, taggingDocument(JSON.parse(stored) as Tags));
}

export function deleteBucketTagging(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  ctx.meta.setBucketSetting(call.bucket, 'tagging', undefined);
  send(call.request, 204);
}

/** `x-amz-tagging-count` for GET/HEAD. */
export function taggingCountHeader(tags: Tags | undefined): Record<string, string> {
  return tags?.length ? { 'x-amz-tagging-count': String(tags.length) } : {};
}

/** The tags a copy gets: the source's (COPY, the default) or the request's `x-amz-tagging` (REPLACE). */
export function copiedTags(call: S3Call, sourceTags: Tags | undefined): Tags | undefined {
  const directive = (header(call.request.req.headers, 'x-amz-tagging-directive') ?? 'COPY').toUpperCase();
  if (directive === 'COPY') return sourceTags;
  if (directive === 'REPLACE') return tagsFromHeader(header(call.request.req.headers, 'x-amz-tagging'));
  throw new AwsError(400, 'InvalidArgument', 'Unknown tagging directive.', {
    ArgumentName: 'x-amz-tagging-directive',
    ArgumentValue: directive,
  });
}
