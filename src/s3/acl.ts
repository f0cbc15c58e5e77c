import { AwsError } from '../edge/errors.ts';
import type { EdgeRequest } from '../edge/types.ts';
import { requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { header } from './ingest.ts';
import { readableVersion, parseVersionId, versionHeaders } from './versions.ts';
import { document, el, wrap } from './xml.ts';

/**
 * ACLs are accepted as canned values and not kept: the bucket owner (the edge's one account) has full control of
 * everything, as with S3's default BucketOwnerEnforced ownership. Grants and ACL documents are not implemented.
 */
const CANNED_ACLS = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'aws-exec-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
  'log-delivery-write',
];
const GRANT_HEADERS = [
  'x-amz-grant-full-control',
  'x-amz-grant-read',
  'x-amz-grant-read-acp',
  'x-amz-grant-write',
  'x-amz-grant-write-acp',
];

/** Checks `x-amz-acl` against the canned ACLs; `x-amz-grant-*` headers answer 501. */
export function checkAclHeaders(request: EdgeRequest): void {
  const acl = header(request.req.headers, 'x-amz-acl');
  if (acl !== undefined && !CANNED_ACLS.includes(acl)) {
    // unconfirmed: the error S3 gives for an unknown canned ACL.
    throw new AwsError(400, 'InvalidArgument', `${acl} is not a canned ACL.`, {
      ArgumentName: 'x-amz-acl',
      ArgumentValue: acl,
    });
  }
  const grant = GRANT_HEADERS.find((name) => request.req.headers[name] !== undefined);
  if (grant) {
    throw new AwsError(
      501,
      'NotImplemented',
      `A header you provided implies functionality that is not implemented: ${grant}.`,
      { Header: grant },
    );
  }
}

const OWNER_ID = 'ddn';

function aclDocument(): string {
  const owner = el('ID', OWNER_ID) + el('DisplayName', OWNER_ID);
  const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"';
  const grantee = `<Grantee ${xsi}>${owner}</Grantee>`;
  const grants = wrap('AccessControlList', wrap('Grant', grantee + el('Permission', 'FULL_CONTROL')));
  return document('AccessControlPolicy', wrap('Owner', owner) + grants);
}

/** PutBucketAcl / PutObjectAcl: a canned `x-amz-acl` is accepted; an ACL document in the body is not implemented. */
function putAcl(request: EdgeRequest): void {
  checkAclHeaders(request);
  const length = Number(header(request.req.headers, 'content-length') ?? 0);
  const chunked = header(request.req.headers, 'transfer-encoding') !== undefined;
  if (length > 0 || chunked) {
    throw new AwsError(
      501,
      'NotImplemented',
      'A header or query you provided requested a function that is not implemented: ACL documents.',
    );
  }
  if (header(request.req.headers, 'x-amz-acl') === undefined) {
    throw new AwsError(400, 'MissingSecurityHeader', 'Your request was missing a required header', {
      MissingHeaderName: 'x-amz-acl',
    });
  }
}

export function putBucketAcl(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  requireBucket(ctx, bucket);
  putAcl(request);
  send(request, 200);
}

export function getBucketAcl(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  requireBucket(ctx, bucket);
  send(request, 200, {}, aclDocument());
}

export function putObjectAcl(ctx: S3Context, { request, bucket, key }: S3Call & { bucket: string; key: string }): void {
  const { versioning } = requireBucket(ctx, bucket);
  const record = readableVersion(ctx, bucket, key, parseVersionId(request.query));
  putAcl(request);
  send(request, 200, versionHeaders(record.versionId ?? null, versioning));
}

export function getObjectAcl(ctx: S3Context, { request, bucket, key }: S3Call & { bucket: string; key: string }): void {
  const { versioning } = requireBucket(ctx, bucket);
  const record = readableVersion(ctx, bucket, key, parseVersionId(request.query), request);
  send(request, 200, versionHeaders(record.versionId ?? null, versioning), aclDocument());
}
