import { AwsError } from '../edge/errors.ts';
import type { Logger } from '../config/logger.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService } from '../edge/types.ts';
import type { BlobStore } from '../state/blobs.ts';
import type { S3Metadata } from '../state/s3-metadata.ts';
import { resolveTarget } from './addressing.ts';
import { createBucket, deleteBucket, getBucketLocation, getBucketVersioning, headBucket, listBuckets } from './buckets.ts';
import type { S3Call, S3Context } from './context.ts';
import { applyCorsHeaders, deleteBucketCors, getBucketCors, preflight, putBucketCors } from './cors.ts';
import { requestTimeout, sendS3Error } from './errors.ts';
import { listObjectsV1, listObjectsV2 } from './listing.ts';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart } from './multipart.ts';
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from './objects.ts';
import { S3_SIGNING } from './signing-policy.ts';

/** What the S3 service is built from. */
export interface S3ServiceDeps {
  meta: S3Metadata;
  blobs: BlobStore;
  region: string;
  logger: Logger;
  endpoint: EdgeEndpoint;
}

/** Bucket sub-resources this store does not implement: answered with NotImplemented rather than a wrong default. */
const UNSUPPORTED_SUBRESOURCES = ['acl', 'policy', 'tagging', 'lifecycle', 'website', 'logging', 'notification', 'replication', 'encryption', 'object-lock', 'retention', 'legal-hold', 'accelerate', 'requestPayment', 'versions', 'torrent', 'restore', 'select', 'attributes', 'ownershipControls', 'publicAccessBlock', 'intelligent-tiering', 'inventory', 'metrics', 'analytics'];

/** The embedded S3: path-style and `{bucket}.s3.localhost` addressing, signed requests only (CORS preflights aside). */
export class S3Service implements EdgeService {
  readonly name = 's3';
  readonly bufferBody = false;
  readonly signing = S3_SIGNING;
  readonly takesUnscoped = true;
  private readonly ctx: S3Context;

  constructor(private readonly deps: S3ServiceDeps) {
    const logger = deps.logger.child({ service: 's3' });
    this.ctx = { meta: deps.meta, blobs: deps.blobs, region: deps.region, logger };
  }

  async handle(request: EdgeRequest): Promise<void> {
    const target = resolveTarget(request.host, request.rawPath);
    if (request.method === 'OPTIONS' && !request.auth) return preflight(this.ctx, request, target.bucket);
    if (!request.auth) throw new AwsError(403, 'AccessDenied', 'Access Denied');
    applyCorsHeaders(this.ctx, request, target.bucket);
    const call: S3Call = { request, bucket: target.bucket, key: target.key };
    if (!target.bucket) {
      if (request.method === 'GET') return listBuckets(this.ctx, call);
      throw methodNotAllowed(request.method, 'SERVICE');
    }
    if (target.key === undefined) return this.bucketOperation({ ...call, bucket: target.bucket });
    return this.objectOperation({ ...call, bucket: target.bucket, key: target.key });
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    sendS3Error(request, error);
  }

  sendBodyTimeout(request: EdgeRequest): void {
    sendS3Error(request, requestTimeout());
  }

  referencedBlobs(): string[] {
    return this.ctx.meta.blobIds();
  }

  private async bucketOperation(call: S3Call & { bucket: string }): Promise<void> {
    const { method, query } = call.request;
    const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => query.has(s));
    if (unsupported) throw new AwsError(501, 'NotImplemented', `A header or query you provided requested a function that is not implemented (?${unsupported}).`);
    switch (method) {
      case 'GET':
        if (query.has('location')) return getBucketLocation(this.ctx, call);
        if (query.has('cors')) return getBucketCors(this.ctx, call);
        if (query.has('versioning')) return getBucketVersioning(this.ctx, call);
        if (query.has('uploads')) return listMultipartUploads(this.ctx, call);
        if (query.get('list-type') === '2') return listObjectsV2(this.ctx, call);
        return listObjectsV1(this.ctx, call);
      case 'HEAD':
        return headBucket(this.ctx, call);
      case 'PUT':
        if (query.has('cors')) return putBucketCors(this.ctx, call);
        return createBucket(this.ctx, call);
      case 'DELETE':
        if (query.has('cors')) return deleteBucketCors(this.ctx, call);
        return deleteBucket(this.ctx, call);
      case 'POST':
        if (query.has('delete')) return deleteObjects(this.ctx, call);
        break;
    }
    throw methodNotAllowed(method, 'BUCKET');
  }

  private async objectOperation(call: S3Call & { bucket: string; key: string }): Promise<void> {
    const { method, query, req } = call.request;
    const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => query.has(s));
    if (unsupported) throw new AwsError(501, 'NotImplemented', `A header or query you provided requested a function that is not implemented (?${unsupported}).`);
    switch (method) {
      case 'GET':
        if (query.has('uploadId')) return listParts(this.ctx, call);
        return getObject(this.ctx, call);
      case 'HEAD':
        return getObject(this.ctx, call);
      case 'PUT':
        if (query.has('uploadId') || query.has('partNumber')) return uploadPart(this.ctx, call);
        if (req.headers['x-amz-copy-source'] !== undefined) return copyObject(this.ctx, call);
        return putObject(this.ctx, call);
      case 'DELETE':
        if (query.has('uploadId')) return abortMultipartUpload(this.ctx, call);
        return deleteObject(this.ctx, call);
      case 'POST':
        if (query.has('uploads')) return createMultipartUpload(this.ctx, call);
        if (query.has('uploadId')) return completeMultipartUpload(this.ctx, call, this.deps.endpoint.publicUrl);
        break;
    }
    throw methodNotAllowed(method, 'OBJECT');
  }
}

function methodNotAllowed(method: string, resourceType: string): AwsError {
  return new AwsError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: resourceType });
}

export function createS3Service(deps: S3ServiceDeps): S3Service {
  return new S3Service(deps);
}
