import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import fc from 'fast-check';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { errorCode, rawRequest, sdkClient } from './helpers.ts';

let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
  await sdkClient(edge).send(new CreateBucketCommand({ Bucket: 'mpu' }));
});
after(async () => edge.close());

test('lib-storage multipart upload of 56 MiB from a stream; ETag is MD5 of part MD5s + -N', async () => {
  const s3 = sdkClient(edge);
  const partSize = 8 * 1024 * 1024;
  const data = randomBytes(7 * partSize);
  const upload = new Upload({
    client: s3,
    params: { Bucket: 'mpu', Key: 'big.bin', Body: Readable.from([data]), ContentType: 'image/tiff' },
    partSize,
    queueSize: 2,
  });
  const result = await upload.done();
  const partMd5s = Buffer.concat(
    Array.from({ length: 7 }, (_, i) =>
      createHash('md5')
        .update(data.subarray(i * partSize, (i + 1) * partSize))
        .digest(),
    ),
  );
  assert.equal(result.ETag, `"${createHash('md5').update(partMd5s).digest('hex')}-7"`);
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'big.bin' }));
  assert.equal(head.ContentLength, data.length);
  assert.equal(head.ContentType, 'image/tiff');
  const got = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big.bin', ChecksumMode: 'ENABLED' }));
  const back = Buffer.from(await got.Body!.transformToByteArray());
  assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'));
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu' }));
  assert.equal(uploads.Uploads?.length ?? 0, 0);
});

test('multipart errors: small parts, wrong ETag, bad order, unknown upload, abort', async () => {
  const s3 = sdkClient(edge);
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'parts' }));
  const p1 = await s3.send(
    new UploadPartCommand({ Bucket: 'mpu', Key: 'parts', UploadId, PartNumber: 1, Body: Buffer.alloc(1000, 1) }),
  );
  const p2 = await s3.send(
    new UploadPartCommand({ Bucket: 'mpu', Key: 'parts', UploadId, PartNumber: 2, Body: Buffer.alloc(1000, 2) }),
  );
  const listed = await s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'parts', UploadId }));
  assert.deepEqual(
    listed.Parts?.map((p) => p.PartNumber),
    [1, 2],
  );
  const complete = (parts: Array<{ PartNumber: number; ETag?: string }>) =>
    s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'parts', UploadId, MultipartUpload: { Parts: parts } }),
    );
  await assert.rejects(
    complete([
      { PartNumber: 1, ETag: p1.ETag },
      { PartNumber: 2, ETag: p2.ETag },
    ]),
    (e: Error) => e.name === 'EntityTooSmall',
  );
  await assert.rejects(
    complete([
      { PartNumber: 2, ETag: p2.ETag },
      { PartNumber: 1, ETag: p1.ETag },
    ]),
    (e: Error) => e.name === 'InvalidPartOrder',
  );
  await assert.rejects(
    complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]),
    (e: Error) => e.name === 'InvalidPart',
  );
  await assert.rejects(
    s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'parts' })),
    (e: Error) => e.name === 'NotFound',
    'no object after failed completes',
  );
  const single = await complete([{ PartNumber: 1, ETag: p1.ETag }]);
  assert.match(single.ETag!, /-1"$/);
  await assert.rejects(
    s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'parts', UploadId, PartNumber: 3, Body: 'x' })),
    (e: Error) => e.name === 'NoSuchUpload',
  );
  const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted' }));
  await s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted', UploadId: other.UploadId }));
  await assert.rejects(
    s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'aborted', UploadId: other.UploadId })),
    (e: Error) => e.name === 'NoSuchUpload',
  );
});

