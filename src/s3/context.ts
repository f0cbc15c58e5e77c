import type { ServerResponse } from 'node:http';
import type { Logger } from '../config/logger.ts';
import type { BlobStore } from '../state/blobs.ts';
import type { S3Metadata, BucketRow } from '../state/s3-metadata.ts';
import type { EdgeRequest } from '../edge/types.ts';
import { AwsError } from '../edge/errors.ts';
import { requestIdHeaders } from './errors.ts';

export interface S3Context {
  meta: S3Metadata;
  blobs: BlobStore;
  region: string;
  logger: Logger;
}

/** The parsed request a handler works on. */
export interface S3Call {
  request: EdgeRequest;
  bucket?: string;
  key?: string;
}

export function requireBucket(ctx: S3Context, bucket: string): BucketRow {
  const row = ctx.meta.getBucket(bucket);
  if (!row) throw noSuchBucket(bucket);
  return row;
}

/** Objects are encrypted at rest with S3-managed keys, as S3 does by default, and say so. */
export const SSE_HEADERS: Readonly<Record<string, string>> = { 'x-amz-server-side-encryption': 'AES256' };

export function noSuchBucket(bucket: string): AwsError {
  return new AwsError(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
}

export function noSuchKey(key: string): AwsError {
  return new AwsError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
}

/** Sends a response with the request-id headers; a string body is sent as XML. */
export function send(
  request: EdgeRequest,
  status: number,
  headers: Record<string, string | number> = {},
  body?: string,
): void {
  const res: ServerResponse = request.res;
  const all: Record<string, string | number> = { ...requestIdHeaders(request), ...headers };
  if (body !== undefined) {
    all['content-type'] ??= 'application/xml';
    all['content-length'] = Buffer.byteLength(body);
  } else if (all['content-length'] === undefined && status !== 304 && status !== 204) {
    all['content-length'] = 0;
  }
  res.writeHead(status, all);
  res.end(request.method === 'HEAD' ? undefined : body);
}

/** Removes blob files that no metadata row references any more; a failure only leaves garbage behind. */
export async function removeBlobs(ctx: S3Context, ids: Array<string | undefined | null>): Promise<void> {
  for (const id of ids) {
    if (!id) continue;
    await ctx.blobs
      .remove(id)
      .catch((err: unknown) => ctx.logger.warn({ err, id }, 'could not remove an unreferenced blob'));
  }
}

export function isoSeconds(date = new Date()): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}
