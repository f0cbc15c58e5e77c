import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Location } from './schema.ts';

/**
 * An S3 client from the standard credential chain; AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (the
 * local edge) selects the endpoint and path-style addressing.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

/** The object is missing or its bucket does not exist: the request's fault, a 400. */
export class MissingObjectError extends Error {}

export async function getObjectBytes(
  s3: S3Client,
  { bucket, key }: S3Location,
  abortSignal?: AbortSignal,
): Promise<Uint8Array> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
    if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
    return await res.Body.transformToByteArray();
  } catch (err) {
    if (err instanceof S3ServiceException && ['NoSuchKey', 'NoSuchBucket', 'NotFound'].includes(err.name)) {
      throw new MissingObjectError(`s3://${bucket}/${key} does not exist (${err.name})`);
    }
    throw err;
  }
}

export async function putObjectBytes(
  s3: S3Client,
  { bucket, key }: S3Location,
  body: Uint8Array,
  abortSignal?: AbortSignal,
): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'image/tiff' }), {
    abortSignal,
  });
}
