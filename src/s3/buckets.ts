import { AwsError } from '../edge/errors.ts';
import { validateBucketName } from './addressing.ts';
import { isoSeconds, removeBlobs, requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { checkAclHeaders } from './acl.ts';
import { checkObjectOwnership } from './bucket-settings.ts';
import { header, receiveSmallBody } from './ingest.ts';
import { document, el, escapeXml, parseXmlBody, wrap } from './xml.ts';

const OWNER = wrap('Owner', el('ID', 'ddn') + el('DisplayName', 'ddn'));

export function listBuckets(ctx: S3Context, { request }: S3Call): void {
  const buckets = ctx.meta
    .listBuckets()
    .map((b) => wrap('Bucket', el('Name', b.name) + el('CreationDate', b.created_at) + el('BucketRegion', b.region)))
    .join('');
  send(request, 200, {}, document('ListAllMyBucketsResult', OWNER + wrap('Buckets', buckets)));
}

export async function createBucket(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): Promise<void> {
  validateBucketName(bucket);
  checkAclHeaders(request);
  const ownership = checkObjectOwnership(header(request.req.headers, 'x-amz-object-ownership'));
  const { body } = await receiveSmallBody(request);
  let region = ctx.region;
  if (body.length > 0) {
    const constraint = parseXmlBody(body, 'CreateBucketConfiguration').LocationConstraint;
    if (typeof constraint === 'string' && constraint !== '') region = constraint;
  }
  if (region !== ctx.region) {
    throw new AwsError(
      400,
      'IllegalLocationConstraintException',
      `The ${region} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    );
  }
  const created = ctx.meta.createBucket(bucket, region, isoSeconds());
  if (!created && ctx.region !== 'us-east-1') {
    throw new AwsError(
      409,
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      { BucketName: bucket },
    );
  }
  if (created && ownership) ctx.meta.setBucketSetting(bucket, 'ownershipControls', ownership);
  send(request, 200, { location: `/${bucket}` });
}

export function headBucket(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  const row = requireBucket(ctx, bucket);
  send(request, 200, { 'x-amz-bucket-region': row.region });
}

export async function deleteBucket(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): Promise<void> {
  requireBucket(ctx, bucket);
  const { result, orphanBlobs } = ctx.meta.deleteBucket(bucket);
  if (result === 'not-empty')
    throw new AwsError(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: bucket });
  await removeBlobs(ctx, orphanBlobs);
  send(request, 204);
}

export function getBucketLocation(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  const row = requireBucket(ctx, bucket);
  const constraint = row.region === 'us-east-1' ? '' : row.region;
  send(request, 200, {}, document('LocationConstraint', escapeXml(constraint)));
}
