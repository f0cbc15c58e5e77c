import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { AwsCrc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { AwsError } from '../edge/errors.ts';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

/** The spelling S3 uses in messages and XML elements (`CRC32`, `CRC64NVME`, `SHA256`). */
export function algorithmLabel(algorithm: ChecksumAlgorithm): string {
  return algorithm.toUpperCase();
}

/** `ChecksumCRC32` etc. */
export function checksumElement(algorithm: ChecksumAlgorithm): string {
  return `Checksum${algorithmLabel(algorithm)}`;
}

export function parseAlgorithm(value: string | undefined): ChecksumAlgorithm | undefined {
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(lower)) return lower as ChecksumAlgorithm;
  throw new AwsError(
    400,
    'InvalidRequest',
    'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
  );
}

/** Checks that a client-supplied value is base64 of the algorithm's digest length. */
export function validateChecksumValue(
  algorithm: ChecksumAlgorithm,
  value: string,
  where: 'header' | 'trailer' = 'header',
): void {
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length !== DIGEST_BYTES[algorithm] || decoded.toString('base64') !== value) {
    throw new AwsError(400, 'InvalidRequest', `Value for x-amz-checksum-${algorithm} ${where} is invalid.`);
  }
}

export interface Checksummer {
  update(data: Uint8Array): void;
  /** base64 of the digest, as the x-amz-checksum-* headers carry it. */
  digest(): Promise<string>;
}

export function createChecksummer(algorithm: ChecksumAlgorithm): Checksummer {
  switch (algorithm) {
    case 'crc32': {
      let value = 0;
      return {
        update: (data) => void (value = crc32(data, value)),
        digest: () => {
          const out = Buffer.alloc(4);
          out.writeUInt32BE(value >>> 0);
          return Promise.resolve(out.toString('base64'));
        },
      };
    }
    case 'crc32c':
    case 'crc64nvme': {
      const impl = algorithm === 'crc32c' ? new AwsCrc32c() : new Crc64Nvme();
      return {
        update: (data) => impl.update(data),
        digest: async () => Buffer.from(await impl.digest()).toString('base64'),
      };
    }
    case 'sha1':
    case 'sha256': {
      const hash: Hash = createHash(algorithm);
      return { update: (data) => void hash.update(data), digest: () => Promise.resolve(hash.digest('base64')) };
    }
  }
}

export async function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): Promise<string> {
  const c = createChecksummer(algorithm);
  c.update(data);
  return c.digest();
}

/** A multipart object's COMPOSITE checksum: the checksum of the parts' raw checksums, then `-N`. */
export async function compositeChecksum(algorithm: ChecksumAlgorithm, partValues: string[]): Promise<string> {
  const joined = Buffer.concat(partValues.map((v) => Buffer.from(v, 'base64')));
  return `${await checksumOf(algorithm, joined)}-${partValues.length}`;
}

export function badDigest(algorithm: ChecksumAlgorithm): AwsError {
  return new AwsError(
    400,
    'BadDigest',
    `The ${algorithmLabel(algorithm)} you specified did not match the calculated checksum.`,
  );
}
