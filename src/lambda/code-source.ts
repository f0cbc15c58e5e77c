import type { Readable } from 'node:stream';
import { AwsError } from '../edge/errors.ts';
import { MAX_UNZIPPED_BYTES } from '../state/lambda-code.ts';
import { invalidParameter } from './errors.ts';

/** The code of CreateFunction / UpdateFunctionCode / PublishLayerVersion (FunctionCode, LayerVersionContentInput). */
export interface CodeInput {
  ZipFile?: string;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
  ImageUri?: string;
}

/** An object of the edge's S3 as a stream; throws S3's AwsError (NoSuchBucket, NoSuchKey, ...) when unreadable. */
export type S3ObjectOpener = (bucket: string, key: string, versionId?: string) => { size: number; body: Readable };

/** Where a deployment package comes from: inline bytes, or an object of the edge's S3. */
export type CodeSource =
  { kind: 'inline'; zip: Buffer } | { kind: 's3'; bucket: string; key: string; versionId?: string };

/** Checks the code members of a request, as Lambda does before reading anything. */
export function codeSource(code: CodeInput): CodeSource {
  if (code.ImageUri !== undefined)
    throw invalidParameter(
      'Container images are not supported by the local Lambda service; upload a .zip deployment package.',
    );
  const fromS3 = code.S3Bucket !== undefined || code.S3Key !== undefined || code.S3ObjectVersion !== undefined;
  if (code.ZipFile !== undefined && fromS3)
    // Unconfirmed: AWS's message for a ZipFile sent with S3 members.
    throw invalidParameter('Please do not provide other FunctionCode parameters when providing a ZipFile.');
  if (fromS3) {
    if (code.S3Bucket === undefined || code.S3Key === undefined)
      // Unconfirmed: AWS's message when S3Bucket or S3Key is missing.
      throw invalidParameter('Please provide both S3Bucket and S3Key to locate the function code in Amazon S3.');
    return { kind: 's3', bucket: code.S3Bucket, key: code.S3Key, versionId: code.S3ObjectVersion };
  }
  if (code.ZipFile === undefined || code.ZipFile === '')
    throw invalidParameter('Please provide a source for function code.');
  return { kind: 'inline', zip: Buffer.from(code.ZipFile, 'base64') };
}

/**
 * Reads a package from S3 without blocking the event loop. S3's errors read as Lambda's
 * (`Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: ...`); a package larger than the
 * unzipped limit is refused before it is read.
 */
export async function readS3Package(
  open: S3ObjectOpener,
  { bucket, key, versionId }: { bucket: string; key: string; versionId?: string },
): Promise<Buffer> {
  let object;
  try {
    object = open(bucket, key, versionId);
  } catch (err) {
    if (err instanceof AwsError && err.status < 500)
      throw invalidParameter(
        `Error occurred while GetObject. S3 Error Code: ${err.code}. S3 Error Message: ${err.message}`,
      );
    throw err;
  }
  if (object.size > MAX_UNZIPPED_BYTES) {
    object.body.destroy();
    throw invalidParameter(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
