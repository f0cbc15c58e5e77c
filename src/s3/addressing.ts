import { AwsError } from '../edge/errors.ts';
import { decodeUriOrThrow } from '../protocols/uri.ts';

/** `{bucket}.s3.localhost[:port]` selects the bucket by host (virtual-hosted style). */
const VIRTUAL_HOST = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3\.localhost(?::\d+)?$/;
const MAX_KEY_BYTES = 1024;

export interface S3Target {
  bucket?: string;
  key?: string;
  /** True when the bucket came from the Host header. */
  virtualHost: boolean;
}

export function bucketFromHost(host: string): string | undefined {
  return VIRTUAL_HOST.exec(host)?.[1];
}

/** Bucket and key of a request; the key is the decoded path after the bucket, byte for byte (never a file path). */
export function resolveTarget(host: string, rawPath: string): S3Target {
  const hostBucket = bucketFromHost(host);
  const path = decodePath(rawPath);
  if (hostBucket) {
    const key = path.slice(1);
    return { bucket: hostBucket, key: key === '' ? undefined : checkKey(key), virtualHost: true };
  }
  const rest = path.slice(1);
  if (rest === '') return { virtualHost: false };
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: rest, virtualHost: false };
  const key = rest.slice(slash + 1);
  return { bucket: rest.slice(0, slash), key: key === '' ? undefined : checkKey(key), virtualHost: false };
}

function decodePath(rawPath: string): string {
  return decodeUriOrThrow(rawPath, () => new AwsError(400, 'InvalidURI', "Couldn't parse the specified URI."));
}

function checkKey(key: string): string {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new AwsError(400, 'KeyTooLongError', 'Your key is too long', {
      MaxSizeAllowed: MAX_KEY_BYTES,
      Size: Buffer.byteLength(key, 'utf8'),
    });
  }
  return key;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function validateBucketName(name: string): void {
  if (
    !BUCKET_NAME.test(name) ||
    name.includes('..') ||
    /^\d+\.\d+\.\d+\.\d+$/.test(name) ||
    name.startsWith('xn--') ||
    name.endsWith('-s3alias')
  ) {
    throw new AwsError(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
  }
}
