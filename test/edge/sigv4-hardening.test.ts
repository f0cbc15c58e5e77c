import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { LambdaClient, ListFunctionsCommand, LambdaServiceException } from '@aws-sdk/client-lambda';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';

const Sha256 = Hash.bind(null, 'sha256') as never;
const DAY_MS = 24 * 3600 * 1000;
const run = promisify(execFile);
let edge: TestEdge;
let s3: S3Client;

before(async () => {
  edge = await startTestEdge();
  s3 = new S3Client({ region: edge.region, endpoint: edge.url, forcePathStyle: true, credentials: edge.credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'sig' }));
  await s3.send(new PutObjectCommand({ Bucket: 'sig', Key: 'k', Body: 'hello' }));
});

after(async () => {
  s3.destroy();
  await edge.close();
});

/** Signs `GET /sig/k` with the SDK's signer at `signingDate`, then sends it with `extraHeaders` added after signing. */
async function signedGet(
  signingDate: Date,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const host = new URL(edge.url).host;
  const signer = new SignatureV4({
    service: 's3',
    region: edge.region,
    credentials: edge.credentials,
    sha256: Sha256,
    uriEscapePath: false,
  });
  const request = new HttpRequest({
    method: 'GET',
    hostname: '127.0.0.1',
    path: '/sig/k',
    headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  });
  const signed = await signer.sign(request, { signingDate });
  const res = await fetch(`${edge.url}/sig/k`, {
    headers: { ...(signed.headers as Record<string, string>), ...extraHeaders },
  });
  return { status: res.status, body: await res.text() };
}

test('a presigned URL dated in the future is refused: AccessDenied "Request is not yet valid", even within 7 days of expiry', async () => {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'sig', Key: 'k' }), {
    expiresIn: 604800,
    signingDate: new Date(Date.now() + 365 * DAY_MS),
  });
  const res = await fetch(url);
  const body = await res.text();
  assert.equal(res.status, 403);
  assert.match(body, /<Code>AccessDenied<\/Code><Message>Request is not yet valid<\/Message>/);
  const now = await fetch(await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'sig', Key: 'k' }), { expiresIn: 60 }));
  assert.equal(await now.text(), 'hello');
});

test('a credential scope naming another region: S3 answers 400 naming the expected region, Lambda its own error', async () => {
  const other = new S3Client({
    region: 'eu-west-3',
    endpoint: edge.url,
    forcePathStyle: true,
    credentials: edge.credentials,
  });
  await assert.rejects(other.send(new ListBucketsCommand({})), (e: S3ServiceException) => {
    assert.equal(e.name, 'AuthorizationHeaderMalformed');
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.equal(
      e.message,
      `The authorization header is malformed; the region 'eu-west-3' is wrong; expecting '${edge.region}'`,
    );
    assert.equal((e as unknown as { Region: string }).Region, edge.region);
    return true;
  });
  const presigned = await fetch(
    await getSignedUrl(other, new GetObjectCommand({ Bucket: 'sig', Key: 'k' }), { expiresIn: 60 }),
  );
  assert.equal(presigned.status, 400);
  const xml = await presigned.text();
  assert.match(xml, /<Code>AuthorizationQueryParametersError<\/Code>/);
  assert.match(
    xml,
    new RegExp(
      `the region &apos;eu-west-3&apos; is wrong; expecting &apos;${edge.region}&apos;.*<Region>${edge.region}</Region>`,
    ),
  );
  other.destroy();

  const lambda = new LambdaClient({
    region: 'eu-west-3',
    endpoint: edge.url,
    credentials: edge.credentials,
    maxAttempts: 1,
  });
  await assert.rejects(
    lambda.send(new ListFunctionsCommand({})),
    (e: LambdaServiceException) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403,
  );
  lambda.destroy();
});

test('botocore: a scope naming another region is refused the same way', async () => {
  const script = `
import boto3, botocore.exceptions, sys
s3 = boto3.client('s3', region_name='ap-south-1', endpoint_url=sys.argv[1])
try:
    s3.list_buckets()
    print('accepted')
except botocore.exceptions.ClientError as e:
    print(e.response['Error']['Code'], e.response['Error'].get('Region'))
`;
  const { stdout } = await run('python3', ['-c', script, edge.url], {
    env: { ...edge.env, AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'ap-south-1' },
  });
  assert.equal(stdout.trim(), `AuthorizationHeaderMalformed ${edge.region}`);
});

test('a header-signed S3 request carrying an x-amz-* header it did not sign: AccessDenied naming the header', async () => {
  assert.equal((await signedGet(new Date())).status, 200);
  const res = await signedGet(new Date(), { 'x-amz-meta-evil': '1' });
  assert.equal(res.status, 403);
  assert.match(
    res.body,
    /<Code>AccessDenied<\/Code><Message>There were headers present in the request which were not signed<\/Message><HeadersNotSigned>x-amz-meta-evil<\/HeadersNotSigned>/,
  );
});

test('a header-signed request more than 15 minutes off either way: RequestTimeTooSkewed', async () => {
  for (const offset of [-16 * 60_000, 16 * 60_000]) {
    const res = await signedGet(new Date(Date.now() + offset));
    assert.equal(res.status, 403, String(offset));
    assert.match(
      res.body,
      /<Code>RequestTimeTooSkewed<\/Code>.*<MaxAllowedSkewMilliseconds>900000<\/MaxAllowedSkewMilliseconds>/,
    );
  }
  assert.equal((await signedGet(new Date(Date.now() - 10 * 60_000))).status, 200);
});
