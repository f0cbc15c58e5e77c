import { AwsError } from '../protocols/aws-error.ts';
import type { SigningPolicy } from '../edge/types.ts';
import { bucketFromHost } from './addressing.ts';

/**
 * S3's signatures: the payload hash is the declared `x-amz-content-sha256` (required with a signed header; the
 * body is checked against it while it streams), presigned URLs are `UNSIGNED-PAYLOAD`; the canonical path is not
 * double-encoded; SigV2 signs the virtual-hosted bucket.
 */
export const S3_SIGNING: SigningPolicy = {
  payloadHash(request, via) {
    if (via === 'query') return 'UNSIGNED-PAYLOAD';
    const declared = request.req.headers['x-amz-content-sha256'];
    if (typeof declared !== 'string') {
      throw new AwsError(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    }
    return declared;
  },
  s3CanonicalPath: true,
  sigV2Bucket: (request) => bucketFromHost(request.host),
};
