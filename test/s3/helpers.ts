import { S3Client } from '@aws-sdk/client-s3';
import type { TestEdge } from '../helpers/edge.ts';

/** An SDK v3 client for the test edge, with the SDK's default (2025+) checksum behaviour. */
export function sdkClient(edge: TestEdge, overrides: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({ region: edge.region, endpoint: edge.url, forcePathStyle: true, credentials: edge.credentials, ...overrides });
}

/** Parses `<Code>` of an S3 error document. */
export function errorCode(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}
