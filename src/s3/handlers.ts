import type { S3Call, S3Context } from './context.ts';
import { getBucketAcl, getObjectAcl, putBucketAcl, putObjectAcl } from './acl.ts';
import {
  deleteBucketEncryption,
  deleteBucketOwnershipControls,
  deleteBucketPolicy,
  deletePublicAccessBlock,
  getBucketAccelerateConfiguration,
  getBucketEncryption,
  getBucketOwnershipControls,
  getBucketPolicy,
  getPublicAccessBlock,
  putBucketAccelerateConfiguration,
  putBucketEncryption,
  putBucketOwnershipControls,
  putBucketPolicy,
  putPublicAccessBlock,
} from './bucket-settings.ts';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './buckets.ts';
import { deleteBucketCors, getBucketCors, putBucketCors } from './cors.ts';
import { listObjectsV1, listObjectsV2 } from './listing.ts';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './multipart.ts';
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from './objects.ts';
import { S3_OPERATION_SHAPES, type S3OperationShape } from './operations.ts';
import {
  deleteBucketTagging,
  deleteObjectTagging,
  getBucketTagging,
  getObjectTagging,
  putBucketTagging,
  putObjectTagging,
} from './tagging.ts';
import {
  deleteNothing,
  getBucketLifecycleConfiguration,
  getBucketLogging,
  getBucketNotificationConfiguration,
  getBucketReplication,
  getBucketRequestPayment,
  getBucketWebsite,
  getObjectLockConfiguration,
} from './unconfigured.ts';
import { getBucketVersioning, listObjectVersions, putBucketVersioning } from './versions.ts';

export interface S3Environment {
  /** The edge's public URL, for the Location of CompleteMultipartUpload. */
  publicUrl: string;
}

type ServiceCall = S3Call;
type BucketCall = S3Call & { bucket: string };
type ObjectCall = BucketCall & { key: string };

/** A handler per implemented operation, by what its path names; every other operation answers 501. */
export type S3Handler =
  | { target: 'service'; run: (ctx: S3Context, call: ServiceCall, env: S3Environment) => void | Promise<void> }
  | { target: 'bucket'; run: (ctx: S3Context, call: BucketCall, env: S3Environment) => void | Promise<void> }
  | { target: 'object'; run: (ctx: S3Context, call: ObjectCall, env: S3Environment) => void | Promise<void> };

const service = (run: (ctx: S3Context, call: ServiceCall) => void | Promise<void>): S3Handler => ({
  target: 'service',
  run,
});
const bucket = (run: (ctx: S3Context, call: BucketCall) => void | Promise<void>): S3Handler => ({
  target: 'bucket',
  run,
});
const object = (run: (ctx: S3Context, call: ObjectCall, env: S3Environment) => void | Promise<void>): S3Handler => ({
  target: 'object',
  run,
});

/** By the model's operation names (checked below: each names one). */
export const S3_HANDLERS: Readonly<Record<string, S3Handler>> = {
  ListBuckets: service(listBuckets),

  CreateBucket: bucket(createBucket),
  HeadBucket: bucket(headBucket),
  DeleteBucket: bucket(deleteBucket),
  GetBucketLocation: bucket(getBucketLocation),
  ListObjects: bucket(listObjectsV1),
  ListObjectsV2: bucket(listObjectsV2),
  ListObjectVersions: bucket(listObjectVersions),
  ListMultipartUploads: bucket(listMultipartUploads),
  DeleteObjects: bucket(deleteObjects),
  PutBucketCors: bucket(putBucketCors),
  GetBucketCors: bucket(getBucketCors),
  DeleteBucketCors: bucket(deleteBucketCors),
  PutBucketVersioning: bucket(putBucketVersioning),
  GetBucketVersioning: bucket(getBucketVersioning),
  PutPublicAccessBlock: bucket(putPublicAccessBlock),
  GetPublicAccessBlock: bucket(getPublicAccessBlock),
  DeletePublicAccessBlock: bucket(deletePublicAccessBlock),
  PutBucketAccelerateConfiguration: bucket(putBucketAccelerateConfiguration),
  GetBucketAccelerateConfiguration: bucket(getBucketAccelerateConfiguration),
  PutBucketPolicy: bucket(putBucketPolicy),
  GetBucketPolicy: bucket(getBucketPolicy),
  DeleteBucketPolicy: bucket(deleteBucketPolicy),
  PutBucketTagging: bucket(putBucketTagging),
  GetBucketTagging: bucket(getBucketTagging),
  DeleteBucketTagging: bucket(deleteBucketTagging),
  PutBucketEncryption: bucket(putBucketEncryption),
  GetBucketEncryption: bucket(getBucketEncryption),
  DeleteBucketEncryption: bucket(deleteBucketEncryption),
  PutBucketOwnershipControls: bucket(putBucketOwnershipControls),
  GetBucketOwnershipControls: bucket(getBucketOwnershipControls),
  DeleteBucketOwnershipControls: bucket(deleteBucketOwnershipControls),
  PutBucketAcl: bucket(putBucketAcl),
  GetBucketAcl: bucket(getBucketAcl),
  // Settings the edge cannot hold: answered as for a bucket that never had them (their Puts are 501).
  GetBucketLifecycleConfiguration: bucket(getBucketLifecycleConfiguration),
  DeleteBucketLifecycle: bucket(deleteNothing),
  GetBucketWebsite: bucket(getBucketWebsite),
  DeleteBucketWebsite: bucket(deleteNothing),
  GetBucketReplication: bucket(getBucketReplication),
  DeleteBucketReplication: bucket(deleteNothing),
  GetObjectLockConfiguration: bucket(getObjectLockConfiguration),
  GetBucketLogging: bucket(getBucketLogging),
  GetBucketNotificationConfiguration: bucket(getBucketNotificationConfiguration),
  GetBucketRequestPayment: bucket(getBucketRequestPayment),

  PutObject: object(putObject),
  CopyObject: object(copyObject),
  GetObject: object(getObject),
  HeadObject: object(getObject),
  DeleteObject: object(deleteObject),
  PutObjectTagging: object(putObjectTagging),
  GetObjectTagging: object(getObjectTagging),
  DeleteObjectTagging: object(deleteObjectTagging),
  PutObjectAcl: object(putObjectAcl),
  GetObjectAcl: object(getObjectAcl),
  CreateMultipartUpload: object(createMultipartUpload),
  UploadPart: object(uploadPart),
  UploadPartCopy: object(uploadPart),
  CompleteMultipartUpload: object((ctx, call, env) => completeMultipartUpload(ctx, call, env.publicUrl)),
  AbortMultipartUpload: object(abortMultipartUpload),
  ListParts: object(listParts),
};

for (const name of Object.keys(S3_HANDLERS)) {
  if (!S3_OPERATION_SHAPES.some((op) => op.names.includes(name)))
    throw new Error(`no operation ${name} in the S3 model`);
}

/** The handler of an operation (under any of its names), or undefined when the edge does not implement it. */
export function handlerOf(shape: S3OperationShape): S3Handler | undefined {
  const name = shape.names.find((n) => Object.hasOwn(S3_HANDLERS, n));
  return name === undefined ? undefined : S3_HANDLERS[name];
}
