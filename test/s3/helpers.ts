import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4, getSigningKey } from '@smithy/signature-v4';
import { S3Client } from '@aws-sdk/client-s3';
import type { TestEdge } from '../helpers/edge.ts';

/** An SDK v3 client for the test edge, with the SDK's default (2025+) checksum behaviour. */
export function sdkClient(
  edge: TestEdge,
  overrides: Partial<ConstructorParameters<typeof S3Client>[0]> = {},
): S3Client {
  return new S3Client({
    region: edge.region,
    endpoint: edge.url,
    forcePathStyle: true,
    credentials: edge.credentials,
    ...overrides,
  });
}

/** Parses `<Code>` of an S3 error document. */
export function errorCode(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}

const Sha256 = Hash.bind(null, 'sha256') as never;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends one request over a fresh connection and reads the whole answer. */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface SignOptions {
  method: string;
  path: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  contentSha256: string;
  signingDate?: Date;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Header-signs a request with SigV4 exactly as an SDK would; returns the headers to send and what chunk signing needs. */
export async function signHeaders(edge: TestEdge, o: SignOptions) {
  const host = new URL(edge.url).host;
  const credentials = o.credentials ?? edge.credentials;
  const signer = new SignatureV4({
    service: 's3',
    region: edge.region,
    credentials,
    sha256: Sha256,
    uriEscapePath: false,
  });
  const req = new HttpRequest({
    method: o.method,
    hostname: host.split(':')[0],
    path: o.path,
    query: o.query,
    headers: { host, 'x-amz-content-sha256': o.contentSha256, ...o.headers },
  });
  const signed = (await signer.sign(req, { signingDate: o.signingDate })) as HttpRequest;
  const auth = signed.headers.authorization;
  const signature = /Signature=([0-9a-f]{64})/.exec(auth)![1];
  const amzDate = signed.headers['x-amz-date'];
  const shortDate = amzDate.slice(0, 8);
  const signingKey = await getSigningKey(Sha256, credentials, shortDate, edge.region, 's3');
  const query = o.query ? `?${new URLSearchParams(o.query)}` : '';
  return {
    headers: signed.headers as Record<string, string>,
    path: o.path + query,
    signature,
    amzDate,
    scope: `${shortDate}/${edge.region}/s3/aws4_request`,
    signingKey,
  };
}

/** aws-chunked framing with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]). */
export function signedChunks(
  data: Buffer[],
  seed: { signature: string; amzDate: string; scope: string; signingKey: Uint8Array },
  trailer?: [string, string],
): Buffer {
  const emptyHash = createHash('sha256').digest('hex');
  let previous = seed.signature;
  const parts: Buffer[] = [];
  for (const chunk of [...data, Buffer.alloc(0)]) {
    const sts = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      seed.amzDate,
      seed.scope,
      previous,
      emptyHash,
      createHash('sha256').update(chunk).digest('hex'),
    ].join('\n');
    previous = createHmac('sha256', seed.signingKey).update(sts).digest('hex');
    parts.push(
      Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`),
      chunk,
      chunk.length ? Buffer.from('\r\n') : Buffer.alloc(0),
    );
  }
  if (trailer) {
    const canonical = `${trailer[0]}:${trailer[1]}\n`;
    const sts = [
      'AWS4-HMAC-SHA256-TRAILER',
      seed.amzDate,
      seed.scope,
      previous,
      createHash('sha256').update(canonical).digest('hex'),
    ].join('\n');
    const sig = createHmac('sha256', seed.signingKey).update(sts).digest('hex');
    parts.push(Buffer.from(`${trailer[0]}:${trailer[1]}\r\nx-amz-trailer-signature:${sig}\r\n\r\n`));
  } else {
    parts.push(Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
