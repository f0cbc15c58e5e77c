import { AwsError } from '../edge/errors.ts';
import { requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { document, el } from './xml.ts';

/**
 * Reads of bucket settings the edge cannot hold (their Put operations answer 501): every bucket answers what S3
 * answers for a bucket that never had them. Deletes of them succeed and change nothing.
 */
type BucketCall = S3Call & { bucket: string };
type BucketHandler = (ctx: S3Context, call: BucketCall) => void;

function notFound(code: string, message: string): BucketHandler {
  return (ctx, { bucket }) => {
    requireBucket(ctx, bucket);
    throw new AwsError(404, code, message, { BucketName: bucket });
  };
}

function answer(root: string, inner: string): BucketHandler {
  return (ctx, { request, bucket }) => {
    requireBucket(ctx, bucket);
    send(request, 200, {}, document(root, inner));
  };
}

export const getBucketLifecycleConfiguration = notFound(
  'NoSuchLifecycleConfiguration',
  'The lifecycle configuration does not exist',
);
export const getBucketWebsite = notFound(
  'NoSuchWebsiteConfiguration',
  'The specified bucket does not have a website configuration',
);
export const getBucketReplication = notFound(
  'ReplicationConfigurationNotFoundError',
  'The replication configuration was not found',
);
export const getObjectLockConfiguration = notFound(
  'ObjectLockConfigurationNotFoundError',
  'Object Lock configuration does not exist for this bucket',
);
export const getBucketLogging = answer('BucketLoggingStatus', '');
export const getBucketNotificationConfiguration = answer('NotificationConfiguration', '');
export const getBucketRequestPayment = answer('RequestPaymentConfiguration', el('Payer', 'BucketOwner'));

export const deleteNothing: BucketHandler = (ctx, { request, bucket }) => {
  requireBucket(ctx, bucket);
  send(request, 204);
};
