import type { Readable } from 'node:stream';
import { requireBucket, type S3Context } from './context.ts';
import { parseVersionId, readableVersion } from './versions.ts';

/** An object's size and a stream of its bytes. */
export interface ObjectContent {
  size: number;
  body: Readable;
}

/**
 * Opens an object (the version `versionId` names, "null" for the null version) as GetObject reads it, for other
 * services of the edge; a missing bucket, key or version throws S3's error (NoSuchBucket, NoSuchKey, ...).
 */
export function openObject(ctx: S3Context, bucket: string, key: string, versionId?: string): ObjectContent {
  requireBucket(ctx, bucket);
  const query = new URLSearchParams(versionId === undefined ? {} : { versionId });
  const record = readableVersion(ctx, bucket, key, parseVersionId(query));
  return { size: record.size, body: ctx.blobs.read(record.blobId) };
}
