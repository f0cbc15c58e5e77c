import { S3Client } from '@aws-sdk/client-s3';
import type { EdgeCredentials } from '../state/credentials.ts';

export interface Endpoint {
  /** `http://127.0.0.1:4566` for the local edge; undefined for real AWS. */
  url?: string;
  region: string;
  credentials?: EdgeCredentials;
}

/** An S3 client for the edge (path-style) or for AWS (standard credential chain). */
export function s3Client(endpoint: Endpoint): S3Client {
  return new S3Client({
    region: endpoint.region,
    endpoint: endpoint.url,
    forcePathStyle: endpoint.url !== undefined,
    credentials: endpoint.credentials,
  });
}
