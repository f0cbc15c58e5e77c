import { AwsError } from '../edge/errors.ts';
import type { Logger } from '../config/logger.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService } from '../edge/types.ts';
import { notImplemented as notImplementedOperation } from '../protocols/not-implemented.ts';
import type { BlobStore } from '../state/blobs.ts';
import type { S3Metadata } from '../state/s3-metadata.ts';
import { resolveTarget } from './addressing.ts';
import type { S3Call, S3Context } from './context.ts';
import { applyCorsHeaders, preflight } from './cors.ts';
import { requestTimeout, sendS3Error } from './errors.ts';
import { handlerOf, type S3Environment } from './handlers.ts';
import { openObject, type ObjectContent } from './object-reader.ts';
import { recognise, type S3OperationShape } from './operations.ts';
import { S3_SIGNING } from './signing-policy.ts';

/** What the S3 service is built from. */
export interface S3ServiceDeps {
  meta: S3Metadata;
  blobs: BlobStore;
  region: string;
  logger: Logger;
  endpoint: EdgeEndpoint;
}

/** The embedded S3: path-style and `{bucket}.s3.localhost` addressing, signed requests only (CORS preflights aside). */
export class S3Service implements EdgeService {
  readonly name = 's3';
  readonly bufferBody = false;
  readonly signing = S3_SIGNING;
  readonly takesUnscoped = true;
  private readonly ctx: S3Context;
  private readonly env: S3Environment;

  constructor(deps: S3ServiceDeps) {
    this.ctx = {
      meta: deps.meta,
      blobs: deps.blobs,
      region: deps.region,
      logger: deps.logger.child({ service: 's3' }),
    };
    // Read per call: the edge knows its URL only once it listens.
    this.env = {
      get publicUrl() {
        return deps.endpoint.publicUrl;
      },
    };
  }

  /** An object's bytes for another service (Lambda's code from S3); S3's error when it cannot be read. */
  openObject(bucket: string, key: string, versionId?: string): ObjectContent {
    return openObject(this.ctx, bucket, key, versionId);
  }

  async handle(request: EdgeRequest): Promise<void> {
    const target = resolveTarget(request.host, request.rawPath);
    if (request.method === 'OPTIONS' && !request.auth) return preflight(this.ctx, request, target.bucket);
    if (!request.auth) throw new AwsError(403, 'AccessDenied', 'Access Denied');
    applyCorsHeaders(this.ctx, request, target.bucket);
    const recognised = recognise({
      method: request.method,
      rawPath: request.rawPath,
      hasBucket: target.bucket !== undefined,
      hasKey: target.key !== undefined,
      query: request.query,
      headers: request.req.headers,
    });
    if (recognised.kind === 'none') {
      throw new AwsError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
        Method: request.method,
        ResourceType: recognised.resourceType,
      });
    }
    const operation = displayName(recognised.shape);
    if (recognised.kind === 'stray-subresource') {
      const what = `?${recognised.subresource} on ${operation}`;
      throw new AwsError(
        501,
        'NotImplemented',
        `A header or query you provided requested a function that is not implemented: ${what}.`,
      );
    }
    const handler = handlerOf(recognised.shape);
    if (!handler) throw notImplemented(operation);
    const call: S3Call = { request, bucket: target.bucket, key: target.key };
    const { bucket, key } = target;
    if (handler.target === 'service') return handler.run(this.ctx, call, this.env);
    if (bucket === undefined) throw notImplemented(operation);
    if (handler.target === 'bucket') return handler.run(this.ctx, { ...call, bucket }, this.env);
    if (key === undefined) throw notImplemented(operation);
    return handler.run(this.ctx, { ...call, bucket, key }, this.env);
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
}

/** `GetBucketLifecycle / GetBucketLifecycleConfiguration` where several names share one wire shape. */
function displayName(shape: S3OperationShape): string {
  return shape.names.join(' / ');
}

/** S3's answer to an operation of its model that this edge does not implement; nothing is read or changed. */
function notImplemented(what: string): AwsError {
  return notImplementedOperation('s3', what);
}

export function createS3Service(deps: S3ServiceDeps): S3Service {
  return new S3Service(deps);
}