test('ListObjectsV2 and v1: prefix, delimiter, max-keys, continuation, start-after', async () => {
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
  const keys = ['a/1', 'a/2', 'a/b/3', 'b/4', 'c', 'd'];
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: Key }));
  const all = await s3.send(new ListObjectsV2Command({ Bucket: 'listing' }));
  assert.deepEqual(
    all.Contents?.map((c) => c.Key),
    keys,
  );
  assert.equal(all.KeyCount, 6);
  const grouped = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
  assert.deepEqual(
    grouped.CommonPrefixes?.map((p) => p.Prefix),
    ['a/', 'b/'],
  );
  assert.deepEqual(
    grouped.Contents?.map((c) => c.Key),
    ['c', 'd'],
  );
  const nested = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/', Delimiter: '/' }));
  assert.deepEqual(
    nested.Contents?.map((c) => c.Key),
    ['a/1', 'a/2'],
  );
  assert.deepEqual(
    nested.CommonPrefixes?.map((p) => p.Prefix),
    ['a/b/'],
  );
  const seen: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', MaxKeys: 1, ContinuationToken: token }),
    );
    seen.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(page.Contents ?? []).map((c) => c.Key!));
    token = page.NextContinuationToken;
    assert.equal(page.IsTruncated, token !== undefined);
  } while (token);
  assert.deepEqual(seen, ['a/', 'b/', 'c', 'd']);
  const after = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'b/4' }));
  assert.deepEqual(
    after.Contents?.map((c) => c.Key),
    ['c', 'd'],
  );
  const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', MaxKeys: 2 }));
  assert.deepEqual(
    v1.CommonPrefixes?.map((p) => p.Prefix),
    ['a/', 'b/'],
  );
  assert.equal(v1.IsTruncated, true);
  assert.equal(v1.NextMarker, 'b/');
  const v1next = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', Marker: v1.NextMarker }));
  assert.deepEqual(
    v1next.Contents?.map((c) => c.Key),
    ['c', 'd'],
  );
});

test('any valid key round-trips byte for byte and lists back (property)', async () => {
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: 'keys' }));
  const keyArb = fc
    .oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
      fc.constantFrom('../../etc/passwd', '/leading', '..', 'a//b', 'ctl\u0001\u001f', '%2F?#', 'x'.repeat(1024)),
    )
    .filter(
      (k) =>
        !k.includes('\u0000') &&
        !/[\ud800-\udfff]/.test(k.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')) &&
        Buffer.byteLength(k) <= 1024,
    );
  await fc.assert(
    fc.asyncProperty(keyArb, async (key) => {
      const body = `body of ${key}`;
      await s3.send(new PutObjectCommand({ Bucket: 'keys', Key: key, Body: body }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'keys', Key: key }));
      assert.equal(await got.Body!.transformToString(), body);
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: 'keys', Prefix: key, MaxKeys: 1, EncodingType: 'url' }),
      );
      assert.equal(decodeURIComponent(listed.Contents![0].Key!), key);
    }),
    { numRuns: 60 },
  );
  const tooLong = await s3.send(new PutObjectCommand({ Bucket: 'keys', Key: 'x'.repeat(1025), Body: 'x' })).then(
    () => null,
    (e: Error) => e.name,
  );
  assert.equal(tooLong, 'KeyTooLongError');
});

test('CORS: preflight answered from the rules without auth; actual requests get the headers', async () => {
  const s3 = sdkClient(edge);
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: 'mpu',
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: ['http://console.example'],
            AllowedMethods: ['PUT', 'GET'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: 60,
          },
        ],
      },
    }),
  );
  const ok = await rawRequest(edge.url, 'OPTIONS', '/mpu/some/key', {
    origin: 'http://console.example',
    'access-control-request-method': 'PUT',
    'access-control-request-headers': 'content-type',
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['access-control-allow-origin'], 'http://console.example');
  assert.match(String(ok.headers['access-control-allow-methods']), /PUT/);
  assert.equal(ok.headers['access-control-expose-headers'], 'ETag');
  const denied = await rawRequest(edge.url, 'OPTIONS', '/mpu/some/key', {
    origin: 'http://evil.example',
    'access-control-request-method': 'PUT',
  });
  assert.equal(denied.status, 403);
  assert.equal(errorCode(denied.body), 'AccessForbidden');
  const noCors = await rawRequest(edge.url, 'OPTIONS', '/listing/x', {
    origin: 'http://console.example',
    'access-control-request-method': 'GET',
  });
  assert.equal(noCors.status, 403);
});

test('ListObjectsV2: a continuation token the edge did not issue is InvalidArgument, never page 1', async () => {
  const s3 = sdkClient(edge);
  await s3.send(new CreateBucketCommand({ Bucket: 'tokens' }));
  for (const Key of ['a', 'b', 'c']) await s3.send(new PutObjectCommand({ Bucket: 'tokens', Key, Body: Key }));
  const first = await s3.send(new ListObjectsV2Command({ Bucket: 'tokens', MaxKeys: 2 }));
  const second = await s3.send(
    new ListObjectsV2Command({ Bucket: 'tokens', ContinuationToken: first.NextContinuationToken }),
  );
  assert.deepEqual(
    second.Contents?.map((c) => c.Key),
    ['c'],
  );
  for (const ContinuationToken of [
    'bogus',
    Buffer.from('1:b').toString('base64url'),
    `${first.NextContinuationToken!}!`,
  ]) {
    await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: 'tokens', ContinuationToken })), {
      name: 'InvalidArgument',
    });
  }
});
